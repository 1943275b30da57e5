import { randomBytes } from 'node:crypto'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { signMetaPayload } from './signature.ts'

/**
 * A local stand-in for Meta's Graph API (WhatsApp Cloud API, Messenger and
 * Instagram Send API), for tests and demos: point an inbox's `apiBaseUrl` at
 * `sandbox.url`. It accepts calls in their real shapes and answers as Meta
 * does, keeps every call for assertions, serves media, can be told to fail,
 * and signs webhooks with the real X-Hub-Signature-256 algorithm.
 */
export interface SandboxCall {
  method: string
  path: string
  headers: http.IncomingHttpHeaders
  /** The JSON body, or the multipart fields (files as { filename, type, size }). */
  body: Record<string, unknown>
}

interface Failure {
  status: number
  body: unknown
  headers?: Record<string, string>
}

export interface MetaSandbox {
  url: string
  calls: SandboxCall[]
  /** Calls to a path ending with this suffix (e.g. `/messages`). */
  callsTo(suffix: string): SandboxCall[]
  /** The access token the API accepts; others get Graph error 190. Undefined: any. */
  expectToken: string | undefined
  /** The next `times` API calls fail with this answer (429 + Retry-After, 500, a Graph error…). */
  failNext(times: number, failure: Failure): void
  /** Makes a file downloadable as WhatsApp media (by id) and at `${url}/cdn/<name>` (Messenger/Instagram). */
  addMedia(id: string, data: Buffer, mimeType: string): { mediaId: string; cdnUrl: string }
  /** Answers the next calls only after `ms` (timeouts). */
  delayMs: number
  close(): Promise<void>
}

const graphError = (code: number, message: string, status = 400) => ({ status, body: { error: { message, type: 'OAuthException', code, fbtrace_id: randomBytes(6).toString('hex') } } })

async function readBody(req: http.IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const c of req) chunks.push(c as Buffer)
  return Buffer.concat(chunks)
}

async function parseBody(req: http.IncomingMessage, raw: Buffer): Promise<Record<string, unknown>> {
  const type = req.headers['content-type'] ?? ''
  if (type.startsWith('multipart/form-data')) {
    const form = await new Request('http://sandbox.local/', { method: 'POST', headers: { 'content-type': type }, body: raw }).formData()
    const out: Record<string, unknown> = {}
    for (const [k, v] of form.entries()) out[k] = typeof v === 'string' ? v : { filename: v.name, type: v.type, size: v.size, text: Buffer.from(await v.arrayBuffer()).toString('latin1').slice(0, 200) }
    return out
  }
  if (type.includes('json') && raw.length > 0) return JSON.parse(raw.toString('utf8')) as Record<string, unknown>
  return {}
}

export async function startMetaSandbox(): Promise<MetaSandbox> {
  const calls: SandboxCall[] = []
  const failures: Failure[] = []
  const media = new Map<string, { data: Buffer; mimeType: string }>()
  const state = { expectToken: undefined as string | undefined, delayMs: 0 }
  let url = ''

  const server = http.createServer(async (req, res) => {
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      if (Buffer.isBuffer(body)) {
        res.writeHead(status, { 'content-length': body.length, ...headers })
        res.end(body)
        return
      }
      const text = JSON.stringify(body)
      res.writeHead(status, { 'content-type': 'application/json', ...headers })
      res.end(text)
    }
    try {
      const raw = await readBody(req)
      const path = new URL(req.url ?? '/', 'http://sandbox.local').pathname
      // Media bytes (WhatsApp's lookaside URL wants the token; Messenger's CDN does not).
      if (req.method === 'GET' && (path.startsWith('/media/') || path.startsWith('/cdn/'))) {
        const file = media.get(decodeURIComponent(path.split('/')[2] ?? ''))
        if (!file) return send(404, { error: 'no such media' })
        if (path.startsWith('/media/') && state.expectToken && req.headers.authorization !== `Bearer ${state.expectToken}`) return send(401, graphError(190, 'Invalid OAuth access token').body)
        return send(200, file.data, { 'content-type': file.mimeType })
      }
      const body = await parseBody(req, raw)
      calls.push({ method: req.method ?? 'GET', path, headers: req.headers, body })
      if (state.delayMs > 0) await new Promise((r) => setTimeout(r, state.delayMs))
      const fail = failures.shift()
      if (fail) return send(fail.status, fail.body, fail.headers)
      if (state.expectToken && req.headers.authorization !== `Bearer ${state.expectToken}`) {
        const e = graphError(190, 'Invalid OAuth access token - Cannot parse access token', 401)
        return send(e.status, e.body)
      }
      const parts = path.split('/').filter(Boolean) // ['v21.0', '<id>', 'messages' | 'media'] or ['v21.0', '<media id>']
      if (!/^v\d+\.\d+$/.test(parts[0] ?? '')) return send(404, graphError(803, 'Unknown path components').body)
      if (req.method === 'GET' && parts.length === 2) {
        const file = media.get(parts[1] ?? '')
        if (!file) return send(404, graphError(100, 'Unsupported get request. Object does not exist').body)
        return send(200, { messaging_product: 'whatsapp', url: `${url}/media/${encodeURIComponent(parts[1] ?? '')}`, mime_type: file.mimeType, sha256: 'sandbox', file_size: file.data.length, id: parts[1] })
      }
      if (req.method === 'POST' && parts[2] === 'media') {
        if (body.messaging_product !== 'whatsapp' || typeof body.file !== 'object') return send(400, graphError(100, 'Invalid parameter: file and messaging_product are required').body)
        return send(200, { id: `${Date.now()}${randomBytes(4).readUInt32BE()}` })
      }
      if (req.method === 'POST' && parts[2] === 'messages') {
        if (body.messaging_product === 'whatsapp') {
          if (typeof body.to !== 'string' || typeof body.type !== 'string') return send(400, graphError(100, 'Invalid parameter: to and type are required').body)
          return send(200, { messaging_product: 'whatsapp', contacts: [{ input: body.to, wa_id: body.to }], messages: [{ id: `wamid.${randomBytes(12).toString('base64url')}` }] })
        }
        const recipient = typeof body.recipient === 'string' ? (JSON.parse(body.recipient) as { id?: string }) : (body.recipient as { id?: string } | undefined)
        if (!recipient?.id || !body.message) return send(400, graphError(100, 'The parameter recipient is required').body)
        return send(200, { recipient_id: recipient.id, message_id: `m_${randomBytes(16).toString('base64url')}` })
      }
      return send(404, graphError(803, 'Unknown path components').body)
    } catch (err) {
      send(500, { error: { message: String(err), code: 2 } })
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    url,
    calls,
    callsTo: (suffix) => calls.filter((c) => c.path.endsWith(suffix)),
    get expectToken() {
      return state.expectToken
    },
    set expectToken(v) {
      state.expectToken = v
    },
    get delayMs() {
      return state.delayMs
    },
    set delayMs(v) {
      state.delayMs = v
    },
    failNext(times, failure) {
      for (let i = 0; i < times; i++) failures.push(failure)
    },
    addMedia(id, data, mimeType) {
      media.set(id, { data, mimeType })
      return { mediaId: id, cdnUrl: `${url}/cdn/${encodeURIComponent(id)}` }
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/** A webhook body as Meta sends it, with its signature header. */
export function signedWebhook(payload: unknown, appSecret: string): { body: string; headers: Record<string, string> } {
  const body = JSON.stringify(payload)
  return { body, headers: { 'content-type': 'application/json', 'x-hub-signature-256': signMetaPayload(appSecret, body) } }
}

/** A WhatsApp Cloud API `messages` webhook carrying these messages and statuses. */
export function whatsappPayload(phoneNumberId: string, opts: { messages?: Array<Record<string, unknown>>; statuses?: Array<Record<string, unknown>>; contacts?: Array<{ wa_id: string; name: string }> }) {
  return {
    object: 'whatsapp_business_account',
    entry: [
      {
        id: 'WABA-SANDBOX',
        changes: [
          {
            field: 'messages',
            value: {
              messaging_product: 'whatsapp',
              metadata: { display_phone_number: '15550000000', phone_number_id: phoneNumberId },
              ...(opts.contacts && { contacts: opts.contacts.map((c) => ({ wa_id: c.wa_id, profile: { name: c.name } })) }),
              ...(opts.messages && { messages: opts.messages }),
              ...(opts.statuses && { statuses: opts.statuses }),
            },
          },
        ],
      },
    ],
  }
}

/** A Messenger (`page`) or Instagram (`instagram`) webhook with these messaging events. */
export function messagingPayload(object: 'page' | 'instagram', accountId: string, messaging: Array<Record<string, unknown>>) {
  return { object, entry: [{ id: accountId, time: Date.now(), messaging }] }
}
