import type { Row } from '../../platform/db/schema.ts'
import type { Tx } from '../../platform/db/tenant.ts'
import type { SecretBox } from '../../platform/crypto.ts'
import { htmlToText } from '../../modules/conversations/index.ts'
import { emailThreadingSchema, type EmailThreading } from './config.ts'
import { conversationIdFromAddress, conversationIdFromText } from './conversation-token.ts'
import * as repo from './email.repository.ts'
import type { ThreadingDecision } from './email.types.ts'
import type { ParsedEmail } from './parse.ts'

export type ThreadingSettings = EmailThreading

/**
 * Reply and forward prefixes mail clients add: Re, Fwd/Fw, AW/WG (German),
 * SV (Nordic), Antw (Dutch), any case, with Outlook's optional counter
 * (`Re[2]:`). Kept short on purpose: a word like "Ref:" may be the subject.
 */
const PREFIX = /^(?:re|fwd?|aw|wg|sv|antw)\s*(?:\[\d+\]|\(\d+\))?\s*:\s*/i

/** A subject as people mean it: reply/forward prefixes (repeated) removed, whitespace collapsed. Compare lower-cased. */
export function normaliseSubject(subject: string | null | undefined): string {
  let s = (subject ?? '').replace(/\s+/g, ' ').trim()
  for (let prev = ''; prev !== s; ) {
    prev = s
    s = s.replace(PREFIX, '').trim()
  }
  return s
}

/**
 * Takes the thread locks of the mails of a transaction (repo.lockThreadKeysReadSettings)
 * and returns the threading settings of their inboxes: stored values were
 * validated when the inbox was saved, defaults fill the rest (and stand in
 * for an inbox that is gone: ingestInboundInTx refuses its mail anyway).
 */
export async function lockThreadReadSettings(
  trx: Tx,
  workspaceId: string,
  inboxIds: string[],
  messageIds: string[],
  opts: { lockTimeoutMs?: number; thenKeys?: string[] } = {},
): Promise<(inboxId: string) => ThreadingSettings> {
  const stored = await repo.lockThreadKeysReadSettings(trx, workspaceId, inboxIds, messageIds, opts)
  const defaults = emailThreadingSchema.parse({})
  const settings = new Map([...stored].map(([id, v]) => {
    const parsed = emailThreadingSchema.safeParse(v ?? {})
    return [id, parsed.success ? parsed.data : defaults] as const
  }))
  return (inboxId) => settings.get(inboxId) ?? defaults
}

/** A token-looking part in an address or text, whether or not it verifies (to explain why a token was ignored). */
const looksLikeToken = (s: string) => /odk-[0-9a-f]{8,}/i.test(s)

/**
 * Chooses the conversation an inbound mail joins, and says why. In order:
 * 1. In-Reply-To, then References (most recent first): a Message-ID of a
 *    message we received or sent;
 * 2. our conversation token (HMAC-signed, conversation-token.ts) in a
 *    recipient's plus-address (envelope, To, Cc) or a `[ODK-…]` footer in the
 *    text, naming a conversation of this workspace;
 * 3. a reply that arrived first: a stored inbound email names this mail's
 *    own Message-ID in In-Reply-To/References, so this mail joins that
 *    reply's conversation (the caller holds the thread locks, so a reply being
 *    stored concurrently is either visible here or waits for this mail);
 * 4. the subject fallback: the sender's still-open case with the same
 *    normalised subject active within `subjectFallbackDays` (0: off).
 * Whether a solved or closed match reopens or gets a follow-up is decided by
 * conversations.ingestInbound, under the conversation's row lock. Runs in the
 * caller's transaction, which also writes the message; what the rules look
 * at is read in one statement (repo.threadingCandidates), with, given
 * `stored`, whether the inbox already holds the message (`duplicate`).
 */
export async function decideThreading(
  trx: Tx,
  box: SecretBox,
  row: Pick<Row<'inbound_emails'>, 'workspace_id' | 'envelope_to' | 'message_id_header'>,
  parsed: ParsedEmail,
  sender: string | null,
  settings: ThreadingSettings,
  stored?: { inboxId: string; providerMessageId: string },
): Promise<{ decision: ThreadingDecision; duplicate: boolean }> {
  const found = await candidatesOf(trx, row, parsed, sender, settings, stored)
  const decision = await decide(box, row, parsed, sender, settings, found, (id) => repo.conversationExists(trx, row.workspace_id, id))
  return { decision, duplicate: found.stored }
}

function candidatesOf(
  trx: Tx,
  row: Pick<Row<'inbound_emails'>, 'workspace_id' | 'message_id_header'>,
  parsed: ParsedEmail,
  sender: string | null,
  settings: ThreadingSettings,
  stored: { inboxId: string; providerMessageId: string } | undefined,
) {
  const headerIds = [...new Set([...parsed.inReplyTo, ...parsed.references])]
  const own = parsed.messageId ?? row.message_id_header
  return repo.threadingCandidates(trx, row.workspace_id, { headerIds, ownId: own, sender: normaliseSubject(parsed.subject) ? sender : null, days: settings.subjectFallbackDays, stored })
}

async function decide(
  box: SecretBox,
  row: Pick<Row<'inbound_emails'>, 'workspace_id' | 'envelope_to' | 'message_id_header'>,
  parsed: ParsedEmail,
  sender: string | null,
  settings: ThreadingSettings,
  found: repo.ThreadingCandidates,
  conversationExists: (id: string) => Promise<boolean>,
): Promise<ThreadingDecision> {
  const notes: string[] = []
  const candidates = [...parsed.inReplyTo.map((id) => ['in-reply-to', id] as const), ...[...parsed.references].reverse().map((id) => ['references', id] as const)]
  const own = parsed.messageId ?? row.message_id_header
  const subject = normaliseSubject(parsed.subject)
  const days = settings.subjectFallbackDays

  // 1. Headers.
  if (candidates.length === 0) notes.push('no In-Reply-To/References header')
  else {
    for (const [headerName, id] of candidates) {
      const hit = found.byHeader.find((k) => k.providerMessageId === id)
      if (hit) {
        const label = headerName === 'in-reply-to' ? 'In-Reply-To' : 'References'
        return { matched: headerName, header: id, conversationId: hit.conversationId, reason: `matched ${label} header ${id}` }
      }
    }
    notes.push('no known Message-ID in In-Reply-To/References')
  }

  // 2. Conversation token: recipients first (the Reply-To we set comes back as the To), then the footer.
  const recipients = [...new Set([...row.envelope_to, ...parsed.to.map((a) => a.address), ...parsed.cc.map((a) => a.address)].map((a) => a.trim()))]
  const text = parsed.text?.trim() ? parsed.text : parsed.html ? htmlToText(parsed.html) : ''
  const tokens: Array<{ where: string; conversationId: string | null; garbled: boolean }> = [
    ...recipients.map((a) => ({ where: `recipient ${a}`, conversationId: conversationIdFromAddress(box, a), garbled: looksLikeToken(a.slice(0, a.lastIndexOf('@'))) })),
    { where: 'footer', conversationId: conversationIdFromText(box, text), garbled: /\[ODK-/i.test(text) },
  ].filter((t) => t.conversationId !== null || t.garbled)
  for (const t of tokens) {
    if (!t.conversationId) {
      notes.push(`ignored a conversation token in ${t.where} that does not verify`)
      continue
    }
    const id = t.conversationId
    if (await conversationExists(id))
      return { matched: 'token', token: t.where, conversationId: id, reason: `matched conversation token in ${t.where}` }
    notes.push(`ignored a conversation token in ${t.where} for a conversation that does not exist here`)
  }
  if (tokens.length === 0) notes.push('no conversation token')

  // 3. A reply that arrived (and was stored) before this mail.
  if (own) {
    const reply = found.repliesFirst[0]
    if (reply)
      return {
        matched: 'reply-arrived-first',
        header: reply.providerMessageId ?? own,
        conversationId: reply.conversationId,
        reason: `a reply to this message arrived first (${reply.providerMessageId ?? 'a stored reply'} names ${own} in In-Reply-To/References): joined its conversation`,
      }
    notes.push('no stored reply to this message')
  }

  // 4. Subject fallback.
  if (days === 0) notes.push('subject fallback off')
  else if (!subject || !sender) notes.push(!subject ? 'no subject' : 'no sender address')
  else {
    const hit = found.openOfSender.find((c) => normaliseSubject(c.subject).toLowerCase() === subject.toLowerCase())
    if (hit)
      return { matched: 'subject', conversationId: hit.id, reason: `same contact and subject "${subject}" within ${days} days (conversation #${hit.number})` }
    notes.push(`no open conversation of this contact with subject "${subject}" in the last ${days} days`)
  }
  return { matched: null, reason: `${notes.join('; ')}: new conversation` }
}
