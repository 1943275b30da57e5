import { type Actor, authorize } from '../../platform/auth/actor.ts'
import { recordAudit } from '../../platform/audit/audit.ts'
import type { Tx } from '../../platform/db/tenant.ts'
import type { Row } from '../../platform/db/schema.ts'
import { AppError, conflict, notFound } from '../../platform/errors.ts'
import { appendEvent } from '../../platform/events/events.ts'
import type { Platform } from '../../platform/platform.ts'
import * as repo from './contacts.repository.ts'
import { loadContact, sameJson } from './contacts.shared.ts'
import { type Contact, type ContactMerge, type MergeConflict, type MergeMoved, toMerge } from './contacts.types.ts'

/** Locks two contacts in a stable order (by id), so two merges of the same pair cannot deadlock. */
export async function lockPair(trx: Tx, workspaceId: string, a: string, b: string): Promise<[Row<'contacts'> | undefined, Row<'contacts'> | undefined]> {
  const [first, second] = a < b ? [a, b] : [b, a]
  const x = await repo.findContact(trx, workspaceId, first, { forUpdate: true })
  const y = await repo.findContact(trx, workspaceId, second, { forUpdate: true })
  return a < b ? [x, y] : [y, x]
}

/** Target wins: each key both have with different values is a conflict, recorded with what was discarded. */
export function combineAttributes(target: Record<string, unknown>, source: Record<string, unknown>) {
  const combined: Record<string, unknown> = { ...source, ...target }
  const conflicts: MergeConflict[] = []
  const addedKeys: string[] = []
  for (const [key, value] of Object.entries(source)) {
    if (!(key in target)) addedKeys.push(key)
    else if (!sameJson(target[key], value)) conflicts.push({ key, kept: target[key], discarded: value })
  }
  return { combined, conflicts, addedKeys }
}

export function createMergeUseCases(p: Platform) {
  /** The merge itself, inside the caller's transaction; the caller has authorised. */
  async function mergeInTx(trx: Tx, actor: Actor, targetId: string, sourceId: string): Promise<{ merge: ContactMerge; contact: Contact }> {
    if (targetId === sourceId) throw new AppError('UNPROCESSABLE', 'A contact cannot be merged into itself')
    const ws = actor.workspaceId
    const [target, source] = await lockPair(trx, ws, targetId, sourceId)
    if (!target) throw notFound('Contact')
    if (!source) throw new AppError('NOT_FOUND', 'Source contact not found', [{ field: 'body.sourceContactId', message: 'no such contact' }])
    for (const c of [target, source])
      if (c.merged_into_id) throw new AppError('UNPROCESSABLE', `Contact ${c.id} was already merged into ${c.merged_into_id}`, { contactId: c.id, mergedIntoId: c.merged_into_id })

    const identityIds = await repo.moveIdentities(trx, ws, source.id, target.id)
    const conversationIds = await repo.moveConversations(trx, ws, source.id, target.id)
    const { combined, conflicts, addedKeys } = combineAttributes(target.attributes, source.attributes)
    const nameTaken = !target.name && source.name !== null
    await repo.updateContact(trx, ws, target.id, { attributes: combined, ...(nameTaken && { name: source.name }) })
    await repo.updateContact(trx, ws, source.id, { merged_into_id: target.id })
    const moved: MergeMoved = { identityIds, conversationIds, sourceAttributes: source.attributes, addedKeys, sourceName: source.name, nameTaken }
    const row = await repo.insertMerge(trx, ws, { sourceContactId: source.id, targetContactId: target.id, moved, conflicts, mergedBy: actor.userId })

    await recordAudit(trx, actor, {
      action: 'contact.merged',
      entityType: 'contact',
      entityId: target.id,
      changes: { mergeId: row.id, sourceContactId: source.id, targetContactId: target.id, identityIds, conversationIds, conflicts },
    })
    await appendEvent(trx, actor, {
      type: 'contact.merged',
      contactId: target.id,
      payload: { mergeId: row.id, sourceContactId: source.id, targetContactId: target.id, conversationIds },
    })
    return { merge: toMerge(row), contact: (await loadContact(trx, ws, target.id)) as Contact }
  }

  return {
    /**
     * Merges `sourceId` INTO `targetId`: identities and conversations move to the
     * target, attributes combine (target wins), the source keeps a pointer
     * (`mergedIntoId`). The contact_merges row records exactly what moved, so
     * `undoMerge` can put it back. Event `contact.merged`, payload
     * `{ mergeId, sourceContactId, targetContactId, conversationIds }`.
     */
    async merge(actor: Actor, targetId: string, sourceId: string): Promise<{ merge: ContactMerge; contact: Contact }> {
      authorize(actor, 'contacts:merge')
      return p.tx(actor, (trx) => mergeInTx(trx, actor, targetId, sourceId))
    },

    /** merge() inside the caller's transaction (accepting a merge suggestion); the caller has authorised. */
    mergeInTx,

    /**
     * Undoes a merge: the recorded identities and conversations go back to the
     * source (those that are still on the target), the source's attributes and
     * name come back, and the target loses the keys only the source had brought
     * (unless they were edited since). Conversations that arrived after the
     * merge stay with the target. Event `contact.unmerged`, payload as for merge.
     */
    async undoMerge(actor: Actor, mergeId: string): Promise<{ merge: ContactMerge; contact: Contact; sourceContact: Contact }> {
      authorize(actor, 'contacts:merge')
      return p.tx(actor, async (trx) => {
        const ws = actor.workspaceId
        const m = await repo.findMerge(trx, ws, mergeId, { forUpdate: true })
        if (!m) throw notFound('Merge')
        if (m.undone_at) throw conflict('This merge was already undone', { undoneAt: m.undone_at.toISOString() })
        const [target, source] = await lockPair(trx, ws, m.target_contact_id, m.source_contact_id)
        if (!target || !source) throw notFound('Contact')
        if (target.merged_into_id)
          throw new AppError('UNPROCESSABLE', `The target was later merged into ${target.merged_into_id}; undo that merge first`, { mergedIntoId: target.merged_into_id })
        if (source.merged_into_id !== target.id) throw new AppError('UNPROCESSABLE', 'The source contact is no longer merged into the target')

        const moved = m.moved as unknown as MergeMoved
        const identityIds = await repo.moveIdentities(trx, ws, target.id, source.id, moved.identityIds)
        const conversationIds = await repo.moveConversations(trx, ws, target.id, source.id, moved.conversationIds)
        const attributes = { ...target.attributes }
        for (const k of moved.addedKeys) if (sameJson(attributes[k], moved.sourceAttributes[k])) delete attributes[k]
        const giveBackName = moved.nameTaken && target.name === moved.sourceName
        await repo.updateContact(trx, ws, target.id, { attributes, ...(giveBackName && { name: null }) })
        await repo.updateContact(trx, ws, source.id, { merged_into_id: null, attributes: moved.sourceAttributes, name: moved.sourceName })
        const row = await repo.markMergeUndone(trx, ws, m.id, actor.userId)

        await recordAudit(trx, actor, {
          action: 'contact.unmerged',
          entityType: 'contact',
          entityId: target.id,
          changes: { mergeId: m.id, sourceContactId: source.id, targetContactId: target.id, identityIds, conversationIds },
        })
        await appendEvent(trx, actor, {
          type: 'contact.unmerged',
          contactId: source.id,
          payload: { mergeId: m.id, sourceContactId: source.id, targetContactId: target.id, conversationIds },
        })
        return {
          merge: toMerge(row),
          contact: (await loadContact(trx, ws, target.id)) as Contact,
          sourceContact: (await loadContact(trx, ws, source.id)) as Contact,
        }
      })
    },

    /** Merges the contact took part in, as source or target, newest first. */
    async mergeHistory(actor: Actor, contactId: string): Promise<ContactMerge[]> {
      authorize(actor, 'contacts:read')
      return p.tx(actor, async (trx) => {
        if (!(await repo.findContact(trx, actor.workspaceId, contactId))) throw notFound('Contact')
        return (await repo.mergesOf(trx, actor.workspaceId, contactId)).map(toMerge)
      })
    },
  }
}
