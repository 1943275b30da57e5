/**
 * HTTP calls to a messaging provider (Meta's Graph API, Telegram's Bot API),
 * with a timeout, a size cap on downloads, and every failure turned into a
 * SendResult-shaped outcome: timeouts, connection errors, 5xx and 429 are
 * retryable; other 4xx are not. A 429 with a short `Retry-After` is waited
 * out and tried once more here; a longer one goes back to the job queue.
 */

export type ProviderFailure = {
  ok: false
  retryable: boolean
  code: string
  message: string
  details?: Record<string, unknown>
  /** The provider's `Retry-After` (or its body's equivalent), in seconds: the delivery job waits at least this long. */
  retryAfterSeconds?: number
}
export type ProviderResponse<T = unknown> = { ok: true; status: number; body: T } | ProviderFailure

export interface ProviderCall {
  method?: 'GET' | 'POST'
  url: string
  headers?: Record<string, string>
  /** JSON body (sent as application/json) or a prepared FormData (multipart). */
  json?: unknown
  form?: FormData
  timeoutMs?: number
  /** Redacted from messages: tokens that appear in the URL (Telegram puts the bot token in the path). */
  redact?: string[]
  /**
   * Maps a provider's error body to a code and whether it is retryable;
   * undefined: the HTTP status decides.
   */
  classify?: (status: number, body: unknown) => { code: string; retryable: boolean; message?: string; retryAfterSeconds?: number } | undefined
}

const DEFAULT_TIMEOUT_MS = 10_000
/** Longest Retry-After waited out inside one attempt; longer ones are left to the job queue's backoff. */
const MAX_INLINE_WAIT_S = 5

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

function scrub(text: string, redact: string[] | undefined): string {
  let t = text
  for (const s of redact ?? []) if (s) t = t.split(s).join('[redacted]')
  return t
}

/** Seconds from a Retry-After header (seconds or an HTTP date); null when absent or unreadable. */
export function retryAfterSeconds(value: string | null): number | null {
  if (!value) return null
  const n = Number(value)
  if (Number.isFinite(n) && n >= 0) return Math.ceil(n)
  const at = Date.parse(value)
  return Number.isNaN(at) ? null : Math.max(0, Math.ceil((at - Date.now()) / 1000))
}

async function once<T>(call: ProviderCall): Promise<ProviderResponse<T> & { retryAfter?: number | null }> {
  const init: RequestInit = { method: call.method ?? (call.json !== undefined || call.form ? 'POST' : 'GET'), headers: { ...call.headers }, signal: AbortSignal.timeout(call.timeoutMs ?? DEFAULT_TIMEOUT_MS) }
  if (call.json !== undefined) {
    init.body = JSON.stringify(call.json)
    ;(init.headers as Record<string, string>)['content-type'] = 'application/json'
  } else if (call.form) init.body = call.form
  let res: Response
  let text: string
  try {
    res = await fetch(call.url, init)
    text = await res.text()
  } catch (err) {
    const timeout = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')
    const why = err instanceof Error ? ((err.cause as Error | undefined)?.message ?? err.message) : String(err)
    return timeout
      ? { ok: false, retryable: true, code: 'PROVIDER_TIMEOUT', message: `the provider did not answer within ${call.timeoutMs ?? DEFAULT_TIMEOUT_MS} ms` }
      : { ok: false, retryable: true, code: 'PROVIDER_UNREACHABLE', message: scrub(`could not reach the provider: ${why}`, call.redact) }
  }
  let body: unknown = text
  try {
    body = text ? JSON.parse(text) : null
  } catch {
    // not JSON: kept as text for the message
  }
  if (res.ok) return { ok: true, status: res.status, body: body as T }
  const mapped = call.classify?.(res.status, body)
  const providerSays = scrub(typeof body === 'string' ? body.slice(0, 300) : JSON.stringify(body).slice(0, 300), call.redact)
  const retryAfter = mapped?.retryAfterSeconds ?? retryAfterSeconds(res.headers.get('retry-after'))
  const wait = retryAfter !== null && retryAfter > 0 ? { retryAfterSeconds: retryAfter } : {}
  if (mapped) return { ok: false, retryable: mapped.retryable, code: mapped.code, message: mapped.message ?? `HTTP ${res.status}: ${providerSays}`, details: { httpStatus: res.status, ...wait }, retryAfter, ...(mapped.retryable && wait) }
  if (res.status === 429)
    return { ok: false, retryable: true, code: 'PROVIDER_RATE_LIMITED', message: `rate limited by the provider${retryAfter !== null ? ` (retry after ${retryAfter} s)` : ''}: ${providerSays}`, details: { httpStatus: 429, ...wait }, retryAfter, ...wait }
  if (res.status >= 500) return { ok: false, retryable: true, code: 'PROVIDER_UNAVAILABLE', message: `HTTP ${res.status}: ${providerSays}`, details: { httpStatus: res.status, ...wait }, ...wait }
  if (res.status === 401 || res.status === 403) return { ok: false, retryable: false, code: 'PROVIDER_AUTH_FAILED', message: `HTTP ${res.status}: the provider refused the credentials: ${providerSays}`, details: { httpStatus: res.status } }
  return { ok: false, retryable: false, code: 'PROVIDER_REJECTED', message: `HTTP ${res.status}: ${providerSays}`, details: { httpStatus: res.status } }
}

export async function callProvider<T = unknown>(call: ProviderCall): Promise<ProviderResponse<T>> {
  const first = await once<T>(call)
  if (first.ok || first.code !== 'PROVIDER_RATE_LIMITED' || first.retryAfter == null || first.retryAfter > MAX_INLINE_WAIT_S) return strip(first)
  await sleep(first.retryAfter * 1000)
  return strip(await once<T>(call))
}

function strip<T>(r: ProviderResponse<T> & { retryAfter?: number | null }): ProviderResponse<T> {
  const { retryAfter: _ignored, ...rest } = r as ProviderResponse<T> & { retryAfter?: unknown }
  return rest as ProviderResponse<T>
}

/** Downloads a file, refusing more than `maxBytes` (by Content-Length first, then as it streams). */
export async function downloadCapped(
  url: string,
  opts: { headers?: Record<string, string>; maxBytes: number; timeoutMs?: number; redact?: string[] },
): Promise<{ ok: true; data: Buffer; contentType: string | null } | ProviderFailure> {
  let res: Response
  try {
    res = await fetch(url, { headers: opts.headers ?? {}, signal: AbortSignal.timeout(opts.timeoutMs ?? 30_000) })
  } catch (err) {
    return { ok: false, retryable: true, code: 'MEDIA_DOWNLOAD_FAILED', message: scrub(`could not download media: ${err instanceof Error ? err.message : String(err)}`, opts.redact) }
  }
  if (!res.ok) return { ok: false, retryable: res.status >= 500 || res.status === 429, code: 'MEDIA_DOWNLOAD_FAILED', message: `media download answered HTTP ${res.status}` }
  const declared = Number(res.headers.get('content-length') ?? NaN)
  if (Number.isFinite(declared) && declared > opts.maxBytes) {
    await res.body?.cancel()
    return { ok: false, retryable: false, code: 'MEDIA_TOO_LARGE', message: `media of ${declared} bytes exceeds the limit of ${opts.maxBytes}` }
  }
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of res.body ?? []) {
    size += (chunk as Uint8Array).length
    if (size > opts.maxBytes) return { ok: false, retryable: false, code: 'MEDIA_TOO_LARGE', message: `media exceeds the limit of ${opts.maxBytes} bytes` }
    chunks.push(Buffer.from(chunk as Uint8Array))
  }
  return { ok: true, data: Buffer.concat(chunks), contentType: res.headers.get('content-type') }
}
