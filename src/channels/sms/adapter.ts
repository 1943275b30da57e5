import type { ChannelAdapter, OutboundMessage, SendResult } from '../channel.ts'
import { retryAfterSeconds } from '../meta/provider-http.ts'

/** Twilio's public REST API. */
export const TWILIO_API_BASE_URL = 'https://api.twilio.com'

/** A send that has not been answered in this long is abandoned as a (retryable) timeout. */
export const DEFAULT_SEND_TIMEOUT_MS = 10_000

/** What the outbound adapter needs of an SMS inbox's settings (secrets decrypted). */
export interface TwilioSmsSettings {
  provider: 'twilio' | 'sandbox'
  phoneNumber: string
  accountSid?: string | undefined
  authToken?: string | undefined
  apiBaseUrl?: string | undefined
  /** Where Twilio should post this message's status callbacks (built from PUBLIC_URL); none without it. */
  statusCallbackUrl?: ((messageId: string) => string) | undefined
  /** A signed, expiring public URL Twilio fetches an attachment from (built from PUBLIC_URL); none without it, so no MMS. */
  mediaUrl?: ((file: { blobKey: string; contentType: string; filename: string }) => string) | undefined
}

/** Twilio's MMS limits: at most 10 files, 5 MB in all. */
export const MMS_MAX_FILES = 10
export const MMS_MAX_BYTES = 5 * 1024 * 1024

type Failure = Extract<SendResult, { ok: false }>

/** Twilio's error body: `{ code, message, more_info, status }`. */
interface TwilioError {
  code?: number
  message?: string
}

/** The recipient: the number the customer last wrote from, if it is still theirs, else their first phone number. */
export function recipientOf(msg: OutboundMessage): string | null {
  const phones = msg.to.identities.filter((i) => i.kind === 'phone' && !i.undeliverable).map((i) => i.value)
  const from = (msg.parent?.metadata.sms as { from?: unknown } | undefined)?.from
  if (typeof from === 'string' && phones.includes(from)) return from
  return phones[0] ?? null
}

/**
 * What Twilio's answer means for delivery: 429 (with its Retry-After) and 5xx
 * are temporary, 401/403 a credentials problem, other 4xx a refusal of this
 * message (bad number, unsubscribed recipient…), each with Twilio's code.
 */
export function classifyTwilioResponse(status: number, body: TwilioError | null, retryAfter: string | null): Failure {
  const twilio = body?.code ? ` (Twilio error ${body.code}${body.message ? `: ${body.message}` : ''})` : body?.message ? ` (${body.message})` : ''
  const details = { httpStatus: status, ...(body?.code && { twilioCode: body.code }), ...(retryAfter && { retryAfter }) }
  const seconds = retryAfterSeconds(retryAfter)
  const wait = seconds !== null && seconds > 0 ? { retryAfterSeconds: seconds } : {}
  if (status === 429) return { ok: false, retryable: true, code: 'PROVIDER_RATE_LIMITED', message: `Twilio is rate limiting this account${retryAfter ? `; it asks to retry after ${retryAfter} s` : ''}${twilio}`, details, ...wait }
  if (status >= 500) return { ok: false, retryable: true, code: 'PROVIDER_UNAVAILABLE', message: `Twilio answered ${status}${twilio}${retryAfter ? `; it asks to retry after ${retryAfter} s` : ''}`, details, ...wait }
  if (status === 401 || status === 403) return { ok: false, retryable: false, code: 'PROVIDER_AUTH_FAILED', message: `Twilio refused the account SID and auth token (${status})${twilio}`, details }
  // 21610: the recipient replied STOP to this number; Twilio itself blocks sends until they reply START.
  if (body?.code === 21610) return { ok: false, retryable: false, code: 'CONSENT_WITHDRAWN', message: `The recipient has unsubscribed from this number (replied STOP)${twilio}`, details }
  return { ok: false, retryable: false, code: 'PROVIDER_REJECTED', message: `Twilio refused the message (${status})${twilio}`, details }
}

/** The MediaUrl of each file, within Twilio's MMS limits; a clear refusal otherwise. */
function mmsMedia(files: NonNullable<OutboundMessage['attachments']>, mediaUrl: TwilioSmsSettings['mediaUrl']): { ok: true; urls: string[] } | Failure {
  if (files.length === 0) return { ok: true, urls: [] }
  if (!mediaUrl) return { ok: false, retryable: false, code: 'MEDIA_NEEDS_PUBLIC_URL', message: 'files go by MMS as links Twilio fetches, under PUBLIC_URL; set PUBLIC_URL to send them' }
  if (files.length > MMS_MAX_FILES) return { ok: false, retryable: false, code: 'MEDIA_TOO_LARGE', message: `an MMS holds at most ${MMS_MAX_FILES} files; this message has ${files.length}` }
  const total = files.reduce((n, f) => n + (f.size ?? 0), 0)
  if (total > MMS_MAX_BYTES) return { ok: false, retryable: false, code: 'MEDIA_TOO_LARGE', message: `an MMS holds at most ${MMS_MAX_BYTES} bytes of files; this message has ${total}` }
  return { ok: true, urls: files.map((f) => mediaUrl(f)) }
}

/** A network failure or our timeout: worth trying again. */
function classifyFetchError(err: unknown, timeoutMs: number): Failure {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } }
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return { ok: false, retryable: true, code: 'PROVIDER_TIMEOUT', message: `Twilio did not answer within ${timeoutMs} ms` }
  return { ok: false, retryable: true, code: 'PROVIDER_UNREACHABLE', message: `Twilio could not be reached: ${e.cause?.code ?? e.cause?.message ?? e.message ?? String(err)}` }
}

/**
 * The SMS channel's outbound adapter for Twilio's Messages API:
 * `POST {apiBaseUrl}/2010-04-01/Accounts/{AccountSid}/Messages.json`, basic
 * auth with the account SID and auth token, form-encoded To/From/Body and
 * StatusCallback. Never throws: every failure is a SendResult, and retries,
 * backoff and the circuit breaker are the delivery job's (as for email).
 */
export function createTwilioSmsAdapter(s: TwilioSmsSettings, opts: { timeoutMs?: number } = {}): ChannelAdapter {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_SEND_TIMEOUT_MS
  const base = (s.apiBaseUrl ?? (s.provider === 'twilio' ? TWILIO_API_BASE_URL : '')).replace(/\/$/, '')
  return Object.freeze({
    channel: 'sms',
    async send(msg: OutboundMessage): Promise<SendResult> {
      // The sandbox provider without a sandbox server to talk to: nothing leaves, and the message says so.
      if (!base) return { ok: false, retryable: false, code: 'NO_OUTBOUND_SERVER', message: 'not delivered: the sandbox SMS provider has no apiBaseUrl to send to', notDelivered: true }
      if (!s.accountSid || !s.authToken) return { ok: false, retryable: false, code: 'PROVIDER_NOT_CONFIGURED', message: 'the SMS inbox needs accountSid and authToken to send' }
      const to = recipientOf(msg)
      if (!to) return { ok: false, retryable: false, code: 'NO_RECIPIENT', message: 'the contact has no phone number' }
      const files = msg.attachments ?? []
      if (!msg.text.trim() && files.length === 0) return { ok: false, retryable: false, code: 'EMPTY_MESSAGE', message: 'an SMS needs text or a file' }
      const media = mmsMedia(files, s.mediaUrl)
      if (!media.ok) return media
      const form = new URLSearchParams({ To: to, From: s.phoneNumber, Body: msg.text })
      for (const url of media.urls) form.append('MediaUrl', url)
      if (s.statusCallbackUrl) form.set('StatusCallback', s.statusCallbackUrl(msg.messageId))
      let res: Response
      try {
        res = await fetch(`${base}/2010-04-01/Accounts/${encodeURIComponent(s.accountSid)}/Messages.json`, {
          method: 'POST',
          headers: {
            authorization: `Basic ${Buffer.from(`${s.accountSid}:${s.authToken}`).toString('base64')}`,
            'content-type': 'application/x-www-form-urlencoded',
            accept: 'application/json',
          },
          body: form.toString(),
          signal: AbortSignal.timeout(timeoutMs),
        })
      } catch (err) {
        return classifyFetchError(err, timeoutMs)
      }
      let body: { sid?: unknown } & TwilioError = {}
      try {
        body = (await res.json()) as typeof body
      } catch (err) {
        if (res.ok) return classifyFetchError(err, timeoutMs)
      }
      if (!res.ok) return classifyTwilioResponse(res.status, body, res.headers.get('retry-after'))
      if (typeof body.sid !== 'string') return { ok: false, retryable: true, code: 'PROVIDER_BAD_RESPONSE', message: 'Twilio accepted the message but its answer had no sid' }
      return { ok: true, externalId: body.sid }
    },
  })
}
