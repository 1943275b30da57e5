import type { Actor } from '../../platform/auth/actor.ts'
import type { Config } from '../../platform/config.ts'
import type { Tx } from '../../platform/db/tenant.ts'
import { appendEvent } from '../../platform/events/events.ts'
import { type IdentityBounceResult, recordEmailBounce, recordEmailDelivered, type SoftBouncePolicy } from '../../modules/contacts/index.ts'
import * as bounces from './bounce.repository.ts'
import type { BouncedRecipient, ClassificationResult } from './classify.ts'
import type { ParsedEmail } from './parse.ts'

type PolicyConfig = Pick<Config, 'emailSoftBounceLimit' | 'emailSoftBounceWindowHours' | 'emailSoftBouncePauseHours'>

export const softBouncePolicy = (c: PolicyConfig): SoftBouncePolicy => ({ limit: c.emailSoftBounceLimit, windowHours: c.emailSoftBounceWindowHours, blockHours: c.emailSoftBouncePauseHours })

const ownMessageUuid = /([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.omnidesk@/i

/** The id of our outbound message a bounce returns: in its References, its report, or the returned headers. */
function bouncedMessageId(parsed: ParsedEmail): string | null {
  const texts = [
    ...parsed.inReplyTo,
    ...parsed.references,
    ...parsed.reportParts.map((p) => p.content),
    ...parsed.attachments.filter((a) => /^(message\/|text\/rfc822-headers)/.test(a.contentType)).map((a) => a.content.subarray(0, 65_536).toString('utf8')),
    parsed.text ?? '',
  ]
  for (const t of texts) {
    const m = t.match(ownMessageUuid)
    if (m?.[1]) return m[1].toLowerCase()
  }
  return null
}

/** Where the agent sees the bounce: the conversation of the bounced reply, else the contact's latest one. */
async function conversationFor(trx: Tx, ws: string, messageId: string | null, contactId: string): Promise<string | null> {
  return (messageId ? await bounces.conversationOfMessage(trx, ws, messageId, contactId) : null) ?? (await bounces.latestConversationOf(trx, ws, contactId))
}

const failedActions = (r: BouncedRecipient) => !['delayed', 'delivered', 'relayed', 'expanded'].includes(r.action ?? '')

/**
 * What an ignored bounce or delivery receipt does to the addresses it names,
 * inside the caller's transaction: a hard bounce marks the address
 * undeliverable, a soft one counts toward a pause (contacts' deliverability);
 * each change is an `email.bounced` event on the conversation of the bounced
 * reply, so the timeline shows it with its reason. A receipt ends a soft-bounce
 * streak. Returns what it changed, for the inbound row's details.
 */
export async function applyBounceInTx(trx: Tx, actor: Actor, policy: SoftBouncePolicy, inboundEmailId: string, parsed: ParsedEmail, c: ClassificationResult): Promise<Record<string, string[]>> {
  const ws = actor.workspaceId
  const changed: Record<string, string[]> = {}
  const note = (key: string, email: string) => {
    const list = (changed[key] ??= [])
    if (!list.includes(email)) list.push(email)
  }
  if (c.classification === 'receipt') {
    for (const email of (c.details.recipients as unknown[] | undefined) ?? [])
      if (typeof email === 'string' && email.includes('@') && (await recordEmailDelivered(trx, ws, email)).length > 0) note('softBouncesCleared', email.toLowerCase())
    return changed
  }
  if (c.classification !== 'bounce') return changed
  const recipients = ((c.details.recipients as BouncedRecipient[] | undefined) ?? []).filter((r) => r.recipient?.includes('@') && failedActions(r))
  if (recipients.length === 0) return changed
  const messageId = bouncedMessageId(parsed)
  for (const r of recipients) {
    const email = (r.recipient as string).toLowerCase()
    const results: IdentityBounceResult[] = await recordEmailBounce(trx, ws, { email, hard: r.hard, reason: r.reason, diagnostic: r.diagnostic, dsnStatus: r.status }, policy)
    for (const result of results.filter((x) => x.outcome !== 'unchanged')) {
      note({ undeliverable: 'markedUndeliverable', soft_blocked: 'softBlocked', soft_bounced: 'softBounced' }[result.outcome as 'undeliverable'], email)
      const conversationId = await conversationFor(trx, ws, messageId, result.contactId)
      const payload = { email, hard: r.hard, reason: r.reason, diagnostic: r.diagnostic, dsnStatus: r.status, outcome: result.outcome, expiresAt: result.deliverability.expiresAt, inboundEmailId }
      await appendEvent(trx, actor, { type: 'email.bounced', conversationId, contactId: result.contactId, payload })
      if (result.outcome === 'undeliverable')
        await appendEvent(trx, actor, { type: 'contact.email-undeliverable', contactId: result.contactId, payload: { email, status: r.status, reason: r.reason, diagnostic: r.diagnostic, inboundEmailId } })
    }
  }
  return changed
}
