import { createHmac, timingSafeEqual } from 'node:crypto'

/**
 * Twilio's request signature (`X-Twilio-Signature`), shared by the SMS and
 * voice channels: base64 of HMAC-SHA1, keyed with the account's auth token,
 * over the full URL Twilio called (scheme, host, path and query exactly as
 * configured) followed by every POST parameter, sorted by name, each as its
 * name then its value with no separators. A repeated parameter contributes
 * each of its values (sorted), each preceded by the name, as Twilio's own
 * libraries do. Checked against Twilio's published example in
 * twilio-signature.test.ts.
 */

/** The form parameters of a webhook body, in the shape the signature needs (repeated names keep every value). */
export type TwilioParams = Map<string, string[]>

/** Parses an `application/x-www-form-urlencoded` body as Twilio sends it. */
export function parseForm(body: Buffer | string): TwilioParams {
  const params: TwilioParams = new Map()
  for (const [k, v] of new URLSearchParams(typeof body === 'string' ? body : body.toString('utf8'))) {
    const list = params.get(k)
    if (list) list.push(v)
    else params.set(k, [v])
  }
  return params
}

/** The first value of each parameter, for schema parsing. */
export function firstValues(params: TwilioParams): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of params) if (v[0] !== undefined) out[k] = v[0]
  return out
}

const toParams = (params: TwilioParams | Record<string, string>): TwilioParams =>
  params instanceof Map ? params : new Map(Object.entries(params).map(([k, v]) => [k, [v]]))

// Code-unit order, as Twilio's libraries sort (not locale order).
const byCodeUnit = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)

/** The signature Twilio sends for a POST to `url` with these parameters. */
export function twilioSignature(authToken: string, url: string, params: TwilioParams | Record<string, string>): string {
  const p = toParams(params)
  let data = url
  for (const name of [...p.keys()].sort(byCodeUnit)) for (const value of [...(p.get(name) ?? [])].sort(byCodeUnit)) data += name + value
  return createHmac('sha1', authToken).update(data, 'utf8').digest('base64')
}

/**
 * The URL variants Twilio may have signed: as given, and with the default
 * port added or removed (Twilio's libraries accept both, because a proxy or
 * the console may show the URL either way).
 */
export function urlVariants(url: string): string[] {
  let u: URL
  try {
    u = new URL(url)
  } catch {
    return [url]
  }
  const defaultPort = u.protocol === 'https:' ? '443' : u.protocol === 'http:' ? '80' : ''
  // URL drops a default port, so build both spellings from its parts.
  if (!defaultPort || u.port !== '') return [url]
  const auth = u.username ? `${u.username}${u.password ? `:${u.password}` : ''}@` : ''
  const rest = `${u.pathname}${u.search}`
  const without = `${u.protocol}//${auth}${u.hostname}${rest}`
  const withPort = `${u.protocol}//${auth}${u.hostname}:${defaultPort}${rest}`
  return [...new Set([url, without, withPort])]
}

/** True when `signature` is Twilio's for this request; false (never a throw) for a missing or wrong one. */
export function verifyTwilioSignature(authToken: string, signature: string | undefined, url: string, params: TwilioParams | Record<string, string>): boolean {
  if (!signature || !authToken) return false
  const given = Buffer.from(signature, 'utf8')
  return urlVariants(url).some((candidate) => {
    const expected = Buffer.from(twilioSignature(authToken, candidate, params), 'utf8')
    return expected.length === given.length && timingSafeEqual(expected, given)
  })
}
