import { type Actor, authorize, systemActor } from '../../platform/auth/actor.ts'
import { recordAudit } from '../../platform/audit/audit.ts'
import type { Tx } from '../../platform/db/tenant.ts'
import { AppError, conflict, notFound } from '../../platform/errors.ts'
import { appendEvent } from '../../platform/events/events.ts'
import { page } from '../../platform/http/cursor.ts'
import type { Platform } from '../../platform/platform.ts'
import type { Contact, ContactMerge } from './contacts.types.ts'
import { type createMergeUseCases, lockPair } from './merges.service.ts'
import { survivingContact } from './resolve.service.ts'
import * as repo from './suggestions.repository.ts'
import { type MergeEvidence, type MergeSuggestion, type SuggestionStatus, toSuggestion } from './suggestions.types.ts'

/**
 * Records that contacts `a` and `b` may be one person, from unverified
 * evidence (a channel calls this inside its own transaction when it sees an
 * unverified identity that belongs to another contact). Never merges: an agent
 * accepts (B is merged into A) or rejects. Both ids are followed to the
 * contacts they were merged into; the same contact, or a pair with an open
 * suggestion already (either order), records nothing new. Returns the open
 * suggestion, or null when the two are one contact already.
 * Event `contact.merge-suggested` `{ suggestionId, contactAId, contactBId, source }`.
 */
export async function suggestMerge(trx: Tx, workspaceId: string, a: string, b: string, evidence: MergeEvidence, actor: Actor = systemActor(workspaceId, 'merge suggestion')): Promise<MergeSuggestion | null> {
  const [ca, cb] = [await survivingContact(trx, workspaceId, a), await survivingContact(trx, workspaceId, b)]
  if (!ca || !cb) throw notFound('Contact')
  if (ca.id === cb.id) return null
  const row = await repo.insertOpenSuggestion(trx, workspaceId, ca.id, cb.id, { ...evidence })
  if (!row) {
    const existing = await repo.findOpenSuggestionOfPair(trx, workspaceId, ca.id, cb.id)
    return existing ? toSuggestion(existing) : null
  }
  // Ids and the kind of evidence only: the claimed address stays out of the append-only audit log.
  await recordAudit(trx, actor, { action: 'contact.merge-suggested', entityType: 'contact', entityId: ca.id, changes: { suggestionId: row.id, contactAId: ca.id, contactBId: cb.id, source: evidence.source } })
  await appendEvent(trx, actor, { type: 'contact.merge-suggested', contactId: ca.id, payload: { suggestionId: row.id, contactAId: ca.id, contactBId: cb.id, source: evidence.source } })
  return toSuggestion(row)
}

export function createSuggestionUseCases(p: Platform, merges: ReturnType<typeof createMergeUseCases>) {
  return {
    async listSuggestions(actor: Actor, q: { status: SuggestionStatus; contactId?: string | undefined; limit: number; cursor?: string | undefined }) {
      authorize(actor, 'contacts:read')
      const after = p.cursors.decode(q.cursor, 2) as [string, string] | null
      const rows = await p.tx(actor, (trx) => repo.listSuggestions(trx, actor.workspaceId, { status: q.status, contactId: q.contactId, limit: q.limit, after }))
      return page(rows.map(toSuggestion), q.limit, (s) => p.cursors.encode([s.createdAt, s.id]))
    },

    /**
     * Accepts a suggestion: the existing merge runs (contact B into contact A,
     * or into `targetContactId` when the agent picks B), in the same
     * transaction as the decision. Locks the two contacts before the
     * suggestion (the lock order: contacts, then this row).
     * Event `contact.merge-suggestion-decided` `{ suggestionId, status, mergeId }`.
     */
    async acceptSuggestion(actor: Actor, id: string, opts: { targetContactId?: string | undefined } = {}): Promise<{ suggestion: MergeSuggestion; merge: ContactMerge; contact: Contact }> {
      authorize(actor, 'contacts:merge')
      return p.tx(actor, async (trx) => {
        const ws = actor.workspaceId
        const seen = await repo.findSuggestion(trx, ws, id)
        if (!seen) throw notFound('Merge suggestion')
        await lockPair(trx, ws, seen.contact_a_id, seen.contact_b_id)
        const s = await repo.findSuggestion(trx, ws, id, { forUpdate: true })
        if (!s) throw notFound('Merge suggestion')
        if (s.status !== 'open') throw conflict(`This suggestion was already ${s.status}`, { status: s.status })
        const target = opts.targetContactId ?? s.contact_a_id
        if (target !== s.contact_a_id && target !== s.contact_b_id)
          throw new AppError('VALIDATION_FAILED', 'body.targetContactId must be one of the two contacts of the suggestion', [{ field: 'body.targetContactId', message: 'is not one of the two contacts' }])
        const source = target === s.contact_a_id ? s.contact_b_id : s.contact_a_id
        const { merge, contact } = await merges.mergeInTx(trx, actor, target, source)
        const row = await repo.decideSuggestion(trx, ws, id, { status: 'accepted', mergeId: merge.id, decidedBy: actor.userId })
        await recordAudit(trx, actor, { action: 'contact.merge-suggestion-accepted', entityType: 'contact', entityId: target, changes: { suggestionId: id, mergeId: merge.id, targetContactId: target, sourceContactId: source } })
        await appendEvent(trx, actor, { type: 'contact.merge-suggestion-decided', contactId: target, payload: { suggestionId: id, status: 'accepted', mergeId: merge.id } })
        return { suggestion: toSuggestion(row), merge, contact }
      })
    },

    /** Rejects a suggestion: the two contacts stay apart. */
    async rejectSuggestion(actor: Actor, id: string): Promise<MergeSuggestion> {
      authorize(actor, 'contacts:merge')
      return p.tx(actor, async (trx) => {
        const ws = actor.workspaceId
        const s = await repo.findSuggestion(trx, ws, id, { forUpdate: true })
        if (!s) throw notFound('Merge suggestion')
        if (s.status !== 'open') throw conflict(`This suggestion was already ${s.status}`, { status: s.status })
        const row = await repo.decideSuggestion(trx, ws, id, { status: 'rejected', mergeId: null, decidedBy: actor.userId })
        await recordAudit(trx, actor, { action: 'contact.merge-suggestion-rejected', entityType: 'contact', entityId: s.contact_a_id, changes: { suggestionId: id } })
        await appendEvent(trx, actor, { type: 'contact.merge-suggestion-decided', contactId: s.contact_a_id, payload: { suggestionId: id, status: 'rejected', mergeId: null } })
        return toSuggestion(row)
      })
    },
  }
}
