import type { z } from 'zod'
import { AppError } from '../../platform/errors.ts'
import type { ResolvedInbox } from '../channel.ts'
import type { WebhookDefinition, WebhookHandlerInput } from '../webhooks.ts'
import { fallbackFilename, graphHandshake, graphUrl } from './graph.ts'
import { messagingItems, messagingWebhookSchema, whatsappItems, whatsappWebhookSchema } from './graph-webhook.ts'
import type { InboundItem } from './inbound.types.ts'
import { MAX_INBOUND_MEDIA_BYTES, type MediaFetcher, type MessagingInbound } from './inbound.worker.ts'
import { callProvider, downloadCapped } from './provider-http.ts'
import { META_SIGNATURE_HEADER, secretEquals, verifyMetaSignature } from './signature.ts'

/** Parses a verified body as JSON and then with `schema`; 400 for anything else. */
export function parseJsonBody<S extends z.ZodType>(body: Buffer, schema: S): z.infer<S> {
  let json: unknown
  try {
    json = JSON.parse(body.toString('utf8'))
  } catch {
    throw new AppError('INVALID_JSON', 'The webhook body is not JSON')
  }
  const parsed = schema.safeParse(json)
  if (!parsed.success)
    throw new AppError('VALIDATION_FAILED', 'The webhook payload does not have the expected shape', parsed.error.issues.slice(0, 10).map((i) => ({ field: `body.${i.path.join('.')}`, message: i.message })))
  return parsed.data
}

/** Told of every webhook whose signature was checked (for the inbox's health). */
export type WebhookObserver = (inbox: ResolvedInbox, accepted: boolean) => void

/** Refuses a request whose X-Hub-Signature-256 is not the app secret's HMAC of its bytes: 401, nothing stored. */
function verifyMeta(input: WebhookHandlerInput, observe: WebhookObserver | undefined): void {
  const secret = input.inbox.secrets.appSecret
  const ok = typeof secret === 'string' && verifyMetaSignature(secret, input.request.body, input.request.headers[META_SIGNATURE_HEADER])
  observe?.(input.inbox, ok)
  if (!ok) throw new AppError('WEBHOOK_SIGNATURE_INVALID', 'X-Hub-Signature-256 is missing or is not the HMAC-SHA256 of the body with the app secret')
}

const handshake = async (input: WebhookHandlerInput) => {
  const token = input.inbox.secrets.verifyToken
  return graphHandshake(input.request.query, typeof token === 'string' ? token : undefined, secretEquals)
}

/** Meta waits for a 200 and retries otherwise; the items are stored by the job queue. */
const received = { status: 200, body: 'EVENT_RECEIVED' }

export function metaWebhooks(inbound: MessagingInbound, observe?: WebhookObserver): WebhookDefinition[] {
  const receiveWith = (items: (inbox: ResolvedInbox, body: Buffer) => InboundItem[]) => async (input: WebhookHandlerInput) => {
    verifyMeta(input, observe)
    await inbound.enqueue(input.inbox, items(input.inbox, input.request.body))
    return received
  }
  return [
    {
      provider: 'whatsapp',
      channels: ['whatsapp'],
      handshake,
      receive: receiveWith((inbox, body) => whatsappItems(parseJsonBody(body, whatsappWebhookSchema), String(inbox.config.phoneNumberId ?? ''))),
    },
    {
      provider: 'messenger',
      channels: ['messenger'],
      handshake,
      receive: receiveWith((inbox, body) => {
        const payload = parseJsonBody(body, messagingWebhookSchema)
        if (payload.object !== 'page') throw new AppError('VALIDATION_FAILED', 'A Messenger webhook has object "page"', [{ field: 'body.object', message: 'must be "page"' }])
        return messagingItems(payload, 'messenger', [String(inbox.config.pageId ?? '')])
      }),
    },
    {
      provider: 'instagram',
      channels: ['instagram'],
      handshake,
      receive: receiveWith((inbox, body) => {
        const payload = parseJsonBody(body, messagingWebhookSchema)
        if (payload.object !== 'instagram') throw new AppError('VALIDATION_FAILED', 'An Instagram webhook has object "instagram"', [{ field: 'body.object', message: 'must be "instagram"' }])
        return messagingItems(payload, 'instagram', [inbox.config.instagramAccountId, inbox.config.pageId].filter((x): x is string => typeof x === 'string'))
      }),
    },
  ]
}

/** WhatsApp media: look the media id up (`GET /{media-id}` gives a short-lived URL), then download it with the token. */
export const whatsappMediaFetcher: MediaFetcher = async (inbox, media) => {
  const token = String(inbox.secrets.accessToken ?? '')
  const base = inbox.config.apiBaseUrl as string | undefined
  const info = await callProvider<{ url?: string; mime_type?: string; file_size?: number }>({ url: graphUrl(base, encodeURIComponent(media.ref)), headers: { authorization: `Bearer ${token}` }, redact: [token] })
  if (!info.ok) return { ...info, code: 'MEDIA_DOWNLOAD_FAILED' }
  if (!info.body?.url) return { ok: false, retryable: false, code: 'MEDIA_DOWNLOAD_FAILED', message: 'the media lookup gave no URL' }
  if ((info.body.file_size ?? 0) > MAX_INBOUND_MEDIA_BYTES) return { ok: false, retryable: false, code: 'MEDIA_TOO_LARGE', message: `media of ${info.body.file_size} bytes exceeds the limit of ${MAX_INBOUND_MEDIA_BYTES}` }
  const got = await downloadCapped(info.body.url, { headers: { authorization: `Bearer ${token}` }, maxBytes: MAX_INBOUND_MEDIA_BYTES, redact: [token] })
  if (!got.ok) return got
  const contentType = media.contentType ?? info.body.mime_type ?? got.contentType ?? 'application/octet-stream'
  return { ok: true, data: got.data, contentType, filename: media.filename ?? fallbackFilename(media.kind, contentType) }
}

/** Messenger / Instagram attachments come as CDN URLs in the (signed) payload. */
export const urlMediaFetcher: MediaFetcher = async (_inbox, media) => {
  if (!/^https?:\/\//i.test(media.ref)) return { ok: false, retryable: false, code: 'MEDIA_DOWNLOAD_FAILED', message: 'the attachment has no http(s) URL' }
  const got = await downloadCapped(media.ref, { maxBytes: MAX_INBOUND_MEDIA_BYTES })
  if (!got.ok) return got
  const contentType = got.contentType?.split(';')[0] ?? 'application/octet-stream'
  const fromUrl = decodeURIComponent(new URL(media.ref).pathname.split('/').pop() ?? '')
  return { ok: true, data: got.data, contentType, filename: /\.[a-z0-9]{1,8}$/i.test(fromUrl) ? fromUrl.slice(0, 200) : fallbackFilename(media.kind, contentType) }
}
