/**
 * Why a bounce happened, and whether it is permanent. Pure.
 *
 * The class digit of a status code alone is not enough: many servers answer
 * `5.x.x` for a full mailbox, a spam block, a policy rejection or a rate limit,
 * none of which says the address is gone. So the diagnostic text is read first
 * (what the remote server said), then the enhanced status code (RFC 3463), then
 * the bare SMTP reply code. Only the reasons that mean "this address does not
 * exist or will never accept mail" are hard.
 */

export const bounceReasons = [
  'user_unknown',
  'host_unknown',
  'moved',
  'not_accepted',
  'no_mx',
  'mailbox_full',
  'quota',
  'suspended',
  'blocked',
  'policy',
  'spam',
  'rate_limited',
  'greylisted',
  'expired',
  'temporary',
  'unknown',
] as const
export type BounceReason = (typeof bounceReasons)[number]

/** Reasons that mark an address undeliverable until an agent clears it. */
export const hardReasons: ReadonlySet<BounceReason> = new Set<BounceReason>(['user_unknown', 'host_unknown', 'moved', 'not_accepted', 'no_mx'])

/**
 * Phrases servers use, in the order they are tried: the soft reasons that
 * commonly come with a 5.x.x code first (a "550 mailbox full" must not read as
 * "550 user unknown"), then the hard ones, then the transient ones.
 */
const phrases: Array<[BounceReason, RegExp]> = [
  [
    'mailbox_full',
    /mail ?box (is |was )?(full|over ?flow)|mailbox (has )?exceeded|(user|recipient|account|mailbox|inbox|alias|address)('s)? (storage |mailbox )?(is |was )?(full|overfull)|storage (is )?full|insufficient (system )?storage|not enough (disk )?space|does not have enough space|boxfull|mailfolder is full|full mailbox|receiver'?s mailbox is full|the user\(s\) account is temporarily over quota|as their mailbox is full|ящик (получателя )?переполнен|переполнен/i,
  ],
  ['quota', /over ?quota|over (the )?(allowed |mailbox |disk )?quota|quota (exceeded|exceed|full)|exceed(s|ed|ing)? (the |its |their |his |her )?(mailbox |storage |disk |size )?(quota|storage allocation|size limit)|exceeded storage allocation|disk quota|превышен/i],
  ['greylisted', /gr[ae]y ?list(ed|ing)?|try again later.{0,40}(grey|gray)|deferred.{0,40}gr[ae]y/i],
  [
    'rate_limited',
    /rate ?limit|too many (messages|mails|emails|connections|recipients|concurrent)|(sending|receiving|message|connection) (rate|limit) exceeded|temporarily deferred due to (unexpected )?volume|unusual rate|over (the )?(sending|hourly|daily) limit|exceeded (the )?(maximum )?(number of )?(messages|connections)|throttl(ed|ing)|\[TS0[1-4]\]|slow down/i,
  ],
  ['spam', /\bspam\b|unsolicited|junk mail|content (was )?(rejected|filtered)|bulk mail|phish|virus|malware|suspicious|likely (to be )?(unsolicited|spam)/i],
  [
    'blocked',
    /blocked|block ?list|black ?list|\bdeny ?list|\brbl\b|spamhaus|spamcop|barracuda|sorbs|listed (at|in|on|by)|banned|refused to talk|poor reputation|ip reputation|sender reputation|client host .{0,60}rejected|not allowed to send|access denied.{0,40}(ip|sender|client)|your ip|denied by policy|\bcyren\b/i,
  ],
  ['policy', /polic(y|ies)|dmarc|\bspf\b|dkim|authenticat|not authori[sz]ed|relay(ing)? (denied|not permitted|access denied)|unable to relay|message (is )?too (big|large)|size (limit|exceeds)|exceeds (the )?(maximum|message) size|message size|attachment|prohibited|not permitted|security|tls (is )?required|encryption required|unauthenticated/i],
  // A disabled or suspended account may come back (unpaid, inactive, locked): not proof the address is gone.
  ['suspended', /(account|mailbox|user|recipient|address)[^.;\n]{0,50}\b(is |has been |was )?(disabled|suspended|deactivated|inactive|frozen|locked|blocked by (the )?(owner|administrator))\b|account (has )?expired|mailbox (is )?(disabled|inactive)/i],
  [
    'user_unknown',
    /user (is )?unknown|unknown (user|recipient|local part|mailbox|address)|no such (user|mailbox|recipient|address|account|person)|(user|mailbox|recipient|address|account|e-?mail address)( \S+)? (does not|doesn't|do not|no longer) exists?|does(n't| not) have an? (\S+ )?account|(invalid|unrouteable|unroutable|bad|unknown|nonexist[ae]nt|non-existent|not valid) (recipient|mailbox|address|user|destination)|(recipient|address|mailbox|user) (is )?(invalid|not found|unavailable|not valid)|mailbox (is )?(unavailable|not found)|recipient (address )?rejected: (access denied\. as\(201806281\)|user unknown|undeliverable address)|not a (valid|known) (user|recipient|mailbox)|no mailbox here|not our customer|recipnotfound|recipientnotfound|not found by smtp address lookup|this user doesn't have|address (couldn't|could not|cannot|can't) be found|nicht gefunden|unbekannt|n'existe pas|inexistente|не существует|нет такого|no existe/i,
  ],
  ['host_unknown', /host (or domain name )?(is )?(not found|unknown)|(couldn't|could not|can't|cannot) find any host|unknown host|domain (name )?(not found|does not exist|unknown|is not valid)|no such (host|domain)|unrouteable (mail )?domain|unroutable domain|name or service not known|nxdomain|dns error|host not found|bad destination system|could not resolve|unresolvable|domain (has )?no (valid )?(mail|mx)/i],
  ['no_mx', /no mx|no (valid )?mail exchangers?|null mx|does not accept mail \(nullmx\)|mx (record )?(not found|lookup failed)/i],
  ['moved', /has moved|moved permanently|no longer (at|with|valid|in use|active)|changed (his|her|their|the|e-?mail) address|user has moved|address has changed|forwarding address/i],
  ['not_accepted', /suppression list|suppressed|does not accept (e-?)?mail|not accepting (any )?(e-?)?mail|accepts no mail|refuses (all )?mail|not accept mail/i],
  ['expired', /expired|failed \d+ attempts|retry time(out)? (not reached|exceeded)|delivery time expired|time ?limit exceeded|could not be delivered (within|for) \d+|too long in (the )?queue|message is too old/i],
  ['temporary', /temporar(y|ily)|timed? out|try (again )?later|service (not |un)available|resources? (temporarily )?unavailable|system (error|not available|unavailable)|connection (refused|reset|lost|timed out)|local error|internal error|i\/o error|network (is )?unreachable|queue|deferred/i],
]

/** The reason an enhanced status code (RFC 3463) names on its own. */
function reasonOfCode(code: string): BounceReason | null {
  const [, subject, detail] = code.split('.')
  switch (`${subject}.${detail}`) {
    case '1.1':
    case '1.0':
    case '1.3':
      return 'user_unknown'
    case '1.2':
      return 'host_unknown'
    case '1.6':
      return 'moved'
    case '1.10':
      return 'no_mx'
    case '2.2':
      return 'mailbox_full'
    case '2.1':
      return 'suspended'
    case '1.7':
    case '1.8':
      return 'policy'
    case '2.3':
    case '3.4':
      return 'policy'
    case '4.4':
      return 'host_unknown'
    case '4.7':
      return 'expired'
    case '7.1':
      return 'blocked'
  }
  switch (subject) {
    case '2':
    case '3':
    case '4':
    case '5':
      return 'temporary'
    case '6':
    case '7':
      return 'policy'
  }
  return null
}

/** The reason a bare SMTP reply code suggests, when nothing better is known. */
function reasonOfReply(code: string): BounceReason | null {
  switch (code) {
    case '550':
    case '551':
    case '553':
      return null // too generic: a 550 is as often a policy block as an unknown user
    case '552':
      return 'mailbox_full'
    case '421':
      return 'rate_limited'
    case '450':
    case '451':
    case '452':
      return 'temporary'
    case '554':
      return 'blocked'
  }
  return null
}

export const statusCodePattern = /\b([245])\.(\d{1,3})\.(\d{1,3})\b/
const replyCodePattern = /\b([245][0-5]\d)[ -]/

export interface ReasonInput {
  /** Enhanced status code, e.g. `5.1.1`. */
  status: string | null
  /** What the remote server said (Diagnostic-Code, or the error line of a plain-text bounce). */
  diagnostic: string | null
  /** DSN Action: failed, delayed… */
  action: string | null
  /** Other text to read when the diagnostic says nothing (the human-readable part, trimmed). */
  context?: string | null
}

export interface ReasonVerdict {
  reason: BounceReason
  hard: boolean
}

/** The reason named by the first phrase that matches `text`, if any. */
export function reasonOfText(text: string | null | undefined): BounceReason | null {
  if (!text) return null
  const flat = text.replace(/\s+/g, ' ')
  for (const [reason, re] of phrases) if (re.test(flat)) return reason
  return null
}

/**
 * Decides one failed recipient's reason and whether it is hard. A transient
 * report (a `4.x.x` status, a 4xx reply, or action `delayed`) is never hard,
 * whatever its reason: the server itself said to try again.
 */
export function decideReason(r: ReasonInput): ReasonVerdict {
  const status = r.status?.match(statusCodePattern)?.[0] ?? r.diagnostic?.match(statusCodePattern)?.[0] ?? null
  const reply = r.diagnostic?.match(replyCodePattern)?.[1] ?? null
  let reason: BounceReason =
    reasonOfText(r.diagnostic) ?? (status ? reasonOfCode(status) : null) ?? (reply ? reasonOfReply(reply) : null) ?? reasonOfText(r.context) ?? (r.action === 'delayed' ? 'temporary' : 'unknown')
  // A transient error reported as a final failure: the sender gave up retrying (queue lifetime).
  if (r.action === 'failed' && status?.startsWith('4') && (reason === 'temporary' || reason === 'unknown')) reason = 'expired'
  const transient = r.action === 'delayed' || status?.startsWith('4') === true || (status === null && reply?.startsWith('4') === true)
  return { reason, hard: hardReasons.has(reason) && !transient }
}
