import { createHmac, timingSafeEqual } from 'node:crypto'

/**
 * Meta's webhook signature (WhatsApp Cloud API, Messenger, Instagram):
 * `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body, keyed with the app secret>`.
 * The same scheme GitHub documents for its webhooks, whose worked example the
 * tests check (secret "It's a Secret to Everybody", body "Hello, World!").
 */
export const META_SIGNATURE_HEADER = 'x-hub-signature-256'

export function signMetaPayload(appSecret: string, body: Buffer | string): string {
  return `sha256=${createHmac('sha256', appSecret).update(body).digest('hex')}`
}

/** True when `header` is the signature of exactly these bytes; compared in constant time. */
export function verifyMetaSignature(appSecret: string, body: Buffer, header: string | string[] | undefined): boolean {
  if (typeof header !== 'string') return false
  const match = /^sha256=([0-9a-f]{64})$/i.exec(header.trim())
  if (!match?.[1]) return false
  const given = Buffer.from(match[1].toLowerCase(), 'hex')
  const expected = createHmac('sha256', appSecret).update(body).digest()
  return given.length === expected.length && timingSafeEqual(given, expected)
}

/** Constant-time comparison of two secrets given as text (Telegram's secret token, a verify token). */
export function secretEquals(given: string | string[] | undefined, expected: string): boolean {
  if (typeof given !== 'string') return false
  const a = createHmac('sha256', 'compare').update(given).digest()
  const b = createHmac('sha256', 'compare').update(expected).digest()
  return timingSafeEqual(a, b)
}
