import { type BounceReason, decideReason, statusCodePattern } from './bounce-reasons.ts'
import { sesNotification } from './bounce-ses.ts'
import { bounceBodyMarker, isDelayNotice, isFmlNotice, isJamesNotice, noticeText, strongBounceMarker, textRecipients } from './bounce-text.ts'
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
  /** Why it failed, read from the diagnostic text first, then the status code (bounce-reasons.ts). */
  reason: BounceReason
  /** Permanent: the address is marked undeliverable. */
  hard: boolean
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

function dsnRecipients(texts: string[]): Array<Omit<BouncedRecipient, 'reason' | 'hard'>> {
  const out: Array<Omit<BouncedRecipient, 'reason' | 'hard'>> = []
  for (const text of texts) {
    let current: Omit<BouncedRecipient, 'reason' | 'hard'> | null = null
    for (const [k, v] of reportFields(text)) {
      // A recipient block holds Original-Recipient and/or Final-Recipient, then Action, Status… (RFC 3464 §2.3).
      const open = current !== null && !current.action && !current.status && !current.diagnostic
      if (k === 'final-recipient' && open && current) current.recipient = stripType(v) || current.recipient
      else if (k === 'original-recipient' && open) continue
      else if (k === 'final-recipient' || k === 'original-recipient') {
        current = { recipient: stripType(v) || null, action: null, status: null, diagnostic: null }
        out.push(current)
      } else if (current && k === 'action') current.action = v.toLowerCase().split(/[\s(]/)[0] ?? null
      else if (current && k === 'status') current.status = v.match(statusCodePattern)?.[0] ?? v
      else if (current && k === 'diagnostic-code') current.diagnostic = stripType(v).slice(0, 500)
    }
  }
  return out
}

const notFailed = new Set(['delayed', 'delivered', 'relayed', 'expanded'])
const succeeded = new Set(['delivered', 'relayed', 'expanded'])

const bounceSubject =
  /undeliver|undelivered|unzustellbar|non remis|no entregado|delivery status notification|delivery (has )?failed|delivery failure|delivery notification|failure notice|returned mail|mail delivery failed|non[- ]?delivery|could not be delivered|returned to sender|delayed mail|delivery delayed|mail system error|message not delivered|\[BOUNCE\]|mail failure|недоставленное|не доставлено/i
const forwardedOrReply = /^\s*(fwd?|fw|re|aw|wg|tr|sv|vs|rv|antw)\s*:/i
const daemonSender = /^(mailer-daemon|postmaster|mail-daemon|mailer_daemon|mdaemon|mailerdaemon|mail-delivery|maildelivery|mail\.delivery|mailer|bounces?|smtp|mta)@/i
/** Display names mail systems sign their notices with. */
const daemonName = /^(mail delivery (sub)?system|mail (delivery|system|administrator)|mailer[- ]daemon|postmaster|post office|system administrator|mail server|delivery status notification)$/i
const vacationSubject =
  /^\s*(out of (the )?office|automatic reply|auto(matic|mated)?[- ]?(reply|response|antwort)|autoreply|autoresponse|abwesenheitsnotiz|abwesenheit|automatische antwort|r[ée]ponse automatique|absence|respuesta autom[áa]tica|fuera de la oficina|risposta automatica|fuori sede|automatisch antwoord|afwezig|fr[åa]nvaro|vacation|on vacation|away from (the )?office|ausser haus|außer haus)\b/i

/** The bounce's verdict from its failed recipients: hard when any is; the first failure's reason. */
function bounceResult(signal: string, recipients: BouncedRecipient[], extra: Record<string, unknown> = {}): ClassificationResult {
  const failed = recipients.filter((r) => !notFailed.has(r.action ?? ''))
  const first = failed.find((r) => r.hard) ?? failed[0] ?? recipients[0]
  return {
    classification: 'bounce',
    details: {
      signal,
      hard: failed.some((r) => r.hard),
      reason: first?.reason ?? 'unknown',
      statusCode: first?.status ?? null,
      diagnostic: first?.diagnostic ?? null,
      recipients,
      ...extra,
    },
  }
}

const withReason = (r: Omit<BouncedRecipient, 'reason' | 'hard'>, context: string | null): BouncedRecipient => ({ ...r, ...decideReason({ ...r, context }) })

/** SES notifications (JSON by mail): bounces, complaints and delivery receipts. */
function fromSes(m: ParsedEmail): ClassificationResult | null {
  const n = sesNotification(m.text)
  if (!n) return null
  if (n.type === 'Delivery') return { classification: 'receipt', details: { signal: 'SES Delivery notification', recipients: n.recipients, originalMessageId: n.messageId, smtpResponse: n.smtpResponse } }
  if (n.type === 'Complaint') return { classification: 'complaint', details: { signal: 'SES Complaint notification', feedbackType: n.feedbackType, originalRcptTo: n.recipients.join(', ') || null, recipients: n.recipients, originalMessageId: n.messageId } }
  return bounceResult('SES Bounce notification', n.recipients, { bounceType: n.bounceType, bounceSubType: n.bounceSubType, originalMessageId: n.messageId })
}

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

  const ses = fromSes(m)
  if (ses) return ses

  const dsn = [...partOf('message/delivery-status'), ...partOf('message/global-delivery-status')]
  const fromAddress = m.from?.address ?? ''
  const subject = m.subject ?? ''
  const body = m.text ?? (m.html ? m.html.replace(/<[^>]+>/g, ' ') : '')
  const notice = noticeText(body)
  const standardBounce = reportType === 'delivery-status' || m.contentType.value === 'message/delivery-status' || dsn.length > 0
  if (standardBounce) {
    const recipients = dsnRecipients([...dsn, body])
    // A report that every recipient got the mail is a delivery receipt, not a bounce.
    if (recipients.length > 0 && recipients.every((r) => succeeded.has(r.action ?? '')))
      return { classification: 'receipt', details: { signal: 'delivery-status with action delivered/relayed', recipients: recipients.map((r) => r.recipient), statusCode: recipients[0]?.status ?? null } }
    if (recipients.length > 0) return bounceResult(reportType ? 'report-type=delivery-status' : 'message/delivery-status', recipients.map((r) => withReason(r, notice)))
  }
  const failedHeader = header(m, 'x-failed-recipients')
  const robotSender = daemonSender.test(fromAddress) || daemonName.test(m.from?.name?.trim() ?? '') || envelope.from === '' || failedHeader !== null
  const subjectSays = bounceSubject.test(subject) && !forwardedOrReply.test(subject)
  const bodySays = bounceBodyMarker.test(notice)
  const format = isJamesNotice(m) ? 'Apache James' : isFmlNotice(m) ? 'fml' : null
  // A notice that opens with a mail system's wording is one even from an unknown sender; a person forwarding one writes first, or says Fwd:.
  const opensAsNotice = bodySays && !forwardedOrReply.test(subject) && strongBounceMarker.test(notice.slice(0, 600))
  if (standardBounce || format || (robotSender && (subjectSays || bodySays)) || (subjectSays && bodySays) || opensAsNotice) {
    const exclude = [fromAddress, ...m.to.map((a) => a.address), ...(envelope.from ? [envelope.from] : [])]
    const extra = failedHeader ? failedHeader.split(',').map((a) => a.trim()).filter(Boolean) : []
    const delay = isDelayNotice(subject, notice)
    // fml refuses a post to a list (not a member, spam): the list said no to us, no customer address failed.
    const found = format === 'fml' ? [{ recipient: null, diagnostic: subject || null, status: null }] : textRecipients(notice, exclude, extra)
    const recipients = found.map((r) => withReason({ ...r, action: delay ? 'delayed' : 'failed' }, format === 'fml' ? 'policy' : notice))
    const signal = standardBounce ? 'delivery-status without recipients' : format ? `${format} notice` : `sender ${fromAddress || '<>'} with ${subjectSays ? `subject "${subject}"` : 'a bounce notice in the text'}`
    return bounceResult(signal, recipients, { format: format ?? 'plain-text' })
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
