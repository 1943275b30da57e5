import { statusCodePattern } from './bounce-reasons.ts'
import type { ParsedEmail } from './parse.ts'

/**
 * Plain-text bounces: the notices MTAs write for people instead of (or beside)
 * an RFC 3464 report. Each system has its own wording; what they share is a
 * notification, a failed address on a line of its own (or after "delivered
 * to"), the remote server's answer near it, and a copy of the original below
 * a marker. Pure.
 */

/** Where the returned copy of the original message starts: nothing below it is the notice. */
const originalMarkers = [
  /^-+ ?This is a copy of the message/im, // Exim, mail.ru
  /^-+ ?Below this line is a copy of the message/im, // qmail, Yahoo
  /^-* ?(Original|Returned) message/im, // Postfix plain, Sendmail, Gmail
  /^-+ ?The header of the original message/im,
    /^Original mail as follows:/im, // fml
  /^-+ ?Unsent message below/im, // Sendmail
  /^\s*-+ ?Message Text ?-+/im,
  /^Content-Type: message\/rfc822/im,
  /^Original message headers:/im, // Exchange
  /^Received: from /im,
]

/** Cuts the returned original message off the notice text. */
export function noticeText(text: string): string {
  let end = text.length
  for (const re of originalMarkers) {
    const i = text.search(re)
    if (i >= 0 && i < end) end = i
  }
  return text.slice(0, end)
}

/** Phrases that only mail systems write at the top of a non-delivery notice. */
export const bounceBodyMarker = new RegExp(
  [
    'This is the mail system at host', // Postfix
    'I\'m sorry to have to inform you that your message could not', // Postfix
    'This message was created automatically by mail delivery software', // Exim, mail.ru
    'A message that you sent could not be delivered to one or more of its', // Exim
    'This is the qmail-send program', // qmail
    'I\'m afraid I wasn\'t able to deliver your message', // qmail, James
    'Sorry, we were unable to deliver your message to the following address', // Yahoo
    'The following addresses? had permanent fatal errors', // Sendmail
    'Transcript of session follows', // Sendmail
    'Delivery to the following recipients? failed permanently', // Gmail
    'Delivery to the following recipients? has been delayed', // Gmail
    'Your message wasn\'t delivered to', // Gmail
    'Message not delivered', // Gmail
    'Delivery has failed to these recipients or groups', // Exchange
    'Your message did not reach some or all of the intended recipients', // Exchange 2003
    'The following recipient\\(s\\) cannot be reached', // Exchange 2003
    'Your message couldn\'t be delivered', // Office 365
    'Error message below:', // Apache James
    'Could not be delivered to:', // KDDI
    'Your message to the following recipients cannot be delivered', // au EZweb
    'The following recipients did not receive this message', // au EZweb
    'Each of the following recipients was rejected by a remote mail server', // au EZweb
    'ваше\\s+письмо\\s+не\\s+может\\s+быть\\s+доставлено', // mail.ru (Russian)
    'это\\s+письмо\\s+создано\\s+автоматически', // mail.ru (Russian)
    'This is the James mail server', // Apache James
    'This is an automatically generated Delivery Status Notification', // Exchange, Lotus
    'Your message could not be delivered', // many
    'Unable to deliver message to the following', // Novell, others
  ].join('|'),
  'i',
)

/** The subset no person writes: a mail whose text opens with one is a notice whoever sent it. */
export const strongBounceMarker =
  /This is the mail system at host|This message was created automatically by mail delivery software|This is the qmail-send program|I'm afraid I wasn't able to deliver your message to the following addresses|The following addresses? had permanent fatal errors|Delivery to the following recipients? failed permanently|Delivery has failed to these recipients or groups|Your message did not reach some or all of the intended recipients|Could not be delivered to:|This is the James mail server|This is an automatically generated Delivery Status Notification|это\s+письмо\s+создано\s+автоматически/i

/** fml (a Japanese mailing-list manager): its notices carry X-MLServer and one of these titles. */
const fmlTitle = /are not member|not member article from|reject mail |spam mail from a spammer is rejected|fml system error message|loop alert:|loop back warning:|unix from loop|security alert|reject not member post|deny post|you are not a member/i

export const isFmlNotice = (m: ParsedEmail): boolean => (m.headers['x-mlserver']?.length ?? 0) > 0 && fmlTitle.test(`${m.subject ?? ''}\n${m.text ?? ''}`)

/** Apache James signs its plain-text bounces with a `[BOUNCE]` subject or the "Message details:" block. */
export const isJamesNotice = (m: ParsedEmail): boolean =>
  /^\s*\[BOUNCE\]/i.test(m.subject ?? '') || (/^Message details:/im.test(m.text ?? '') && /^Error message below:/im.test(m.text ?? ''))

const addressIn = /<?(?:mailto:)?([A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+)>?/
const robot = /^(mailer-daemon|postmaster|mail-daemon|mailer_daemon|mdaemon|no-?reply)@/i

/** A line that names a failed recipient: the address alone, `<addr>:`, `addr on <date>`, `RCPT TO: addr`, `Could not be delivered to: <addr>`. */
const recipientLine = new RegExp(
  String.raw`^\s*(?:RCPT TO:\s*|Could not be delivered to:\s*|Failed recipients?:\s*|Original-Recipient:\s*rfc822;\s*|Recipient address:\s*)?<?(?:mailto:)?([^\s<>@:]+@[^\s<>:]+?)>?(?:<mailto:[^>]+>)?:?(?:\s+on\s.*|\s*\(.*\))?\s*$`,
  'im',
)

/** "… wasn't delivered to x@y", "Your message to <x@y> couldn't be delivered". */
const inlineRecipient = [
  /(?:failed|failure)[^\n:<]{0,40}:\s*<?([^\s<>@]+@[^\s<>]*[A-Za-z0-9])>?\s*$/im,
  /(?:wasn't|was not|couldn't be|could not be|not) delivered to:?\s*<?([^\s<>@]+@[^\s<>]*[A-Za-z0-9])/i,
  /message to\s+<?([^\s<>@]+@[^\s<>]*[A-Za-z0-9])>?\s+(?:couldn't|could not|was not|cannot|has been)/i,
  /(?:delivery to|recipient|address):?\s+<([^\s<>@]+@[^\s<>]+)>/i,
]

/** Postfix's human-readable part: `<addr>: host … said: 550 …` (the answer starts on the address line). */
const angleColonLine = /^\s*<([^\s<>@]+@[^\s<>]+)>:\s+(\S.*)$/

/** Lines where MTAs quote the remote server's answer. */
const serverSaid =
  /(?:said|returned was|response was|response from the remote server was|Remote Server returned|Remote host said|Error message below|reason|Diagnostic[- ]Code|SMTP error from remote (?:mail server|mailer) after [^:]*|<<<)\s*:?\s*['"(]?\s*([^\n]*(?:\n[ \t]+\S[^\n]*)*)/i

export interface TextRecipient {
  recipient: string | null
  diagnostic: string | null
  status: string | null
}

/**
 * The failed recipients of a plain-text notice, each with the lines that
 * follow its address (the remote server's answer, in most formats), else the
 * notice's quoted server answer. `exclude` holds addresses that are not
 * recipients (the bounce's own From and To).
 */
export function textRecipients(notice: string, exclude: string[], extra: string[] = []): TextRecipient[] {
  const skip = new Set(exclude.map((a) => a.toLowerCase()))
  const lines = notice.split(/\r?\n/)
  const found: Array<{ address: string; line: number; rest?: string }> = []
  const seen = new Set<string>()
  const add = (raw: string, line: number, rest?: string) => {
    const address = raw.replace(/[.,;]+$/, '')
    const key = address.toLowerCase()
    if (!addressIn.test(address) || skip.has(key) || robot.test(address) || seen.has(key)) return
    seen.add(key)
    found.push({ address, line, ...(rest && { rest }) })
  }
  for (const a of extra) add(a, -1)
  lines.forEach((l, i) => {
    const m = l.match(recipientLine)
    if (m?.[1]) add(m[1], i)
    const a = l.match(angleColonLine)
    if (a?.[1]) add(a[1], i, a[2])
  })
  if (found.length === 0)
    for (const re of inlineRecipient) {
      const m = notice.match(re)
      if (m?.[1]) {
        add(m[1], lines.findIndex((l) => l.includes(m[1] as string)))
        break
      }
    }
  const fallback = notice.match(serverSaid)?.[1]?.replace(/\s+/g, ' ').trim() ?? null
  const anyStatus = notice.match(statusCodePattern)?.[0] ?? null
  if (found.length === 0) return [{ recipient: null, diagnostic: fallback?.slice(0, 500) ?? null, status: anyStatus }]
  return found.map(({ address, line, rest }) => {
    // The block under the address, up to the next blank line or address line.
    const block: string[] = rest ? [rest.trim()] : []
    for (let i = line + 1; line >= 0 && i < lines.length && block.length < 8; i++) {
      const l = lines[i] as string
      if (!l.trim()) {
        if (block.length > 0) break
        continue
      }
      if ((recipientLine.test(l) || angleColonLine.test(l)) && block.length > 0) break
      block.push(l.trim())
    }
    const text = block.join(' ')
    const own = text.match(serverSaid)?.[1]?.replace(/\s+/g, ' ').trim() || text
    const diagnostic = (own && (statusCodePattern.test(own) || /\d{3}[ -]|[a-z]{4,}/i.test(own)) ? own : fallback) ?? null
    return { recipient: address, diagnostic: diagnostic?.slice(0, 500) ?? null, status: text.match(statusCodePattern)?.[0] ?? anyStatus }
  })
}

/** Whether a plain-text notice reports a delay (the server will keep trying) rather than a failure. */
export const isDelayNotice = (subject: string, notice: string): boolean =>
  /delayed|delay(ed)? mail|warning: message .* delayed|still being retried|will (keep|continue) trying|has not yet been delivered|not been delivered yet/i.test(`${subject}\n${notice}`) &&
  !/permanent(ly)?|failed permanently|has failed|could not be delivered|couldn't be delivered/i.test(notice)
