import { randomBytes } from 'node:crypto'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { parseForm, twilioSignature } from './twilio-signature.ts'

/**
 * The sandbox Twilio: a local HTTP server that tests (and a developer trying
 * Omnidesk without an account) start in place of api.twilio.com. It speaks
 * Twilio's real shapes both ways:
 *
 * - it accepts `POST /2010-04-01/Accounts/{AccountSid}/Messages.json` with
 *   HTTP basic auth (account SID and auth token) and a form-encoded body, and
 *   answers 201 with Twilio's message JSON (or Twilio's error JSON);
 * - it serves media and recordings at Twilio-like URLs under the same base;
 * - it sends webhooks (inbound SMS/MMS, status callbacks, voice call events)
 *   form-encoded and signed with `X-Twilio-Signature`, exactly as Twilio does.
 *
 * Switches make the next calls fail: `failNext` (a 4xx/5xx/429 with
 * Retry-After), `stallNext` (no answer for a while: a timeout).
 */

export interface SandboxSms {
  sid: string
  accountSid: string
  to: string
  from: string
  body: string
  mediaUrls: string[]
  /** What fetching each MediaUrl gave, as Twilio fetches an MMS's files before sending it (status 0: unreachable). */
  media: Array<{ url: string; status: number; contentType: string | null; data: Buffer }>
  statusCallback: string | null
  /** The Authorization header's user (the account SID it authenticated as). */
  authUser: string
  receivedAt: Date
}

export interface SandboxFailure {
  status: number
  /** Twilio's error code (20429 Too Many Requests, 21211 invalid To…). */
  code?: number
  message?: string
  retryAfterSeconds?: number
}

export interface WebhookResult {
  status: number
  body: string
  headers: http.IncomingHttpHeaders
}

export interface TwilioSandbox {
  /** The base URL to configure as the inbox's `apiBaseUrl`. */
  url: string
  accountSid: string
  authToken: string
  /** Messages the API accepted, oldest first. */
  sent: SandboxSms[]
  /** Every API call, accepted or failed (method, path, status answered). */
  calls: Array<{ method: string; path: string; status: number; body?: string; at: Date }>
  /** The next `times` Messages.json calls answer with this failure. */
  failNext(failure: SandboxFailure, times?: number): void
  /** The next `times` Messages.json calls get no answer for `ms` (the caller times out first). */
  stallNext(ms: number, times?: number): void
  /** Serves bytes at a Twilio-like media URL under the sandbox; returns the URL. */
  addMedia(contentType: string, data: Buffer, kind?: 'Media' | 'Recordings'): string
  /**
   * Requests to URLs under `publicBase` (what Omnidesk's PUBLIC_URL says, as
   * configured in Twilio's console) really go to `localBase` (where the app
   * listens): the proxy in front of Omnidesk. They are still signed with the public URL.
   */
  route(publicBase: string, localBase: string): void
  /** Posts a signed, form-encoded webhook to `url` (signed over `url` itself). `authToken` or `signature` forge one. */
  webhook(url: string, params: Record<string, string | string[]>, opts?: { authToken?: string; signature?: string }): Promise<WebhookResult>
  /** A status callback for a message sent through the sandbox, to its StatusCallback URL. */
  status(sid: string, status: string, extra?: Record<string, string>): Promise<WebhookResult>
  newSid(prefix: 'SM' | 'MM' | 'CA' | 'RE' | 'TR' | 'ME'): string
  close(): Promise<void>
}

const twilioDate = (d: Date) => d.toUTCString().replace('GMT', '+0000')

export async function startTwilioSandbox(opts: { accountSid?: string; authToken?: string } = {}): Promise<TwilioSandbox> {
  const accountSid = opts.accountSid ?? `AC${randomBytes(16).toString('hex')}`
  const authToken = opts.authToken ?? randomBytes(16).toString('hex')
  const sent: SandboxSms[] = []
  const calls: TwilioSandbox['calls'] = []
  const failures: SandboxFailure[] = []
  const stalls: number[] = []
  const media = new Map<string, { contentType: string; data: Buffer }>()
  const newSid = (prefix: string) => `${prefix}${randomBytes(16).toString('hex')}`
  let base = ''

  const json = (res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers })
    res.end(JSON.stringify(body))
  }
  const error = (res: http.ServerResponse, status: number, code: number, message: string, headers: Record<string, string> = {}) =>
    json(res, status, { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status }, headers)

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const path = (req.url ?? '/').split('?')[0] ?? '/'
      const sentBody = req.method === 'POST' ? parseForm(Buffer.concat(chunks)).get('Body')?.[0] : undefined
      const at = new Date()
      const record = (status: number) => calls.push({ method: req.method ?? 'GET', path, status, ...(sentBody !== undefined && { body: sentBody }), at })
      const file = media.get(path)
      if (req.method === 'GET' && file) {
        record(200)
        res.writeHead(200, { 'content-type': file.contentType, 'content-length': String(file.data.length) })
        return res.end(file.data)
      }
      const m = /^\/2010-04-01\/Accounts\/([^/]+)\/Messages\.json$/.exec(path)
      if (req.method !== 'POST' || !m) {
        record(404)
        return error(res, 404, 20404, 'The requested resource was not found')
      }
      const [user, pass] = Buffer.from((req.headers.authorization ?? '').replace(/^Basic /, ''), 'base64').toString().split(':')
      if (user !== accountSid || pass !== authToken || m[1] !== accountSid) {
        record(401)
        return error(res, 401, 20003, 'Authenticate')
      }
      const stall = stalls.shift()
      const answer = async () => {
        const failure = failures.shift()
        if (failure) {
          record(failure.status)
          return error(res, failure.status, failure.code ?? (failure.status === 429 ? 20429 : failure.status >= 500 ? 20500 : 21211), failure.message ?? (failure.status === 429 ? 'Too Many Requests' : 'Request failed'), failure.retryAfterSeconds ? { 'retry-after': String(failure.retryAfterSeconds) } : {})
        }
        const form = parseForm(Buffer.concat(chunks))
        const one = (k: string) => form.get(k)?.[0] ?? ''
        if (!one('To') || (!one('Body') && !form.get('MediaUrl'))) {
          record(400)
          return error(res, 400, 21604, "A 'To' phone number and a 'Body' or 'MediaUrl' are required.")
        }
        const now = new Date()
        const mediaUrls = form.get('MediaUrl') ?? []
        const fetched = await Promise.all(mediaUrls.map(fetchMedia))
        const sms: SandboxSms = { sid: newSid(mediaUrls.length ? 'MM' : 'SM'), accountSid, to: one('To'), from: one('From'), body: one('Body'), mediaUrls, media: fetched, statusCallback: one('StatusCallback') || null, authUser: user, receivedAt: now }
        sent.push(sms)
        record(201)
        json(res, 201, {
          account_sid: accountSid,
          api_version: '2010-04-01',
          body: sms.body,
          date_created: twilioDate(now),
          date_sent: null,
          date_updated: twilioDate(now),
          direction: 'outbound-api',
          error_code: null,
          error_message: null,
          from: sms.from,
          messaging_service_sid: null,
          num_media: String(sms.mediaUrls.length),
          num_segments: '1',
          price: null,
          price_unit: 'USD',
          sid: sms.sid,
          status: 'queued',
          subresource_uris: { media: `/2010-04-01/Accounts/${accountSid}/Messages/${sms.sid}/Media.json` },
          to: sms.to,
          uri: `/2010-04-01/Accounts/${accountSid}/Messages/${sms.sid}.json`,
        })
      }
      if (stall !== undefined) setTimeout(() => void answer(), stall).unref()
      else void answer()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

  const routes: Array<[string, string]> = []
  const deliveryUrl = (url: string) => {
    const r = routes.find(([pub]) => url.startsWith(pub))
    return r ? r[1] + url.slice(r[0].length) : url
  }

  // Twilio fetches each MediaUrl from the public internet: here through the same routes as webhooks.
  async function fetchMedia(url: string): Promise<SandboxSms['media'][number]> {
    try {
      const res = await fetch(deliveryUrl(url), { headers: { 'user-agent': 'TwilioProxy/1.1' } })
      return { url, status: res.status, contentType: res.headers.get('content-type'), data: Buffer.from(await res.arrayBuffer()) }
    } catch {
      return { url, status: 0, contentType: null, data: Buffer.alloc(0) }
    }
  }

  async function webhook(signUrl: string, params: Record<string, string | string[]>, o: { authToken?: string; signature?: string } = {}): Promise<WebhookResult> {
    const form = new URLSearchParams()
    const map = new Map<string, string[]>()
    for (const [k, v] of Object.entries(params)) {
      const values = Array.isArray(v) ? v : [v]
      map.set(k, values)
      for (const value of values) form.append(k, value)
    }
    const signature = o.signature ?? twilioSignature(o.authToken ?? authToken, signUrl, map)
    const res = await fetch(deliveryUrl(signUrl), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature, 'user-agent': 'TwilioProxy/1.1', 'i-twilio-idempotency-token': randomBytes(8).toString('hex') },
      body: form.toString(),
    })
    return { status: res.status, body: await res.text(), headers: Object.fromEntries(res.headers) }
  }

  return {
    url: base,
    accountSid,
    authToken,
    sent,
    calls,
    failNext(failure, times = 1) {
      for (let i = 0; i < times; i++) failures.push(failure)
    },
    stallNext(ms, times = 1) {
      for (let i = 0; i < times; i++) stalls.push(ms)
    },
    addMedia(contentType, data, kind = 'Media') {
      const path = kind === 'Media' ? `/2010-04-01/Accounts/${accountSid}/Messages/${newSid('MM')}/Media/${newSid('ME')}` : `/2010-04-01/Accounts/${accountSid}/Recordings/${newSid('RE')}`
      media.set(path, { contentType, data })
      return `${base}${path}`
    },
    route(publicBase, localBase) {
      routes.push([publicBase.replace(/\/$/, ''), localBase.replace(/\/$/, '')])
    },
    webhook,
    async status(sid, status, extra = {}) {
      const sms = sent.find((s) => s.sid === sid)
      if (!sms?.statusCallback) throw new Error(`message ${sid} was sent without a StatusCallback`)
      const params = { AccountSid: accountSid, ApiVersion: '2010-04-01', From: sms.from, To: sms.to, MessageSid: sid, SmsSid: sid, MessageStatus: status, SmsStatus: status, ...extra }
      return webhook(sms.statusCallback, params)
    },
    newSid,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/** The parameters of an inbound SMS (or MMS, with media URLs) as Twilio posts them. */
export function inboundSmsParams(s: Pick<TwilioSandbox, 'accountSid' | 'newSid'>, m: { from: string; to: string; body: string; mediaUrls?: Array<{ url: string; contentType: string }>; sid?: string }): Record<string, string> {
  const sid = m.sid ?? s.newSid(m.mediaUrls?.length ? 'MM' : 'SM')
  const params: Record<string, string> = {
    ToCountry: 'US',
    ToState: 'WA',
    SmsMessageSid: sid,
    NumMedia: String(m.mediaUrls?.length ?? 0),
    ToCity: 'SEATTLE',
    FromZip: '98101',
    SmsSid: sid,
    FromState: 'WA',
    SmsStatus: 'received',
    FromCity: 'SEATTLE',
    Body: m.body,
    FromCountry: 'US',
    To: m.to,
    ToZip: '98101',
    NumSegments: '1',
    MessageSid: sid,
    AccountSid: s.accountSid,
    From: m.from,
    ApiVersion: '2010-04-01',
  }
  m.mediaUrls?.forEach((media, i) => {
    params[`MediaUrl${i}`] = media.url
    params[`MediaContentType${i}`] = media.contentType
  })
  return params
}
