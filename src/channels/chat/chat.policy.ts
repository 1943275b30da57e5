import type { BusinessHours, ChatConfig } from './config.ts'
import { chatDefaults } from './config.ts'

/** The origins that may embed an inbox's widget: its websiteUrl's and the allowedOrigins list. */
export function allowedOriginsOf(config: ChatConfig): Set<string> {
  const out = new Set<string>()
  if (config.websiteUrl) out.add(new URL(config.websiteUrl).origin)
  for (const o of config.allowedOrigins ?? []) out.add(new URL(o).origin)
  return out
}

/**
 * Whether a request from `origin` may use the inbox. Browsers always send
 * Origin on WebSocket upgrades and cross-origin fetches; a request without
 * one is not from a browser page (a server, a test client), and Origin
 * protects browsers only, so it is let through: the visitor token and the
 * rate limits still apply.
 */
export function originAllowed(config: ChatConfig, origin: string | undefined): boolean {
  if (origin === undefined) return true
  return allowedOriginsOf(config).has(origin)
}

/** Whether `at` falls inside the business hours (no hours configured: always open). */
export function isOpen(hours: BusinessHours | undefined, at = new Date()): boolean {
  if (!hours) return true
  const parts = new Intl.DateTimeFormat('en-US', { timeZone: hours.timeZone, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(at)
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? ''
  const day = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'].indexOf(get('weekday'))
  const now = `${get('hour')}:${get('minute')}`
  return hours.days.some((d) => d.day === day && d.open <= now && now < d.close)
}

/** Whether a file of this type may be sent: exact types and `family/*` patterns. */
export function typeAllowed(config: ChatConfig, contentType: string): boolean {
  const type = contentType.split(';')[0]?.trim().toLowerCase() ?? ''
  const allowed = config.attachments?.allowedTypes ?? chatDefaults.allowedTypes
  return allowed.some((a) => a === type || (a.endsWith('/*') && type.startsWith(a.slice(0, -1))))
}

const startsWith = (b: Buffer, sig: number[], at = 0) => b.length >= at + sig.length && sig.every((x, i) => b[at + i] === x)

/**
 * Whether the bytes are what the declared type says, for the types a browser
 * would render (images, PDF, text): an HTML page uploaded as image/png is
 * refused. Types without a known signature pass on their declaration.
 */
export function contentMatchesType(content: Buffer, contentType: string): boolean {
  const type = contentType.split(';')[0]?.trim().toLowerCase() ?? ''
  switch (type) {
    case 'image/png':
      return startsWith(content, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])
    case 'image/jpeg':
      return startsWith(content, [0xff, 0xd8, 0xff])
    case 'image/gif':
      return startsWith(content, [0x47, 0x49, 0x46, 0x38])
    case 'image/webp':
      return startsWith(content, [0x52, 0x49, 0x46, 0x46]) && startsWith(content, [0x57, 0x45, 0x42, 0x50], 8)
    case 'application/pdf':
      return startsWith(content, [0x25, 0x50, 0x44, 0x46])
    case 'text/plain':
      return !content.includes(0) && content.toString('utf8').isWellFormed()
    default:
      return true
  }
}

/**
 * A fixed-window counter per key (visitor, client address): `take` says
 * whether one more event fits in the current minute, and if not, how many
 * seconds until it does. Per node: several nodes each allow the limit.
 */
export class RateLimiter {
  private readonly windows = new Map<string, { start: number; count: number }>()
  constructor(private readonly windowMs = 60_000) {}

  take(key: string, limit: number, now = Date.now()): { ok: true } | { ok: false; retryAfterSeconds: number } {
    let w = this.windows.get(key)
    if (!w || now - w.start >= this.windowMs) {
      w = { start: now, count: 0 }
      this.windows.set(key, w)
      if (this.windows.size > 100_000) this.prune(now)
    }
    if (w.count >= limit) return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((w.start + this.windowMs - now) / 1000)) }
    w.count++
    return { ok: true }
  }

  private prune(now: number) {
    for (const [k, w] of this.windows) if (now - w.start >= this.windowMs) this.windows.delete(k)
  }
}
