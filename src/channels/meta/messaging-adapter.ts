import type { ChannelAdapter, ChannelContext, ChannelInbox, OutboundMessage, SendResult } from '../channel.ts'
import { classifyGraphError, graphUrl } from './graph.ts'
import { parentSender } from './inbound.types.ts'
import { callProvider, type ProviderFailure } from './provider-http.ts'

/** Messenger's and Instagram's standard messaging window; after it only the HUMAN_AGENT tag (7 days) may reply. */
const STANDARD_WINDOW_MS = 24 * 60 * 60 * 1000
const MAX_TEXT = 2000

function attachmentType(contentType: string): 'image' | 'audio' | 'video' | 'file' {
  if (contentType.startsWith('image/')) return 'image'
  if (contentType.startsWith('audio/')) return 'audio'
  if (contentType.startsWith('video/')) return 'video'
  return 'file'
}

/**
 * Messenger and Instagram share the Send API: `POST {apiBaseUrl}/v21.0/{pageId}/messages`
 * with the page access token (Bearer), the customer's page-scoped id as
 * recipient. Inside 24 hours of the customer's last message a reply is a
 * `RESPONSE`; later it carries the `HUMAN_AGENT` tag (Meta allows 7 days).
 * Files go as multipart `filedata`.
 */
export function createMessagingAdapter(channel: 'messenger' | 'instagram', inbox: ChannelInbox, secrets: Record<string, unknown>, ctx: ChannelContext): ChannelAdapter {
  const config = inbox.config as { pageId?: string; instagramAccountId?: string; apiBaseUrl?: string }
  const token = String(secrets.pageAccessToken ?? '')
  const sender = channel === 'instagram' ? (config.instagramAccountId ?? config.pageId) : config.pageId
  const url = graphUrl(config.apiBaseUrl, `${sender ?? 'me'}/messages`)
  const auth = { authorization: `Bearer ${token}` }

  const idOf = (r: Awaited<ReturnType<typeof callProvider<{ message_id?: string }>>>): { ok: true; id: string } | ProviderFailure => {
    if (!r.ok) return r
    return r.body?.message_id ? { ok: true, id: r.body.message_id } : { ok: false, retryable: false, code: 'PROVIDER_BAD_RESPONSE', message: 'the Send API answered without a message_id' }
  }

  return Object.freeze({
    channel,
    async send(msg: OutboundMessage): Promise<SendResult> {
      if (!token || !sender) return { ok: false, retryable: false, code: 'CHANNEL_MISCONFIGURED', message: `the ${channel} inbox has no page id or page access token` }
      const psid = msg.to.identities.find((i) => i.kind === channel)?.value ?? parentSender(msg.parent, channel)
      if (!psid) return { ok: false, retryable: false, code: 'NO_RECIPIENT', message: `the contact has no ${channel} id (they must write to the page first)` }
      if (msg.text.length > MAX_TEXT) return { ok: false, retryable: false, code: 'MESSAGE_TOO_LONG', message: `${channel} text messages hold at most ${MAX_TEXT} characters; this one has ${msg.text.length}` }
      // Instagram takes images, audio and video only (8 MB for an image); Messenger any file up to 25 MB.
      for (const file of msg.attachments ?? []) {
        const type = attachmentType(file.contentType)
        if (channel === 'instagram' && type === 'file') return { ok: false, retryable: false, code: 'MEDIA_TYPE_UNSUPPORTED', message: `Instagram messages carry images, audio and video only; ${file.filename} is ${file.contentType}` }
        const limit = channel === 'instagram' && type === 'image' ? 8 * 1024 * 1024 : 25 * 1024 * 1024
        if ((file.size ?? 0) > limit) return { ok: false, retryable: false, code: 'MEDIA_TOO_LARGE', message: `${channel} takes ${type} files of at most ${limit} bytes; ${file.filename} has ${file.size}` }
      }
      const last = msg.parent?.metadata.receivedAt
      const inStandardWindow = typeof last === 'string' && Date.now() - new Date(last).getTime() < STANDARD_WINDOW_MS
      const kind = inStandardWindow ? { messaging_type: 'RESPONSE' } : { messaging_type: 'MESSAGE_TAG', tag: 'HUMAN_AGENT' }
      let first: string | null = null
      if (msg.text.trim()) {
        const r = idOf(await callProvider<{ message_id?: string }>({ url, headers: auth, json: { recipient: { id: psid }, ...kind, message: { text: msg.text } }, classify: classifyGraphError, redact: [token] }))
        if (!r.ok) return r
        first = r.id
      }
      for (const file of msg.attachments ?? []) {
        const form = new FormData()
        form.set('recipient', JSON.stringify({ id: psid }))
        for (const [k, v] of Object.entries(kind)) form.set(k, v)
        form.set('message', JSON.stringify({ attachment: { type: attachmentType(file.contentType), payload: { is_reusable: false } } }))
        form.set('filedata', new Blob([await ctx.blobs.get(file.blobKey)], { type: file.contentType }), file.filename)
        const r = idOf(await callProvider<{ message_id?: string }>({ url, headers: auth, form, classify: classifyGraphError, redact: [token], timeoutMs: 60_000 }))
        if (!r.ok) return first ? { ...r, retryable: false, message: `the text was sent (${first}) but a file was not: ${r.message}` } : r
        first ??= r.id
      }
      return first ? { ok: true, externalId: first } : { ok: false, retryable: false, code: 'EMPTY_MESSAGE', message: 'nothing to send' }
    },
  })
}
