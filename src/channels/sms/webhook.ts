import { ZodError } from 'zod'
import { type Actor, systemActor } from '../../platform/auth/actor.ts'
import type { Tx } from '../../platform/db/tenant.ts'
import { AppError } from '../../platform/errors.ts'
import { appendEvent } from '../../platform/events/events.ts'
import type { Platform } from '../../platform/platform.ts'
import { setConsent } from '../../modules/contacts/index.ts'
import { type InboundMessage, type IngestResult, latestOpenConversation, type ProviderStatusOutcome, type ProviderStatusReport } from '../../modules/conversations/index.ts'
import type { ResolvedInbox } from '../channel.ts'
import type { WebhookRecorder } from '../health.ts'
import type { WebhookAnswer, WebhookDefinition, WebhookRequest } from '../webhooks.ts'
import { TWILIO_API_BASE_URL } from './adapter.ts'
import { keywordOf } from './keywords.ts'
import { fetchMedia, mediaFilename } from './media.ts'
import { deliveryStatusOf, describeTwilioError, type InboundSms, parseSmsWebhook, type StatusCallback } from './payloads.ts'
import { createSenderLimiter } from './rate-limit.ts'
import { parseForm, type TwilioParams, verifyTwilioSignature } from './twilio-signature.ts'

/** What Twilio expects back from a messaging webhook: TwiML that asks for nothing more. */
export const EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'
export const twiml = (body: string): WebhookAnswer => ({ status: 200, body, contentType: 'text/xml; charset=utf-8' })

export interface SmsWebhookDeps {
  conversations: {
    ingestInboundInTx(trx: Tx, actor: Actor, input: InboundMessage): Promise<IngestResult>
    recordProviderStatus(actor: Actor, report: ProviderStatusReport): Promise<ProviderStatusOutcome>
  }
  contacts: { resolveContactInTx(trx: Tx, actor: Actor, input: { phone?: string }): Promise<{ contactId: string }> }
  health: WebhookRecorder
}

/**
 * The URL Twilio signed: PUBLIC_URL (behind a proxy, what the console was
 * given) followed by the path and query as received; without it, the Host
 * the request came to, over the scheme a proxy says (X-Forwarded-Proto) or http.
 */
export function signedUrl(publicUrl: string | undefined, request: Pick<WebhookRequest, 'headers' | 'url'>): string {
  if (publicUrl) return publicUrl.replace(/\/$/, '') + request.url
  const header = (name: string) => {
    const v = request.headers[name]
    return (Array.isArray(v) ? v[0] : v)?.split(',')[0]?.trim()
  }
  return `${header('x-forwarded-proto') ?? 'http'}://${header('x-forwarded-host') ?? header('host') ?? 'localhost'}${request.url}`
}

/**
 * Checks `X-Twilio-Signature` with the inbox's auth token over the URL and
 * the form parameters; records the arrival for channel health; throws 401
 * `WEBHOOK_SIGNATURE_INVALID` (nothing stored) when it does not match.
 */
export async function verifyTwilioRequest(p: Pick<Platform, 'config'>, health: WebhookRecorder, inbox: ResolvedInbox, request: WebhookRequest): Promise<TwilioParams> {
  const token = typeof inbox.secrets.authToken === 'string' ? inbox.secrets.authToken : ''
  const params = parseForm(request.body)
  const header = request.headers['x-twilio-signature']
  const signature = Array.isArray(header) ? header[0] : header
  if (!token || !verifyTwilioSignature(token, signature, signedUrl(p.config.publicUrl, request), params)) {
    await health(inbox.workspaceId, inbox.id, false)
    throw new AppError(
      'WEBHOOK_SIGNATURE_INVALID',
      token ? 'The X-Twilio-Signature header does not match this request (check the auth token and that PUBLIC_URL is the URL configured at Twilio)' : 'This inbox has no authToken to check Twilio signatures with',
    )
  }
  await health(inbox.workspaceId, inbox.id, true)
  return params
}

const invalidPayload = (err: ZodError) =>
  new AppError('VALIDATION_FAILED', `Not a Twilio messaging webhook: ${err.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`, err.issues.map((i) => ({ field: `body.${i.path.join('.')}`, message: i.message })))

/** Twilio's SMS webhook, `POST /webhooks/twilio/:inboxId`: inbound SMS/MMS and status callbacks. */
export function createSmsWebhook(p: Platform, deps: SmsWebhookDeps): WebhookDefinition {
  const limiter = createSenderLimiter(p.config.smsInboundRateLimit)

  async function receiveMessage(inbox: ResolvedInbox, m: InboundSms): Promise<WebhookAnswer> {
    const wait = limiter.take(`${inbox.id}:${m.From}`, m.MessageSid)
    if (wait > 0) throw new AppError('RATE_LIMITED', `Too many messages from ${m.From} to this inbox: the limit is ${p.config.smsInboundRateLimit} a minute; retry in ${wait} s`, { retryAfterSeconds: wait })
    const actor = systemActor(inbox.workspaceId, 'Twilio SMS')
    const config = inbox.config as { accountSid?: string; apiBaseUrl?: string }
    const token = inbox.secrets.authToken as string
    // Media first, with no transaction open: a slow CDN must not hold the database.
    const media = m.media.length
      ? await fetchMedia(p.blobs, m.media.map((x, i) => ({ ...x, filename: mediaFilename('mms', i, x.contentType) })), {
          workspaceId: inbox.workspaceId,
          allowedOrigin: new URL(config.apiBaseUrl ?? TWILIO_API_BASE_URL).origin,
          auth: config.accountSid ? { user: config.accountSid, password: token } : undefined,
        })
      : { stored: [], failed: [] }
    const keyword = keywordOf(m.Body)
    const text = m.Body.trim() ? m.Body : `(MMS with ${m.media.length} file${m.media.length === 1 ? '' : 's'})`
    let result: IngestResult
    try {
      result = await p.tx(actor, async (trx) => {
        const { contactId } = await deps.contacts.resolveContactInTx(trx, actor, { phone: m.From })
        // SMS has no threads: a text joins the contact's latest case through this inbox unless it is closed.
        const open = await latestOpenConversation(trx, inbox.workspaceId, inbox.id, contactId)
        const r = await deps.conversations.ingestInboundInTx(trx, actor, {
          inboxId: inbox.id,
          contact: { phone: m.From },
          text,
          providerMessageId: m.MessageSid,
          conversationId: open ?? undefined,
          reopenWindowDays: 7,
          threading: open ? { rule: 'sms-sender', reason: `an SMS from ${m.From} joins their latest case through this number` } : undefined,
          attachments: media.stored,
          metadata: {
            sms: { from: m.From, to: m.To, segments: m.NumSegments ?? null, ...(keyword && { keyword: keyword.keyword }), ...(media.failed.length > 0 && { mediaNotFetched: media.failed }) },
          },
        })
        if (!r.duplicate && keyword && keyword.action !== 'help') {
          const status = keyword.action === 'opt-out' ? 'withdrawn' : 'granted'
          const before = await setConsent(trx, inbox.workspaceId, { contactId: r.conversation.contactId, channel: 'sms', status, source: 'keyword', keyword: keyword.keyword, identity: m.From, inboxId: inbox.id })
          if (before !== status)
            await appendEvent(trx, actor, { type: 'contact.consent-changed', conversationId: r.conversation.id, contactId: r.conversation.contactId, payload: { channel: 'sms', status, keyword: keyword.keyword, identity: m.From, inboxId: inbox.id, messageId: r.message.id } })
        }
        return r
      })
    } catch (err) {
      await Promise.all(media.stored.map((f) => p.blobs.delete(f.blobKey).catch(() => undefined)))
      throw err
    }
    // A replay stored nothing: its fetched files are not referenced.
    if (result.duplicate) await Promise.all(media.stored.map((f) => p.blobs.delete(f.blobKey).catch(() => undefined)))
    return twiml(EMPTY_TWIML)
  }

  async function receiveStatus(inbox: ResolvedInbox, s: StatusCallback, query: WebhookRequest['query']): Promise<WebhookAnswer> {
    const status = deliveryStatusOf(s.MessageStatus)
    if (!status) return { status: 204 }
    const messageId = typeof query.messageId === 'string' && /^[0-9a-f-]{36}$/i.test(query.messageId) ? query.messageId : undefined
    const outcome = await deps.conversations.recordProviderStatus(systemActor(inbox.workspaceId, 'Twilio SMS'), {
      inboxId: inbox.id,
      messageId,
      providerMessageId: s.MessageSid,
      status,
      providerStatus: s.MessageStatus,
      error: status === 'failed' ? describeTwilioError(s.ErrorCode, s.ErrorMessage) : null,
      errorCode: s.ErrorCode ?? null,
    })
    if (outcome === 'unknown-message') p.logger.warn({ inboxId: inbox.id, messageSid: s.MessageSid }, 'Twilio status callback for a message this inbox did not send')
    return { status: 204 }
  }

  return {
    provider: 'twilio',
    channels: ['sms'],
    async receive({ inbox, request }) {
      const params = await verifyTwilioRequest(p, deps.health, inbox, request)
      let hook
      try {
        hook = parseSmsWebhook(params)
      } catch (err) {
        if (err instanceof ZodError) throw invalidPayload(err)
        throw err
      }
      return hook.kind === 'status' ? receiveStatus(inbox, hook.status, request.query) : receiveMessage(inbox, hook.message)
    },
  }
}
