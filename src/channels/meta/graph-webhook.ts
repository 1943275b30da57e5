import { z } from 'zod'
import type { InboundItem, InboundMediaRef } from './inbound.types.ts'

/**
 * Meta Graph webhook payloads, parsed with zod. Objects are loose: Meta adds
 * fields without notice, and an unknown field must not refuse a delivery.
 * A payload of the wrong shape is refused with 400 (after the signature check).
 */

const unixSeconds = (s: string | number | undefined) => new Date((Number(s) || Date.now() / 1000) * 1000).toISOString()
const unixMillis = (s: number | undefined) => new Date(s ?? Date.now()).toISOString()

const waMedia = z.looseObject({ id: z.string().min(1), mime_type: z.string().optional(), filename: z.string().optional(), caption: z.string().optional(), file_size: z.number().optional() })

const waMessage = z.looseObject({
  from: z.string().min(1),
  id: z.string().min(1).max(400),
  timestamp: z.union([z.string(), z.number()]).optional(),
  type: z.string(),
  context: z.looseObject({ id: z.string().optional(), from: z.string().optional() }).optional(),
  text: z.looseObject({ body: z.string() }).optional(),
  image: waMedia.optional(),
  document: waMedia.optional(),
  audio: waMedia.optional(),
  video: waMedia.optional(),
  sticker: waMedia.optional(),
  location: z.looseObject({ latitude: z.number(), longitude: z.number(), name: z.string().optional(), address: z.string().optional(), url: z.string().optional() }).optional(),
  contacts: z.array(z.looseObject({ name: z.looseObject({ formatted_name: z.string().optional() }).optional(), phones: z.array(z.looseObject({ phone: z.string().optional(), wa_id: z.string().optional() })).optional() })).optional(),
  interactive: z
    .looseObject({
      type: z.string(),
      button_reply: z.looseObject({ id: z.string(), title: z.string() }).optional(),
      list_reply: z.looseObject({ id: z.string(), title: z.string(), description: z.string().optional() }).optional(),
    })
    .optional(),
  button: z.looseObject({ text: z.string().optional(), payload: z.string().optional() }).optional(),
  reaction: z.looseObject({ message_id: z.string().optional(), emoji: z.string().optional() }).optional(),
})

const waStatus = z.looseObject({
  id: z.string().min(1),
  status: z.string(),
  timestamp: z.union([z.string(), z.number()]).optional(),
  recipient_id: z.string().optional(),
  errors: z.array(z.looseObject({ code: z.number().optional(), title: z.string().optional(), message: z.string().optional(), error_data: z.looseObject({ details: z.string().optional() }).optional() })).optional(),
})

export const whatsappWebhookSchema = z.looseObject({
  object: z.literal('whatsapp_business_account'),
  entry: z.array(
    z.looseObject({
      id: z.string().optional(),
      changes: z.array(
        z.looseObject({
          field: z.string(),
          value: z.looseObject({
            metadata: z.looseObject({ phone_number_id: z.string().optional(), display_phone_number: z.string().optional() }).optional(),
            contacts: z.array(z.looseObject({ wa_id: z.string(), profile: z.looseObject({ name: z.string().optional() }).optional() })).optional(),
            messages: z.array(waMessage).optional(),
            statuses: z.array(waStatus).optional(),
            // field message_template_status_update
            event: z.string().optional(),
            message_template_id: z.union([z.string(), z.number()]).optional(),
            message_template_name: z.string().optional(),
            message_template_language: z.string().optional(),
            reason: z.string().nullable().optional(),
          }),
        }),
      ),
    }),
  ),
})
export type WhatsappWebhook = z.infer<typeof whatsappWebhookSchema>

function waText(m: z.infer<typeof waMessage>): { text: string; metadata: Record<string, unknown> } {
  switch (m.type) {
    case 'text':
      return { text: m.text?.body ?? '', metadata: {} }
    case 'location': {
      const l = m.location
      if (!l) break
      const place = [l.name, l.address].filter(Boolean).join(', ')
      return { text: `Location: ${place ? `${place} ` : ''}(${l.latitude}, ${l.longitude})`, metadata: { location: l } }
    }
    case 'contacts': {
      const cards = (m.contacts ?? []).map((c) => [c.name?.formatted_name, ...(c.phones ?? []).map((p) => p.phone)].filter(Boolean).join(' '))
      return { text: `Shared contact${cards.length > 1 ? 's' : ''}: ${cards.join('; ')}`, metadata: { contacts: m.contacts } }
    }
    case 'interactive': {
      const r = m.interactive?.button_reply ?? m.interactive?.list_reply
      if (r) return { text: r.title, metadata: { interactive: { type: m.interactive?.type, id: r.id, title: r.title } } }
      break
    }
    case 'button':
      return { text: m.button?.text ?? m.button?.payload ?? '', metadata: { button: m.button } }
    case 'reaction':
      return { text: `Reacted ${m.reaction?.emoji ?? ''} to a message`.trim(), metadata: { reaction: m.reaction } }
  }
  const media = m.image ?? m.document ?? m.audio ?? m.video ?? m.sticker
  if (media) return { text: media.caption || `[${m.type}${media.filename ? `: ${media.filename}` : ''}]`, metadata: {} }
  return { text: `[unsupported WhatsApp message of type ${m.type}]`, metadata: { unsupported: m.type } }
}

function waMediaRefs(m: z.infer<typeof waMessage>): InboundMediaRef[] {
  const kinds = ['image', 'document', 'audio', 'video', 'sticker'] as const
  const out: InboundMediaRef[] = []
  for (const kind of kinds) {
    const media = m[kind]
    if (media) out.push({ ref: media.id, kind, filename: media.filename, contentType: media.mime_type, size: media.file_size })
  }
  return out
}

/** WhatsApp Manager template events → the statuses Omnidesk records. */
const templateEvents: Record<string, 'approved' | 'pending' | 'rejected' | 'paused' | 'disabled'> = {
  APPROVED: 'approved',
  PENDING: 'pending',
  REJECTED: 'rejected',
  PAUSED: 'paused',
  DISABLED: 'disabled',
  FLAGGED: 'paused',
  REINSTATED: 'approved',
}

const waStatuses: Record<string, 'sent' | 'delivered' | 'read' | 'failed'> = { sent: 'sent', delivered: 'delivered', read: 'read', failed: 'failed' }

/** Messages and statuses of a WhatsApp Cloud API webhook, for this phone number id (others are ignored). */
export function whatsappItems(payload: WhatsappWebhook, phoneNumberId: string): InboundItem[] {
  const items: InboundItem[] = []
  for (const entry of payload.entry)
    for (const change of entry.changes) {
      const v = change.value
      if (change.field === 'message_template_status_update') {
        const status = templateEvents[v.event ?? '']
        if (status && v.message_template_name && v.message_template_language)
          items.push({
            kind: 'template-status',
            name: v.message_template_name,
            language: v.message_template_language,
            status,
            reason: v.reason && v.reason !== 'NONE' ? v.reason : undefined,
            eventKey: `${v.message_template_id ?? v.message_template_name}:${v.message_template_language}:${v.event}:${entry.id ?? ''}`,
          })
        continue
      }
      if (change.field !== 'messages') continue
      if (v.metadata?.phone_number_id && v.metadata.phone_number_id !== phoneNumberId) continue
      const names = new Map((v.contacts ?? []).map((c) => [c.wa_id, c.profile?.name]))
      for (const m of v.messages ?? []) {
        const { text, metadata } = waText(m)
        items.push({
          kind: 'message',
          providerMessageId: m.id,
          from: { identityKind: 'whatsapp', value: m.from, name: names.get(m.from), phone: `+${m.from.replace(/^\+/, '')}` },
          text: text || `[${m.type}]`,
          sentAt: unixSeconds(m.timestamp),
          metadata: { whatsapp: { type: m.type, ...(m.context?.id && { replyTo: m.context.id }) }, ...metadata },
          media: waMediaRefs(m),
        })
      }
      for (const s of v.statuses ?? []) {
        const status = waStatuses[s.status]
        if (!status) continue
        const e = s.errors?.[0]
        const error = e ? [e.code, e.title, e.message ?? e.error_data?.details].filter((x) => x !== undefined && x !== '').join(': ') : undefined
        items.push({ kind: 'status', providerMessageId: s.id, status, error, at: unixSeconds(s.timestamp) })
      }
    }
  return items
}

const messagingEvent = z.looseObject({
  sender: z.looseObject({ id: z.string().min(1) }),
  recipient: z.looseObject({ id: z.string().min(1) }),
  timestamp: z.number().optional(),
  message: z
    .looseObject({
      mid: z.string().min(1).max(400),
      text: z.string().optional(),
      is_echo: z.boolean().optional(),
      quick_reply: z.looseObject({ payload: z.string().optional() }).optional(),
      reply_to: z.looseObject({ mid: z.string().optional() }).optional(),
      attachments: z.array(z.looseObject({ type: z.string(), payload: z.looseObject({ url: z.string().optional(), title: z.string().optional() }).nullable().optional() })).optional(),
    })
    .optional(),
  postback: z.looseObject({ mid: z.string().optional(), title: z.string().optional(), payload: z.string().optional() }).optional(),
  delivery: z.looseObject({ mids: z.array(z.string()).optional(), watermark: z.number().optional() }).optional(),
  read: z.looseObject({ watermark: z.number().optional(), mid: z.string().optional() }).optional(),
})

/** Messenger (`object: page`) and Instagram (`object: instagram`) messaging webhooks share this shape. */
export const messagingWebhookSchema = z.looseObject({
  object: z.enum(['page', 'instagram']),
  entry: z.array(z.looseObject({ id: z.string(), time: z.number().optional(), messaging: z.array(messagingEvent).optional() })),
})
export type MessagingWebhook = z.infer<typeof messagingWebhookSchema>

const mediaKinds: Record<string, InboundMediaRef['kind']> = { image: 'image', video: 'video', audio: 'audio', file: 'document' }

/**
 * Messages, deliveries and reads of a Messenger or Instagram webhook for this
 * page / account id. Echoes (our own sends reported back) are skipped.
 */
export function messagingItems(payload: MessagingWebhook, channel: 'messenger' | 'instagram', accountIds: string[]): InboundItem[] {
  const items: InboundItem[] = []
  for (const entry of payload.entry) {
    if (accountIds.length > 0 && !accountIds.includes(entry.id)) continue
    for (const e of entry.messaging ?? []) {
      if (e.message && !e.message.is_echo) {
        const m = e.message
        const media = (m.attachments ?? []).flatMap((a): InboundMediaRef[] => (a.payload?.url && mediaKinds[a.type] ? [{ ref: a.payload.url, kind: mediaKinds[a.type] ?? 'file' }] : []))
        const other = (m.attachments ?? []).filter((a) => !mediaKinds[a.type]).map((a) => a.type)
        const text = m.text ?? (media.length > 0 ? `[${media.map((x) => x.kind).join(', ')}]` : other.length > 0 ? `[${other.join(', ')}]` : '[empty message]')
        items.push({
          kind: 'message',
          providerMessageId: m.mid,
          from: { identityKind: channel, value: e.sender.id },
          text,
          sentAt: unixMillis(e.timestamp),
          metadata: { [channel]: { ...(m.quick_reply?.payload && { quickReply: m.quick_reply.payload }), ...(m.reply_to?.mid && { replyTo: m.reply_to.mid }), ...(other.length > 0 && { attachmentTypes: other }) } },
          media,
        })
      } else if (e.postback) {
        const mid = e.postback.mid ?? `postback:${e.sender.id}:${e.timestamp ?? ''}:${e.postback.payload ?? ''}`
        items.push({ kind: 'message', providerMessageId: mid, from: { identityKind: channel, value: e.sender.id }, text: e.postback.title ?? e.postback.payload ?? '[postback]', sentAt: unixMillis(e.timestamp), metadata: { [channel]: { postback: e.postback.payload ?? null } }, media: [] })
      }
      if (e.delivery) items.push({ kind: 'watermark', recipient: e.sender.id, status: 'delivered', watermark: unixMillis(e.delivery.watermark ?? e.timestamp), providerMessageIds: e.delivery.mids ?? [] })
      if (e.read) items.push({ kind: 'watermark', recipient: e.sender.id, status: 'read', watermark: unixMillis(e.read.watermark ?? e.timestamp), providerMessageIds: e.read.mid ? [e.read.mid] : [] })
    }
  }
  return items
}
