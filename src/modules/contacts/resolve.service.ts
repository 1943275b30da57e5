import { type Actor, authorize } from '../../platform/auth/actor.ts'
import { recordAudit } from '../../platform/audit/audit.ts'
import type { Tx } from '../../platform/db/tenant.ts'
import type { Row } from '../../platform/db/schema.ts'
import { AppError } from '../../platform/errors.ts'
import { appendEvent } from '../../platform/events/events.ts'
import * as repo from './contacts.repository.ts'
import { loadContact, normaliseAll } from './contacts.shared.ts'
import type { Contact, IdentityKind } from './contacts.types.ts'

/** What a channel or an API caller knows about the person behind a message. */
export interface ResolveInput {
  name?: string | undefined
  email?: string | undefined
  phone?: string | undefined
  identities?: Array<{ kind: IdentityKind; value: string }> | undefined
}

const MAX_MERGE_HOPS = 32

/** Follows merged_into_id to the contact that survived; null when the id is unknown in the workspace. */
export async function survivingContact(trx: Tx, workspaceId: string, id: string, opts: { forUpdate?: boolean } = {}): Promise<Row<'contacts'> | null> {
  let row = await repo.findContact(trx, workspaceId, id, opts)
  for (let hops = 0; row?.merged_into_id && hops < MAX_MERGE_HOPS; hops++) row = await repo.findContact(trx, workspaceId, row.merged_into_id, opts)
  return row ?? null
}

/** The contact with this id, or the one it was merged into; null when unknown. */
export async function getContactInTx(trx: Tx, workspaceId: string, id: string): Promise<Contact | null> {
  const row = await survivingContact(trx, workspaceId, id)
  return row ? loadContact(trx, workspaceId, row.id) : null
}

/**
 * Finds or creates the contact for what a channel knows about a person, inside
 * the caller's transaction. The first identity (email, then phone, then
 * `identities` in order) that belongs to a contact decides who it is; the other
 * identities given are added to it unless another contact owns them. With no
 * match a contact is created with all of them (no identity at all: an anonymous
 * contact). The name is only filled in, never overwritten.
 *
 * Safe under races: identities are inserted with ON CONFLICT DO NOTHING, and a
 * lost race (someone created the same identity meanwhile) drops the contact
 * this call created and resolves again against the winner. The lookup, the
 * owner's lock and the inserts are one statement; only a lost race, a merged
 * owner or a name to fill in costs more.
 */
export async function resolveContactInTx(trx: Tx, actor: Actor, input: ResolveInput): Promise<{ contactId: string; created: boolean }> {
  authorize(actor, 'contacts:write')
  const ws = actor.workspaceId
  const wanted = normaliseAll([
    ...(input.email !== undefined ? [{ kind: 'email' as const, value: input.email, field: 'body.contact.email' }] : []),
    ...(input.phone !== undefined ? [{ kind: 'phone' as const, value: input.phone, field: 'body.contact.phone' }] : []),
    ...(input.identities ?? []).map((i, n) => ({ ...i, field: `body.contact.identities.${n}.value` })),
  ])
  const name = input.name?.trim().slice(0, 200) || null

  for (let attempt = 0; attempt < 3; attempt++) {
    // One statement in the common case: lookup, lock or insert, identities (contacts.repository.ts, resolveIdentities).
    const r = await repo.resolveIdentities(trx, ws, wanted, name)

    if (r.createdId) {
      if (r.inserted.length < wanted.length) {
        // Lost a race: another transaction inserted one of these identities after our snapshot. Resolve again against it.
        await repo.deleteContact(trx, ws, r.createdId) // its identities go with it (ON DELETE CASCADE)
        continue
      }
      await recordContactCreated(trx, actor, r.createdId, name, r.inserted)
      return { contactId: r.createdId, created: true }
    }

    if (!r.locked) continue // the owner was deleted meanwhile: resolve again
    // Merged away (rare: a merge moves identities to the survivor): follow the chain and add the identities there.
    const contact = r.locked.mergedIntoId ? await survivingContact(trx, ws, r.locked.mergedIntoId, { forUpdate: true }) : { id: r.locked.id, name: r.locked.name }
    if (!contact) continue
    const added = r.locked.mergedIntoId ? await insertIdentities(trx, ws, contact.id, wanted) : r.inserted
    const nameSet = !contact.name && name !== null
    if (nameSet) await repo.updateContact(trx, ws, contact.id, { name })
    if (added.length || nameSet) {
      await recordAudit(trx, actor, {
        action: 'contact.updated',
        entityType: 'contact',
        entityId: contact.id,
        changes: { ...(added.length && { identitiesAdded: added }), ...(nameSet && { before: { name: null }, after: { name } }) },
      })
      await appendEvent(trx, actor, { type: 'contact.updated', contactId: contact.id, payload: { contactId: contact.id, fields: [...(added.length ? ['identities'] : []), ...(nameSet ? ['name'] : [])] } })
    }
    return { contactId: contact.id, created: false }
  }
  throw new AppError('CONFLICT', 'The contact changed concurrently while it was being resolved; retry the request')
}

/** Adds the identities the contact lacks, one by one (the merged-owner path); returns those inserted. */
async function insertIdentities(trx: Tx, ws: string, contactId: string, wanted: repo.NormalisedIdentity[]): Promise<Array<{ id: string; kind: string }>> {
  const added: Array<{ id: string; kind: string }> = []
  for (const i of wanted) {
    const row = await repo.insertIdentity(trx, ws, contactId, i)
    if (row) added.push({ id: row.id, kind: row.kind })
  }
  return added
}

/**
 * The audit entry and the `contact.created` event, written with the contact.
 * Identities appear by id and kind only: the audit chain is append-only, so
 * addresses and numbers are kept out of it. Event payload: `{ contactId }`.
 */
export async function recordContactCreated(trx: Tx, actor: Actor, contactId: string, name: string | null, identities: Array<{ id: string; kind: string }>) {
  await recordAudit(trx, actor, {
    action: 'contact.created',
    entityType: 'contact',
    entityId: contactId,
    changes: { after: { name, identities: identities.map((i) => ({ id: i.id, kind: i.kind })) } },
  })
  await appendEvent(trx, actor, { type: 'contact.created', contactId, payload: { contactId } })
}
