import { type BounceReason, decideReason, hardReasons } from './bounce-reasons.ts'

/**
 * Amazon SES notifications (bounce, complaint, delivery) as they arrive by
 * mail: an SNS email subscription sends the notification's JSON as the body
 * (plain `email` protocol: the JSON and a footer; `email-json`: the SNS
 * envelope with the notification as its `Message` string). SES event
 * publishing names the type `eventType`, feedback notifications
 * `notificationType`. Pure.
 */

export interface SesRecipient {
  recipient: string | null
  action: string | null
  status: string | null
  diagnostic: string | null
  reason: BounceReason
  hard: boolean
}

export type SesNotification =
  | { type: 'Bounce'; bounceType: string | null; bounceSubType: string | null; recipients: SesRecipient[]; messageId: string | null }
  | { type: 'Complaint'; feedbackType: string | null; recipients: string[]; messageId: string | null }
  | { type: 'Delivery'; recipients: string[]; messageId: string | null; smtpResponse: string | null }

type Obj = Record<string, unknown>
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v)
const str = (v: unknown): string | null => (typeof v === 'string' && v ? v : null)

/** The first balanced `{…}` in the text that parses as JSON. */
function jsonIn(text: string): Obj | null {
  const start = text.indexOf('{')
  if (start < 0) return null
  let depth = 0
  let inString = false
  for (let i = start; i < text.length; i++) {
    const c = text[i]
    if (inString) {
      if (c === '\\') i++
      else if (c === '"') inString = false
    } else if (c === '"') inString = true
    else if (c === '{') depth++
    else if (c === '}' && --depth === 0) {
      const slice = text.slice(start, i + 1)
      // Some mail paths hard-wrap long lines, even inside JSON strings: joined again, the JSON parses.
      for (const candidate of [slice, slice.replace(/\r?\n/g, '')]) {
        try {
          const v: unknown = JSON.parse(candidate)
          return isObj(v) ? v : null
        } catch {
          // try the next form
        }
      }
      return null
    }
  }
  return null
}

/** What SES's bounce sub-type says when the remote server said nothing readable. */
const subTypeReason: Record<string, BounceReason> = {
  NoEmail: 'user_unknown',
  Suppressed: 'not_accepted',
  OnAccountSuppressionList: 'not_accepted',
  MailboxFull: 'mailbox_full',
  MessageTooLarge: 'policy',
  ContentRejected: 'spam',
  AttachmentRejected: 'policy',
}

function bounceRecipients(bounce: Obj): SesRecipient[] {
  const permanent = str(bounce.bounceType) === 'Permanent'
  const subType = str(bounce.bounceSubType) ?? ''
  const list = Array.isArray(bounce.bouncedRecipients) ? bounce.bouncedRecipients.filter(isObj) : []
  return list.map((r) => {
    const status = str(r.status)
    const diagnostic = str(r.diagnosticCode)
    const read = decideReason({ status, diagnostic, action: permanent ? 'failed' : 'delayed' })
    // The remote server's words win; SES's own labels fill in when they say nothing.
    const reason: BounceReason = read.reason !== 'unknown' && read.reason !== 'temporary' ? read.reason : (subTypeReason[subType] ?? (permanent ? 'not_accepted' : read.reason))
    return { recipient: str(r.emailAddress), action: str(r.action), status, diagnostic: diagnostic?.slice(0, 500) ?? null, reason, hard: permanent && hardReasons.has(reason) }
  })
}

/** Reads an SES notification out of a mail body, or null when the body is not one. */
export function sesNotification(text: string | null): SesNotification | null {
  if (!text || !/\\?"(notificationType|eventType)\\?"\s*:/.test(text)) return null
  let n = jsonIn(text)
  // email-json: the SNS envelope carries the notification as a JSON string.
  if (n && str(n.Type) === 'Notification' && typeof n.Message === 'string') n = jsonIn(n.Message)
  if (!n) return null
  const type = str(n.notificationType) ?? str(n.eventType)
  const mail = isObj(n.mail) ? n.mail : {}
  const messageId = str(mail.messageId)
  if (type === 'Bounce' && isObj(n.bounce))
    return { type, bounceType: str(n.bounce.bounceType), bounceSubType: str(n.bounce.bounceSubType), recipients: bounceRecipients(n.bounce), messageId }
  if (type === 'Complaint' && isObj(n.complaint)) {
    const list = Array.isArray(n.complaint.complainedRecipients) ? n.complaint.complainedRecipients.filter(isObj) : []
    return { type, feedbackType: str(n.complaint.complaintFeedbackType), recipients: list.map((r) => str(r.emailAddress)).filter((a): a is string => a !== null), messageId }
  }
  if (type === 'Delivery' && isObj(n.delivery)) {
    const list = Array.isArray(n.delivery.recipients) ? n.delivery.recipients.map(str).filter((a): a is string => a !== null) : []
    return { type, recipients: list, messageId, smtpResponse: str(n.delivery.smtpResponse) }
  }
  return null
}
