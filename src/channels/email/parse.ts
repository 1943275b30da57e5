import { createHash } from 'node:crypto'
import type { AddressObject } from 'mailparser'

export interface EmailAddress {
  name: string | null
  address: string
}

export interface ParsedAttachment {
  filename: string | null
  contentType: string
  size: number
  /** Content-ID without its angle brackets: the `x` of `cid:x` in the HTML. */
  contentId: string | null
  /** Marked inline, or part of the HTML (multipart/related). */
  inline: boolean
  checksum: string | null
  /** The decoded bytes, for the blob store; never copied into JSON metadata. */
  content: Buffer
}

/** What the email module needs of a message, independent of mailparser's shapes. */
export interface ParsedEmail {
  /** `<id@host>` form, or null when the message has none. */
  messageId: string | null
  inReplyTo: string[]
  references: string[]
  subject: string | null
  from: EmailAddress | null
  replyTo: EmailAddress | null
  to: EmailAddress[]
  cc: EmailAddress[]
  date: string | null
  text: string | null
  html: string | null
  /** Top-level Content-Type, lower-cased, with its parameters. */
  contentType: { value: string; params: Record<string, string> }
  /** Top-level header values by lower-case name, unfolded, in order. */
  headers: Record<string, string[]>
  attachments: ParsedAttachment[]
  /**
   * Machine-readable report parts (message/delivery-status,
   * message/feedback-report, message/disposition-notification) as text:
   * classification reads them. mailparser folds some of them into `text`.
   */
  reportParts: Array<{ contentType: string; content: string }>
}

/** mailparser reports `false` for a part with an unparseable Content-Type. */
const typeOf = (a: { contentType: unknown }) => (typeof a.contentType === 'string' && a.contentType ? a.contentType.toLowerCase() : 'application/octet-stream')

const reportTypes = new Set(['message/delivery-status', 'message/feedback-report', 'message/disposition-notification', 'message/global-delivery-status'])

/** Every `<...>` Message-ID in a header value (In-Reply-To, References). */
export function messageIdsIn(value: string | string[] | undefined | null): string[] {
  if (!value) return []
  const all = (Array.isArray(value) ? value : [value]).flatMap((v) => v.match(/<[^<>\s]+>/g) ?? [])
  return [...new Set(all)]
}

/** A Message-ID in its canonical `<id>` form, or null. */
export function normaliseMessageId(value: string | null | undefined): string | null {
  if (!value) return null
  const v = value.trim()
  if (!v) return null
  const bracketed = v.match(/<[^<>\s]+>/)
  if (bracketed) return bracketed[0]
  return /^[^\s<>]+$/.test(v) ? `<${v}>` : null
}

/**
 * The raw header block of a message, unfolded, without parsing the body: the
 * SMTP server needs the Message-ID before it answers, long before a full parse.
 */
export function rawHeaderValues(raw: Buffer, name: string): string[] {
  const end = raw.indexOf('\r\n\r\n') >= 0 ? raw.indexOf('\r\n\r\n') : raw.indexOf('\n\n')
  const head = raw.subarray(0, end >= 0 ? end : Math.min(raw.length, 256 * 1024)).toString('latin1')
  const unfolded = head.replace(/\r?\n[ \t]+/g, ' ')
  const wanted = name.toLowerCase()
  const values: string[] = []
  for (const line of unfolded.split(/\r?\n/)) {
    const colon = line.indexOf(':')
    if (colon > 0 && line.slice(0, colon).trim().toLowerCase() === wanted) values.push(line.slice(colon + 1).trim())
  }
  return values
}

/**
 * The idempotency key of a message: its Message-ID, else the hash of its
 * content. The hash ignores line endings and trailing blank lines, which
 * transports rewrite (SMTP uses CRLF, a file or an IMAP fetch may not).
 */
export function dedupeKeyOf(raw: Buffer): { messageIdHeader: string | null; dedupeKey: string } {
  const messageIdHeader = normaliseMessageId(rawHeaderValues(raw, 'message-id')[0])
  if (messageIdHeader) return { messageIdHeader, dedupeKey: messageIdHeader }
  const canonical = raw.toString('latin1').replace(/\r\n/g, '\n').replace(/\n+$/, '')
  return { messageIdHeader, dedupeKey: `sha256:${createHash('sha256').update(canonical, 'latin1').digest('hex')}` }
}

function addresses(obj: AddressObject | AddressObject[] | undefined): EmailAddress[] {
  const list = Array.isArray(obj) ? obj : obj ? [obj] : []
  const flat = list.flatMap((o) => o.value.flatMap((v) => (v.group ? v.group : [v])))
  return flat.filter((v) => v.address).map((v) => ({ name: v.name?.trim() || null, address: (v.address as string).trim() }))
}

function headerMap(lines: ReadonlyArray<{ key: string; line: string }>): Record<string, string[]> {
  const out: Record<string, string[]> = {}
  for (const { key, line } of lines) {
    const colon = line.indexOf(':')
    const value = (colon >= 0 ? line.slice(colon + 1) : '').replace(/\r?\n[ \t]+/g, ' ').trim()
    ;(out[key.toLowerCase()] ??= []).push(value)
  }
  return out
}

/** Parses a raw message. Throws only when mailparser itself gives up. */
export async function parseEmail(raw: Buffer): Promise<ParsedEmail> {
  // skipImageLinks: keep `cid:` references (the sanitiser allows them) instead of inlining data: URLs.
  // Loaded on first use: mailparser (with its charset tables) costs ~0.4 s and ~10 MiB at start otherwise.
  const { simpleParser } = await import('mailparser')
  const m = await simpleParser(raw, { skipImageLinks: true, skipTextToHtml: true })
  const ct = m.headers.get('content-type') as { value?: string; params?: Record<string, string> } | string | undefined
  const contentType =
    typeof ct === 'object' && ct?.value
      ? { value: ct.value.toLowerCase(), params: Object.fromEntries(Object.entries(ct.params ?? {}).map(([k, v]) => [k.toLowerCase(), String(v)])) }
      : { value: 'text/plain', params: {} }
  const from = addresses(m.from)[0] ?? null
  const replyTo = addresses(m.replyTo)[0] ?? null
  const reportParts = m.attachments
    .filter((a) => reportTypes.has(typeOf(a)))
    .map((a) => ({ contentType: typeOf(a), content: a.content.toString('utf8').slice(0, 64 * 1024) }))
  return {
    messageId: normaliseMessageId(m.messageId),
    inReplyTo: messageIdsIn(m.inReplyTo),
    references: messageIdsIn(m.references),
    subject: m.subject?.trim() || null,
    from,
    replyTo,
    to: addresses(m.to),
    cc: addresses(m.cc),
    date: m.date && !Number.isNaN(m.date.getTime()) ? m.date.toISOString() : null,
    text: m.text ?? null,
    html: typeof m.html === 'string' ? m.html : null,
    contentType,
    headers: headerMap(m.headerLines),
    attachments: m.attachments
      .filter((a) => !reportTypes.has(typeOf(a)))
      .map((a) => ({
        filename: a.filename ?? null,
        contentType: typeOf(a),
        size: a.size,
        contentId: a.cid?.trim().replace(/^<|>$/g, '') || null,
        inline: a.contentDisposition === 'inline' || a.related === true,
        checksum: a.checksum ?? null,
        content: a.content,
      })),
    reportParts,
  }
}
