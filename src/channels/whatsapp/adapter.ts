import type { ChannelAdapter, ChannelContext, ChannelInbox, OutboundMessage, SendResult } from '../channel.ts'
import { classifyGraphError, graphUrl } from '../meta/graph.ts'
import { parentSender } from '../meta/inbound.types.ts'
import { callProvider, type ProviderFailure } from '../meta/provider-http.ts'
import type { WhatsappConfig } from './config.ts'
import type { TemplateSend } from './templates.types.ts'
import { windowState } from './window.ts'

/** WhatsApp's limit on a text message body. */
const MAX_TEXT = 4096

type GraphSendResponse = { messages?: Array<{ id?: string }> }

function mediaType(contentType: string): 'image' | 'audio' | 'video' | 'document' {
  if (/^image\/(jpeg|png)$/.test(contentType)) return 'image'
  if (contentType.startsWith('audio/')) return 'audio'
  if (/^video\/(mp4|3gpp)$/.test(contentType)) return 'video'
  return 'document'
}

/** The Cloud API's size limits for media sent by the business, per type (Meta's "Supported media types"). */
const MEDIA_LIMITS: Record<ReturnType<typeof mediaType>, number> = { image: 5 * 1024 * 1024, audio: 16 * 1024 * 1024, video: 16 * 1024 * 1024, document: 100 * 1024 * 1024 }

/** The first file over its type's limit, as a refusal; null when all fit. Checked before anything is sent, so nothing goes half. */
function oversize(files: NonNullable<OutboundMessage['attachments']>): SendResult | null {
  for (const f of files) {
    const type = mediaType(f.contentType)
    if ((f.size ?? 0) > MEDIA_LIMITS[type])
      return { ok: false, retryable: false, code: 'MEDIA_TOO_LARGE', message: `WhatsApp takes ${type} files of at most ${MEDIA_LIMITS[type]} bytes; ${f.filename} has ${f.size}` }
  }
  return null
}

/** The customer's WhatsApp number as the Cloud API wants it: digits, no `+`. */
function recipientOf(msg: OutboundMessage): string | null {
  const ids = msg.to.identities
  const id = ids.find((i) => i.kind === 'whatsapp') ?? ids.find((i) => i.kind === 'phone')
  const value = id?.value ?? parentSender(msg.parent, 'whatsapp')
  return value ? value.replace(/^\+/, '') : null
}

/**
 * Sends through the WhatsApp Cloud API: `POST {apiBaseUrl}/v21.0/{phoneNumberId}/messages`
 * with the access token as a Bearer token. Free text goes only inside the
 * 24-hour window (from the customer's last message on this inbox, which the
 * delivery job gives as `parent`); a template (metadata.whatsappTemplate) any time.
 * Files are uploaded to `/{phoneNumberId}/media` first and sent by media id.
 */
export function createWhatsappAdapter(inbox: ChannelInbox, secrets: Record<string, unknown>, ctx: ChannelContext): ChannelAdapter {
  const config = inbox.config as Partial<WhatsappConfig>
  const token = String(secrets.accessToken ?? '')
  const phoneNumberId = String(config.phoneNumberId ?? '')
  const base = config.apiBaseUrl
  const auth = { authorization: `Bearer ${token}` }

  async function post(payload: Record<string, unknown>) {
    const r = await callProvider<GraphSendResponse>({ url: graphUrl(base, `${phoneNumberId}/messages`), headers: auth, json: { messaging_product: 'whatsapp', recipient_type: 'individual', ...payload }, classify: classifyGraphError, redact: [token] })
    if (!r.ok) return r
    const id = r.body?.messages?.[0]?.id
    return id ? ({ ok: true, id } as const) : ({ ok: false, retryable: false, code: 'PROVIDER_BAD_RESPONSE', message: 'the Cloud API answered without a message id' } satisfies ProviderFailure)
  }

  async function upload(file: { filename: string; contentType: string; blobKey: string }) {
    const data = await ctx.blobs.get(file.blobKey)
    const form = new FormData()
    form.set('messaging_product', 'whatsapp')
    form.set('type', file.contentType)
    form.set('file', new Blob([data], { type: file.contentType }), file.filename)
    const r = await callProvider<{ id?: string }>({ url: graphUrl(base, `${phoneNumberId}/media`), headers: auth, form, classify: classifyGraphError, redact: [token], timeoutMs: 60_000 })
    if (!r.ok) return r
    return r.body?.id ? ({ ok: true, id: r.body.id } as const) : ({ ok: false, retryable: false, code: 'PROVIDER_BAD_RESPONSE', message: 'the media upload answered without an id' } satisfies ProviderFailure)
  }

  return Object.freeze({
    channel: 'whatsapp',
    async send(msg: OutboundMessage): Promise<SendResult> {
      if (!token || !phoneNumberId) return { ok: false, retryable: false, code: 'CHANNEL_MISCONFIGURED', message: 'the WhatsApp inbox has no phoneNumberId or accessToken' }
      const to = recipientOf(msg)
      if (!to) return { ok: false, retryable: false, code: 'NO_RECIPIENT', message: 'the contact has no WhatsApp number or phone number' }
      const template = msg.metadata?.whatsappTemplate as TemplateSend | undefined
      if (template) {
        const r = await post({
          to,
          type: 'template',
          template: { name: template.name, language: { code: template.language }, ...(template.variables.length > 0 && { components: [{ type: 'body', parameters: template.variables.map((text) => ({ type: 'text', text })) }] }) },
        })
        return r.ok ? { ok: true, externalId: r.id } : r
      }
      const window = windowState(msg.parent?.metadata.receivedAt as string | undefined)
      if (!window.open)
        return {
          ok: false,
          retryable: false,
          code: 'WHATSAPP_WINDOW_CLOSED',
          message: window.closesAt
            ? `the 24-hour customer-service window closed at ${window.closesAt}: send an approved template instead`
            : 'the customer has not written to this WhatsApp number yet: send an approved template instead',
          details: { ...window },
        }
      if (msg.text.length > MAX_TEXT) return { ok: false, retryable: false, code: 'MESSAGE_TOO_LONG', message: `WhatsApp text messages hold at most ${MAX_TEXT} characters; this one has ${msg.text.length}` }
      const tooBig = oversize(msg.attachments ?? [])
      if (tooBig) return tooBig
      let first: string | null = null
      if (msg.text.trim()) {
        const r = await post({ to, type: 'text', text: { body: msg.text, preview_url: false } })
        if (!r.ok) return r
        first = r.id
      }
      for (const file of msg.attachments ?? []) {
        const up = await upload(file)
        if (!up.ok) return first ? { ...up, retryable: false, message: `the text was sent (${first}) but a file was not: ${up.message}` } : up
        const type = mediaType(file.contentType)
        const r = await post({ to, type, [type]: { id: up.id, ...(type === 'document' && { filename: file.filename }) } })
        if (!r.ok) return first ? { ...r, retryable: false, message: `the text was sent (${first}) but a file was not: ${r.message}` } : r
        first ??= r.id
      }
      return first ? { ok: true, externalId: first } : { ok: false, retryable: false, code: 'EMPTY_MESSAGE', message: 'nothing to send' }
    },
  })
}
