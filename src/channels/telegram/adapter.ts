import type { ChannelAdapter, ChannelContext, ChannelInbox, OutboundMessage, SendResult } from '../channel.ts'
import { parentSender } from '../meta/inbound.types.ts'
import type { ProviderFailure } from '../meta/provider-http.ts'
import { callBot } from './bot-api.ts'

const MAX_TEXT = 4096

type Sent = { message_id?: number; chat?: { id?: number } }

/**
 * Sends through the Bot API: `sendMessage` for text and `sendDocument`
 * (multipart) for each file, at `{apiBaseUrl}/bot{token}/…`, to the
 * customer's numeric chat id (their Telegram identity). The provider id is
 * `<chat id>:<message id>`, the same form as inbound ones.
 */
export function createTelegramAdapter(inbox: ChannelInbox, secrets: Record<string, unknown>, ctx: ChannelContext): ChannelAdapter {
  const token = String(secrets.botToken ?? '')
  const apiBaseUrl = inbox.config.apiBaseUrl as string | undefined

  const idOf = (r: Awaited<ReturnType<typeof callBot<Sent>>>): { ok: true; id: string } | ProviderFailure => {
    if (!r.ok) return r
    const m = r.body.result
    return m?.message_id !== undefined && m.chat?.id !== undefined ? { ok: true, id: `${m.chat.id}:${m.message_id}` } : { ok: false, retryable: false, code: 'PROVIDER_BAD_RESPONSE', message: 'the Bot API answered without a message' }
  }

  return Object.freeze({
    channel: 'telegram',
    async send(msg: OutboundMessage): Promise<SendResult> {
      if (!token) return { ok: false, retryable: false, code: 'CHANNEL_MISCONFIGURED', message: 'the Telegram inbox has no bot token' }
      // Bots reach people by numeric chat id; a @username only names channels and groups.
      const chatId = msg.to.identities.find((i) => i.kind === 'telegram' && /^\d+$/.test(i.value))?.value ?? parentSender(msg.parent, 'telegram')
      if (!chatId) return { ok: false, retryable: false, code: 'NO_RECIPIENT', message: 'the contact has no Telegram chat id (they must message the bot first)' }
      if (msg.text.length > MAX_TEXT) return { ok: false, retryable: false, code: 'MESSAGE_TOO_LONG', message: `Telegram messages hold at most ${MAX_TEXT} characters; this one has ${msg.text.length}` }
      let first: string | null = null
      if (msg.text.trim()) {
        const r = idOf(await callBot<Sent>(apiBaseUrl, token, 'sendMessage', { json: { chat_id: Number(chatId), text: msg.text } }))
        if (!r.ok) return r
        first = r.id
      }
      for (const file of msg.attachments ?? []) {
        const form = new FormData()
        form.set('chat_id', chatId)
        form.set('document', new Blob([await ctx.blobs.get(file.blobKey)], { type: file.contentType }), file.filename)
        const r = idOf(await callBot<Sent>(apiBaseUrl, token, 'sendDocument', { form, timeoutMs: 60_000 }))
        if (!r.ok) return first ? { ...r, retryable: false, message: `the text was sent (${first}) but a file was not: ${r.message}` } : r
        first ??= r.id
      }
      return first ? { ok: true, externalId: first } : { ok: false, retryable: false, code: 'EMPTY_MESSAGE', message: 'nothing to send' }
    },
  })
}
