import http from 'node:http'
import type { AddressInfo } from 'node:net'

/**
 * A local stand-in for Telegram's Bot API, for tests and demos: point an
 * inbox's `apiBaseUrl` at `sandbox.url`. It answers `/bot<token>/<method>`
 * (setWebhook, getWebhookInfo, sendMessage, sendDocument, getFile) and
 * `/file/bot<token>/<path>` as Telegram does, keeps every call, and builds
 * updates signed the way Telegram signs them (the secret token header).
 */
export interface BotCall {
  method: string
  token: string
  body: Record<string, unknown>
}

export interface TelegramSandbox {
  url: string
  calls: BotCall[]
  callsOf(method: string): BotCall[]
  /** The bot's token: any other gets 401 Unauthorized. */
  token: string
  /** What setWebhook last set. */
  webhook: { url: string; secretToken: string | null } | null
  failNext(times: number, failure: { status: number; description: string; retryAfter?: number }): void
  addFile(fileId: string, data: Buffer): void
  /** The request Telegram would make for this update: path of the registered webhook, headers, body. */
  updateRequest(update: unknown): { path: string; headers: Record<string, string>; body: string }
  close(): Promise<void>
}

export async function startTelegramSandbox(token: string): Promise<TelegramSandbox> {
  const calls: BotCall[] = []
  const failures: Array<{ status: number; description: string; retryAfter?: number }> = []
  const files = new Map<string, Buffer>()
  const state = { webhook: null as TelegramSandbox['webhook'], nextId: 1000 }

  const server = http.createServer(async (req, res) => {
    const send = (status: number, body: unknown) => {
      if (Buffer.isBuffer(body)) {
        res.writeHead(status, { 'content-type': 'application/octet-stream', 'content-length': body.length })
        return res.end(body)
      }
      res.writeHead(status, { 'content-type': 'application/json' })
      res.end(JSON.stringify(body))
    }
    const chunks: Buffer[] = []
    for await (const c of req) chunks.push(c as Buffer)
    const raw = Buffer.concat(chunks)
    const u = new URL(req.url ?? '/', 'http://sandbox.local')
    const file = /^\/file\/bot([^/]+)\/(.+)$/.exec(u.pathname)
    if (file) {
      const data = file[1] === token ? files.get(decodeURIComponent(file[2] ?? '')) : undefined
      return data ? send(200, data) : send(404, { ok: false, error_code: 404, description: 'Not Found' })
    }
    const m = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec(u.pathname)
    if (!m) return send(404, { ok: false, error_code: 404, description: 'Not Found' })
    const [, given = '', method = ''] = m
    let body: Record<string, unknown> = Object.fromEntries(u.searchParams)
    const type = req.headers['content-type'] ?? ''
    if (type.includes('json') && raw.length) body = { ...body, ...(JSON.parse(raw.toString('utf8')) as Record<string, unknown>) }
    else if (type.startsWith('multipart/form-data')) {
      const form = await new Request('http://sandbox.local/', { method: 'POST', headers: { 'content-type': type }, body: raw }).formData()
      for (const [k, v] of form.entries()) body[k] = typeof v === 'string' ? v : { filename: v.name, type: v.type, size: v.size }
    }
    calls.push({ method, token: given, body })
    if (given !== token) return send(401, { ok: false, error_code: 401, description: 'Unauthorized' })
    const fail = failures.shift()
    if (fail) return send(fail.status, { ok: false, error_code: fail.status, description: fail.description, ...(fail.retryAfter !== undefined && { parameters: { retry_after: fail.retryAfter } }) })
    const chatId = Number(body.chat_id)
    switch (method) {
      case 'setWebhook': {
        const secret = typeof body.secret_token === 'string' ? body.secret_token : null
        if (secret !== null && !/^[A-Za-z0-9_-]{1,256}$/.test(secret)) return send(400, { ok: false, error_code: 400, description: 'Bad Request: secret token contains unallowed characters' })
        state.webhook = { url: String(body.url ?? ''), secretToken: secret }
        return send(200, { ok: true, result: true, description: 'Webhook was set' })
      }
      case 'getWebhookInfo':
        return send(200, { ok: true, result: { url: state.webhook?.url ?? '', has_custom_certificate: false, pending_update_count: 0 } })
      case 'sendMessage':
        if (!chatId || typeof body.text !== 'string' || !body.text) return send(400, { ok: false, error_code: 400, description: 'Bad Request: message text is empty' })
        return send(200, { ok: true, result: { message_id: state.nextId++, date: Math.floor(Date.now() / 1000), chat: { id: chatId, type: 'private' }, text: body.text } })
      case 'sendDocument':
        if (!chatId || typeof body.document !== 'object') return send(400, { ok: false, error_code: 400, description: 'Bad Request: there is no document in the request' })
        return send(200, { ok: true, result: { message_id: state.nextId++, date: Math.floor(Date.now() / 1000), chat: { id: chatId, type: 'private' }, document: { file_id: `doc-${state.nextId}`, file_name: (body.document as { filename?: string }).filename } } })
      case 'getFile': {
        const id = String(body.file_id ?? '')
        const data = files.get(id)
        if (!data) return send(400, { ok: false, error_code: 400, description: 'Bad Request: invalid file_id' })
        return send(200, { ok: true, result: { file_id: id, file_unique_id: id, file_size: data.length, file_path: id } })
      }
      default:
        return send(404, { ok: false, error_code: 404, description: 'Not Found: method not found' })
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    url,
    calls,
    callsOf: (method) => calls.filter((c) => c.method === method),
    token,
    get webhook() {
      return state.webhook
    },
    failNext(times, failure) {
      for (let i = 0; i < times; i++) failures.push(failure)
    },
    addFile(fileId, data) {
      files.set(fileId, data)
    },
    updateRequest(update) {
      if (!state.webhook) throw new Error('no webhook set: setWebhook was not called')
      return {
        path: new URL(state.webhook.url).pathname,
        headers: { 'content-type': 'application/json', ...(state.webhook.secretToken && { 'x-telegram-bot-api-secret-token': state.webhook.secretToken }) },
        body: JSON.stringify(update),
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
