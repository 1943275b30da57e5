import type { ProviderCall } from './provider-http.ts'

/** Meta's public Graph API; an inbox's `apiBaseUrl` replaces it (a sandbox, a proxy). */
export const GRAPH_BASE_URL = 'https://graph.facebook.com'
export const GRAPH_VERSION = 'v21.0'

export const graphUrl = (apiBaseUrl: string | undefined, path: string) => `${(apiBaseUrl ?? GRAPH_BASE_URL).replace(/\/+$/, '')}/${GRAPH_VERSION}/${path.replace(/^\/+/, '')}`

/** Graph error codes that mean "too many calls": retried later. */
const rateLimitCodes = new Set([4, 17, 32, 613, 80007, 130429, 131048, 131056])
/** Graph error codes that mean a temporary fault at Meta. */
const temporaryCodes = new Set([1, 2, 131000, 131016, 133004])

/**
 * Maps a Graph API error body (`{ error: { code, error_subcode, message } }`)
 * to a code and whether a retry can help. Undefined: let the HTTP status decide.
 */
export const classifyGraphError: NonNullable<ProviderCall['classify']> = (status, body) => {
  const e = (body as { error?: { code?: number; error_subcode?: number; message?: string; error_user_msg?: string } } | null)?.error
  if (!e || typeof e.code !== 'number') return undefined
  const said = `Graph error ${e.code}${e.error_subcode ? `/${e.error_subcode}` : ''}: ${e.error_user_msg ?? e.message ?? 'no message'}`
  // WhatsApp: "Re-engagement message" — more than 24 hours since the customer last wrote.
  if (e.code === 131047) return { code: 'WHATSAPP_WINDOW_CLOSED', retryable: false, message: said }
  // Messenger / Instagram: sent outside the allowed window (also with the HUMAN_AGENT tag after 7 days).
  if (e.code === 10 && e.error_subcode === 2018278) return { code: 'MESSAGING_WINDOW_CLOSED', retryable: false, message: said }
  if (e.code === 551) return { code: 'RECIPIENT_UNAVAILABLE', retryable: false, message: said }
  if (rateLimitCodes.has(e.code)) return { code: 'PROVIDER_RATE_LIMITED', retryable: true, message: said }
  if (temporaryCodes.has(e.code) || status >= 500) return { code: 'PROVIDER_UNAVAILABLE', retryable: true, message: said }
  if (e.code === 190 || status === 401) return { code: 'PROVIDER_AUTH_FAILED', retryable: false, message: said }
  return { code: 'PROVIDER_REJECTED', retryable: false, message: said }
}

/** The Graph webhook subscription handshake: echo `hub.challenge` when the verify token matches. */
export function graphHandshake(query: Record<string, string | string[]>, verifyToken: string | undefined, equals: (a: string | string[] | undefined, b: string) => boolean) {
  const one = (k: string) => (typeof query[k] === 'string' ? (query[k] as string) : undefined)
  if (one('hub.mode') !== 'subscribe' || !verifyToken || !equals(query['hub.verify_token'], verifyToken)) return { status: 403, body: 'verification failed' }
  const challenge = one('hub.challenge') ?? ''
  return { status: 200, body: challenge, contentType: 'text/plain; charset=utf-8' }
}

/** File name for a fetched file without one. */
export function fallbackFilename(kind: string, contentType: string | undefined): string {
  const ext = (contentType ?? '').split(';')[0]?.split('/')[1]?.replace(/[^a-z0-9.+-]/gi, '') || 'bin'
  return `${kind}.${ext}`
}
