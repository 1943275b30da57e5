import { isOwnMessageId, OWN_LOOP_HEADER } from './message-id.ts'
import type { ParsedEmail } from './parse.ts'

export const classifications = ['customer', 'bounce', 'auto_reply', 'complaint', 'receipt', 'own_loop'] as const
export type Classification = (typeof classifications)[number]

export interface BouncedRecipient {
  recipient: string | null
  action: string | null
  /** Enhanced status code (RFC 3463), e.g. `5.1.1`. */
  status: string | null
  diagnostic: string | null
}

export interface ClassificationResult {
  classification: Classification
  /** Why: the signal that decided, and what the report says (bounced recipients, feedback type…). */
  details: Record<string, unknown> & { signal: string }
}

/** What the SMTP envelope adds to the message itself. */
export interface EnvelopeFacts {
  /** MAIL FROM; '' (the null reverse-path) for delivery reports. */
  from: string | null
}

const header = (m: ParsedEmail, name: string): string | null => m.headers[name]?.[0] ?? null

/** `Name: value` fields of machine-readable report parts (and text, where mailparser folds them in). */
function reportFields(text: string): Array<[string, string]> {
  const unfolded = text.replace(/\r?\n[ \t]+/g, ' ')
  const out: Array<[string, string]> = []
  for (const line of unfolded.split(/\r?\n/)) {
    const m = line.match(/^([A-Za-z][A-Za-z0-9-]*):\s*(.*)$/)
    if (m) out.push([(m[1] as string).toLowerCase(), (m[2] as string).trim()])
  }
  return out
}

const stripType = (v: string) => v.replace(/^[a-z0-9-]+;\s*/i, '').replace(/^<|>$/g, '').trim()
const statusCode = /\b([245])\.(\d{1,3})\.(\d{1,3})\b/

function dsnRecipients(texts: string[]): BouncedRecipient[] {
  const out: BouncedRecipient[] = []
  for (const text of texts) {
    let current: BouncedRecipient | null = null
    for (const [k, v] of reportFields(text)) {
      // A recipient block holds Original-Recipient and/or Final-Recipient, then Action, Status… (RFC 3464 §2.3).
      const open = current !== null && !current.action && !current.status && !current.diagnostic
      if (k === 'final-recipient' && open && current) current.recipient = stripType(v) || current.recipient
      else if (k === 'original-recipient' && open) continue
      else if (k === 'final-recipient' || k === 'original-recipient') {
        current = { recipient: stripType(v) || null, action: null, status: null, diagnostic: null }
        out.push(current)
      } else if (current && k === 'action') current.action = v.toLowerCase()
      else if (current && k === 'status') current.status = v.match(statusCode)?.[0] ?? v
      else if (current && k === 'diagnostic-code') current.diagnostic = stripType(v).slice(0, 500)
    }
  }
  return out
}

/** Non-standard bounces (plain-text notices from mailer-daemon): best-effort recipient and code. */
function proseRecipient(text: string): BouncedRecipient {
  const addr =
    text.match(/recipients?[^\n]*?(?:failed|not be delivered|undeliverable)[^\n]*:\s*\n?\s*<?([^\s<>@]+@[^\s<>]+?)>?\s*$/im)?.[1] ??
    text.match(/^\s*<([^\s<>@]+@[^\s<>]+)>:/m)?.[1] ??
    text.match(/message to\s+<?([^\s<>@]+@[^\s<>]+?)>?\s+(?:couldn't|could not|was not)/i)?.[1] ??
    text.match(/<([^\s<>@]+@[^\s<>]+)>/)?.[1] ??
    null
  const code = text.match(statusCode)?.[0] ?? null
  return { recipient: addr, action: /permanent|failed/i.test(text) ? 'failed' : null, status: code, diagnostic: text.match(/\b[45]\d\d[ -][^\n]{0,200}/)?.[0]?.trim() ?? null }
}

const isHard = (r: BouncedRecipient) => (r.status ? r.status.startsWith('5') : r.action === 'failed')

const bounceSubject = /undeliver|undelivered|delivery status notification|delivery (has )?failed|delivery failure|failure notice|returned mail|mail delivery failed|non[- ]?delivery|could not be delivered|returned to sender|delayed mail/i
const daemonSender = /^(mailer-daemon|postmaster|mail-daemon|mailer_daemon)@/i
const vacationSubject =
  /^\s*(out of (the )?office|automatic reply|auto(matic|mated)?[- ]?(reply|response|antwort)|autoreply|autoresponse|abwesenheitsnotiz|abwesenheit|automatische antwort|r[ée]ponse automatique|absence|respuesta autom[áa]tica|fuera de la oficina|risposta automatica|fuori sede|automatisch antwoord|afwezig|fr[åa]nvaro|vacation|on vacation|away from (the )?office|ausser haus|außer haus)\b/i

/**
 * Labels a message so automated mail never becomes a customer request:
 * our own mail looping back, complaints (ARF), read receipts (MDN), delivery
 * reports (DSN and the common plain-text bounces), auto-replies. Pure.
 */
export function classifyEmail(m: ParsedEmail, envelope: EnvelopeFacts = { from: null }): ClassificationResult {
  if (isOwnMessageId(m.messageId)) return { classification: 'own_loop', details: { signal: 'message-id', messageId: m.messageId } }
  if (header(m, OWN_LOOP_HEADER) !== null) return { classification: 'own_loop', details: { signal: OWN_LOOP_HEADER, value: header(m, OWN_LOOP_HEADER) } }

  const reportType = m.contentType.value === 'multipart/report' ? (m.contentType.params['report-type'] ?? '').toLowerCase() : ''
  const partOf = (type: string) => m.reportParts.filter((p) => p.contentType === type).map((p) => p.content)

  const feedback = partOf('message/feedback-report')
  if (reportType === 'feedback-report' || feedback.length > 0) {
    const fields = new Map(reportFields([...feedback, m.text ?? ''].join('\n')))
    return {
      classification: 'complaint',
      details: {
        signal: reportType ? 'report-type=feedback-report' : 'message/feedback-report part',
        feedbackType: fields.get('feedback-type') ?? null,
        originalMailFrom: fields.get('original-mail-from')?.replace(/^<|>$/g, '') ?? null,
        originalRcptTo: fields.get('original-rcpt-to') ?? null,
        reportedDomain: fields.get('reported-domain') ?? null,
        userAgent: fields.get('user-agent') ?? null,
      },
    }
  }

  const mdn = partOf('message/disposition-notification')
  if (reportType === 'disposition-notification' || mdn.length > 0) {
    const fields = new Map(reportFields([...mdn, m.text ?? ''].join('\n')))
    return {
      classification: 'receipt',
      details: {
        signal: reportType ? 'report-type=disposition-notification' : 'message/disposition-notification part',
        disposition: fields.get('disposition') ?? null,
        finalRecipient: fields.has('final-recipient') ? stripType(fields.get('final-recipient') as string) : null,
        originalMessageId: fields.get('original-message-id') ?? null,
      },
    }
  }

  const dsn = [...partOf('message/delivery-status'), ...partOf('message/global-delivery-status')]
  const fromAddress = m.from?.address ?? ''
  const standardBounce = reportType === 'delivery-status' || m.contentType.value === 'message/delivery-status' || dsn.length > 0
  const proseBounce = !standardBounce && (daemonSender.test(fromAddress) || envelope.from === '') && bounceSubject.test(m.subject ?? '')
  if (standardBounce || proseBounce) {
    const texts = [...dsn, m.text ?? '']
    let recipients = dsnRecipients(texts)
    if (recipients.length === 0) recipients = [proseRecipient(m.text ?? '')]
    const failed = recipients.filter((r) => r.action !== 'delayed' && r.action !== 'delivered' && r.action !== 'relayed' && r.action !== 'expanded')
    const hard = failed.some(isHard)
    return {
      classification: 'bounce',
      details: {
        signal: standardBounce ? (reportType ? 'report-type=delivery-status' : 'message/delivery-status') : `sender ${fromAddress || '<>'} with subject "${m.subject ?? ''}"`,
        hard,
        recipients,
        statusCode: (failed[0] ?? recipients[0])?.status ?? null,
      },
    }
  }

  const autoSubmitted = header(m, 'auto-submitted')
  if (autoSubmitted !== null && autoSubmitted.split(';')[0]?.trim().toLowerCase() !== 'no')
    return { classification: 'auto_reply', details: { signal: 'Auto-Submitted', value: autoSubmitted } }
  // X-Auto-Response-Suppress is deliberately absent: Outlook sets it on ordinary mail.
  for (const name of ['x-autoreply', 'x-autorespond', 'x-autoresponse', 'x-auto-reply', 'x-autogenerated', 'x-auto-generated']) {
    const v = header(m, name)
    if (v !== null && !/^(no|false|0)$/i.test(v.trim())) return { classification: 'auto_reply', details: { signal: name, value: v } }
  }
  const precedence = header(m, 'precedence')?.trim().toLowerCase()
  if (precedence && ['bulk', 'list', 'junk', 'auto_reply'].includes(precedence))
    return { classification: 'auto_reply', details: { signal: 'Precedence', value: precedence } }
  if (m.subject && vacationSubject.test(m.subject)) return { classification: 'auto_reply', details: { signal: 'subject', value: m.subject } }

  return { classification: 'customer', details: { signal: 'none' } }
}
