import { z } from 'zod'
import type { InboundItem, InboundMediaRef } from '../meta/inbound.types.ts'

/** Telegram Bot API `Update` objects (loose: Telegram adds fields). Only private chats with people are stored. */
const file = z.looseObject({ file_id: z.string().min(1), file_unique_id: z.string().optional(), file_size: z.number().optional(), file_name: z.string().optional(), mime_type: z.string().optional() })

const message = z.looseObject({
  message_id: z.number().int(),
  date: z.number(),
  edit_date: z.number().optional(),
  chat: z.looseObject({ id: z.number().int(), type: z.string() }),
  from: z.looseObject({ id: z.number().int(), is_bot: z.boolean().optional(), first_name: z.string().optional(), last_name: z.string().optional(), username: z.string().optional(), language_code: z.string().optional() }).optional(),
  text: z.string().optional(),
  caption: z.string().optional(),
  photo: z.array(file).optional(),
  document: file.optional(),
  audio: file.optional(),
  voice: file.optional(),
  video: file.optional(),
  sticker: file.extend({ emoji: z.string().optional() }).optional(),
  location: z.looseObject({ latitude: z.number(), longitude: z.number() }).optional(),
  contact: z.looseObject({ phone_number: z.string(), first_name: z.string().optional(), last_name: z.string().optional() }).optional(),
  reply_to_message: z.looseObject({ message_id: z.number() }).optional(),
})

export const telegramUpdateSchema = z.looseObject({
  update_id: z.number().int(),
  message: message.optional(),
  edited_message: message.optional(),
})
export type TelegramUpdate = z.infer<typeof telegramUpdateSchema>

function mediaOf(m: z.infer<typeof message>): InboundMediaRef[] {
  const out: InboundMediaRef[] = []
  // Photos come in several sizes: the largest is last.
  const photo = m.photo?.at(-1)
  if (photo) out.push({ ref: photo.file_id, kind: 'image', contentType: 'image/jpeg', size: photo.file_size, filename: `photo-${m.message_id}.jpg` })
  if (m.document) out.push({ ref: m.document.file_id, kind: 'document', filename: m.document.file_name, contentType: m.document.mime_type, size: m.document.file_size })
  if (m.audio) out.push({ ref: m.audio.file_id, kind: 'audio', filename: m.audio.file_name, contentType: m.audio.mime_type, size: m.audio.file_size })
  if (m.voice) out.push({ ref: m.voice.file_id, kind: 'audio', contentType: m.voice.mime_type ?? 'audio/ogg', size: m.voice.file_size, filename: `voice-${m.message_id}.ogg` })
  if (m.video) out.push({ ref: m.video.file_id, kind: 'video', filename: m.video.file_name, contentType: m.video.mime_type, size: m.video.file_size })
  return out
}

function textOf(m: z.infer<typeof message>, media: InboundMediaRef[]): string {
  if (m.text) return m.text
  if (m.caption) return m.caption
  if (m.location) return `Location: (${m.location.latitude}, ${m.location.longitude})`
  if (m.contact) return `Shared contact: ${[m.contact.first_name, m.contact.last_name].filter(Boolean).join(' ')} ${m.contact.phone_number}`.trim()
  if (m.sticker) return `[sticker ${m.sticker.emoji ?? ''}]`.replace(' ]', ']')
  if (media.length > 0) return `[${media.map((x) => x.kind).join(', ')}]`
  return '[unsupported Telegram message]'
}

/**
 * The message of an update as an inbound item, or nothing (a group, a bot, an
 * update kind we do not store). An edit is stored as a new message that says
 * which one it edits: its id includes the edit time, so each edit is kept once.
 */
export function telegramItems(update: TelegramUpdate): InboundItem[] {
  const edited = update.edited_message !== undefined
  const m = update.message ?? update.edited_message
  if (!m || m.chat.type !== 'private' || !m.from || m.from.is_bot) return []
  const media = mediaOf(m)
  const name = [m.from.first_name, m.from.last_name].filter(Boolean).join(' ') || m.from.username
  const base = `${m.chat.id}:${m.message_id}`
  return [
    {
      kind: 'message',
      providerMessageId: edited ? `${base}:edit:${m.edit_date ?? update.update_id}` : base,
      from: { identityKind: 'telegram', value: String(m.from.id), name },
      text: edited ? `(edited) ${textOf(m, media)}` : textOf(m, media),
      sentAt: new Date((m.edit_date ?? m.date) * 1000).toISOString(),
      metadata: {
        telegram: { chatId: m.chat.id, messageId: m.message_id, updateId: update.update_id, ...(m.from.username && { username: m.from.username }), ...(edited && { edits: base }), ...(m.reply_to_message && { replyTo: m.reply_to_message.message_id }) },
        ...(m.location && { location: m.location }),
        ...(m.contact && { contact: m.contact }),
      },
      media,
    },
  ]
}
