import { sql } from 'kysely'
import type { Tx } from '../../platform/db/tenant.ts'
import type { Row } from '../../platform/db/schema.ts'
import type { IdentityKind, MergeConflict, MergeMoved } from './contacts.types.ts'

export interface NormalisedIdentity {
  kind: IdentityKind
  value: string
  raw: string
}

export function insertContact(trx: Tx, workspaceId: string, c: { name: string | null; attributes: Record<string, unknown> }) {
  return trx
    .insertInto('contacts')
    .values({ workspace_id: workspaceId, name: c.name, attributes: JSON.stringify(c.attributes) })
    .returningAll()
    .executeTakeFirstOrThrow()
}

export function findContact(trx: Tx, workspaceId: string, id: string, opts: { forUpdate?: boolean } = {}) {
  let q = trx.selectFrom('contacts').selectAll().where('workspace_id', '=', workspaceId).where('id', '=', id)
  if (opts.forUpdate) q = q.forUpdate()
  return q.executeTakeFirst()
}

export function updateContact(
  trx: Tx,
  workspaceId: string,
  id: string,
  patch: Partial<{ name: string | null; attributes: Record<string, unknown>; merged_into_id: string | null }>,
) {
  const { attributes, ...rest } = patch
  return trx
    .updateTable('contacts')
    .set({ ...rest, ...(attributes !== undefined && { attributes: JSON.stringify(attributes) }), updated_at: new Date() })
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow()
}

export function deleteContact(trx: Tx, workspaceId: string, id: string) {
  return trx.deleteFrom('contacts').where('workspace_id', '=', workspaceId).where('id', '=', id).executeTakeFirst()
}

export async function identitiesOf(trx: Tx, workspaceId: string, contactIds: string[]): Promise<Map<string, Row<'contact_identities'>[]>> {
  const byContact = new Map<string, Row<'contact_identities'>[]>(contactIds.map((id) => [id, []]))
  if (contactIds.length === 0) return byContact
  const rows = await trx
    .selectFrom('contact_identities')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('contact_id', 'in', contactIds)
    // Identities added in one transaction share created_at (now()): kind and value make the order stable.
    .orderBy('created_at')
    .orderBy('kind')
    .orderBy('value')
    .execute()
  for (const r of rows) byContact.get(r.contact_id)?.push(r)
  return byContact
}

/** Name and first identity of each contact, for lists that label rows (the inbox); merged-away contacts included. */
export async function summariesOf(trx: Tx, workspaceId: string, contactIds: string[]): Promise<Map<string, ContactSummary>> {
  const map = new Map<string, ContactSummary>()
  if (contactIds.length === 0) return map
  const rows = await trx
    .selectFrom('contacts as k')
    .select((eb) => [
      'k.id',
      'k.name',
      eb
        .selectFrom('contact_identities as i')
        .select('i.raw_value')
        .where('i.workspace_id', '=', workspaceId)
        .whereRef('i.contact_id', '=', 'k.id')
        .orderBy('i.created_at')
        .orderBy('i.kind')
        .orderBy('i.value')
        .limit(1)
        .as('identity'),
    ])
    .where('k.workspace_id', '=', workspaceId)
    .where('k.id', 'in', [...new Set(contactIds)])
    .execute()
  for (const r of rows) map.set(r.id, { id: r.id, name: r.name, identity: r.identity ?? null })
  return map
}

/** What a list row shows of a contact: no attributes, no audit entry. */
export interface ContactSummary {
  id: string
  name: string | null
  /** The first identity (an email, a phone…), as the customer wrote it. */
  identity: string | null
}

export function findIdentity(trx: Tx, workspaceId: string, kind: IdentityKind, value: string) {
  return trx
    .selectFrom('contact_identities')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('kind', '=', kind)
    .where('value', '=', value)
    .executeTakeFirst()
}

export function findIdentityById(trx: Tx, workspaceId: string, contactId: string, id: string) {
  return trx
    .selectFrom('contact_identities')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('contact_id', '=', contactId)
    .where('id', '=', id)
    .executeTakeFirst()
}

/**
 * Inserts an identity unless another contact already has it. ON CONFLICT DO
 * NOTHING rather than catching the unique violation: a violation would abort
 * the whole transaction, while this waits for a concurrent inserter and then
 * returns undefined, so the caller can re-read who owns it.
 */
export function insertIdentity(trx: Tx, workspaceId: string, contactId: string, i: NormalisedIdentity) {
  return trx
    .insertInto('contact_identities')
    .values({ workspace_id: workspaceId, contact_id: contactId, kind: i.kind, value: i.value, raw_value: i.raw })
    .onConflict((oc) => oc.columns(['workspace_id', 'kind', 'value']).doNothing())
    .returningAll()
    .executeTakeFirst()
}

export function deleteIdentity(trx: Tx, workspaceId: string, contactId: string, id: string) {
  return trx
    .deleteFrom('contact_identities')
    .where('workspace_id', '=', workspaceId)
    .where('contact_id', '=', contactId)
    .where('id', '=', id)
    .executeTakeFirst()
}

const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`)

export interface SearchTerms {
  /** Matched against names, case-insensitively, as a substring. */
  text: string
  /** Normalised identity values to match exactly. */
  exact: string[]
  /** Identity value prefixes. */
  prefixes: string[]
}

/** Live (not merged-away) contacts, newest first, optionally matching search terms. */
export function searchContacts(
  trx: Tx,
  workspaceId: string,
  opts: { limit: number; after: [string, string] | null; query: SearchTerms | null },
) {
  let q = trx.selectFrom('contacts as c').selectAll('c').select(sql<string>`c.created_at::text`.as('created_key')).where('c.workspace_id', '=', workspaceId).where('c.merged_into_id', 'is', null)
  if (opts.query) {
    const { text, exact, prefixes } = opts.query
    q = q.where((eb) =>
      eb.or([
        eb(sql`lower(c.name)`, 'like', `%${escapeLike(text.toLowerCase())}%`),
        eb.exists(
          eb
            .selectFrom('contact_identities as i')
            .select(sql`1`.as('one'))
            .whereRef('i.contact_id', '=', 'c.id')
            .where('i.workspace_id', '=', workspaceId)
            .where((e) =>
              e.or([
                ...prefixes.map((prefix) => e('i.value', 'like', `${escapeLike(prefix)}%`)),
                ...(exact.length ? [e('i.value', 'in', exact)] : []),
              ]),
            ),
        ),
      ]),
    )
  }
  if (opts.after) {
    const [createdKey, id] = opts.after
    // Compared as timestamptz text from PostgreSQL itself, so no microseconds are lost in a JS Date.
    q = q.where(sql<boolean>`(c.created_at, c.id) < (${createdKey}::timestamptz, ${id}::uuid)`)
  }
  return q.orderBy('c.created_at', 'desc').orderBy('c.id', 'desc').limit(opts.limit + 1).execute()
}

export async function conversationIdsOf(trx: Tx, workspaceId: string, contactId: string): Promise<string[]> {
  const rows = await trx.selectFrom('conversations').select('id').where('workspace_id', '=', workspaceId).where('contact_id', '=', contactId).execute()
  return rows.map((r) => r.id)
}

export async function hasConversations(trx: Tx, workspaceId: string, contactId: string): Promise<boolean> {
  const r = await trx.selectFrom('conversations').select('id').where('workspace_id', '=', workspaceId).where('contact_id', '=', contactId).limit(1).executeTakeFirst()
  return r !== undefined
}

export async function hasMergedContacts(trx: Tx, workspaceId: string, contactId: string): Promise<boolean> {
  const r = await trx.selectFrom('contacts').select('id').where('workspace_id', '=', workspaceId).where('merged_into_id', '=', contactId).limit(1).executeTakeFirst()
  return r !== undefined
}

/** Moves identities, by id, from one contact to another; returns the ids actually moved. */
export async function moveIdentities(trx: Tx, workspaceId: string, from: string, to: string, ids?: string[]): Promise<string[]> {
  if (ids && ids.length === 0) return []
  let q = trx.updateTable('contact_identities').set({ contact_id: to }).where('workspace_id', '=', workspaceId).where('contact_id', '=', from)
  if (ids) q = q.where('id', 'in', ids)
  const rows = await q.returning('id').execute()
  return rows.map((r) => r.id)
}

/**
 * Moves conversations between contacts. This writes conversations.contact_id
 * from the contacts module on purpose: a merge (and its undo) must move the
 * contact's conversations in the same transaction as its identities, and the
 * conversations module has no use case for "re-own" that a merge could call
 * without a dependency cycle (conversations already depends on contacts).
 */
export async function moveConversations(trx: Tx, workspaceId: string, from: string, to: string, ids?: string[]): Promise<string[]> {
  if (ids && ids.length === 0) return []
  let q = trx.updateTable('conversations').set({ contact_id: to }).where('workspace_id', '=', workspaceId).where('contact_id', '=', from)
  if (ids) q = q.where('id', 'in', ids)
  const rows = await q.returning('id').execute()
  return rows.map((r) => r.id)
}

export function insertMerge(
  trx: Tx,
  workspaceId: string,
  m: { sourceContactId: string; targetContactId: string; moved: MergeMoved; conflicts: MergeConflict[]; mergedBy: string | null },
) {
  return trx
    .insertInto('contact_merges')
    .values({
      workspace_id: workspaceId,
      source_contact_id: m.sourceContactId,
      target_contact_id: m.targetContactId,
      moved: JSON.stringify(m.moved),
      conflicts: JSON.stringify(m.conflicts),
      merged_by: m.mergedBy,
    })
    .returningAll()
    .executeTakeFirstOrThrow()
}

export function findMerge(trx: Tx, workspaceId: string, id: string, opts: { forUpdate?: boolean } = {}) {
  let q = trx.selectFrom('contact_merges').selectAll().where('workspace_id', '=', workspaceId).where('id', '=', id)
  if (opts.forUpdate) q = q.forUpdate()
  return q.executeTakeFirst()
}

export function markMergeUndone(trx: Tx, workspaceId: string, id: string, undoneBy: string | null) {
  return trx
    .updateTable('contact_merges')
    .set({ undone_at: new Date(), undone_by: undoneBy })
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow()
}

/** Merges where the contact was the source or the target, newest first. */
export function mergesOf(trx: Tx, workspaceId: string, contactId: string) {
  return trx
    .selectFrom('contact_merges')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where((eb) => eb.or([eb('source_contact_id', '=', contactId), eb('target_contact_id', '=', contactId)]))
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(500)
    .execute()
}

/** What `resolveIdentities` did, in one statement. */
export interface IdentityResolution {
  /** The contact owning the first given identity that has one, as the statement's snapshot saw it; null: none did. */
  ownerId: string | null
  /** The owner, locked FOR UPDATE (null when it was deleted meanwhile), with its name and merged_into_id as locked. */
  locked: { id: string; name: string | null; mergedIntoId: string | null } | null
  /** The contact inserted because no identity had an owner. */
  createdId: string | null
  /** The identities inserted (for the new contact, or added to the unmerged owner); a given one missing was taken concurrently. */
  inserted: Array<{ id: string; kind: string }>
}

/**
 * The common case of contact resolution in ONE statement: looks up the owner
 * of the first identity (in the order given) that has one; with an owner,
 * locks it FOR UPDATE and, unless it was merged away, adds the identities it
 * lacks (ON CONFLICT DO NOTHING); with none, inserts a contact and all the
 * identities. The data-modifying CTEs cannot see an identity a concurrent
 * transaction inserts after this statement's snapshot: the insert then waits
 * for it and does nothing, and the caller sees fewer `inserted` than given
 * (a lost race: it deletes the new contact and resolves again).
 */
export async function resolveIdentities(trx: Tx, workspaceId: string, wanted: NormalisedIdentity[], name: string | null): Promise<IdentityResolution> {
  const { rows } = await sql<{
    owner_id: string | null
    locked_id: string | null
    locked_name: string | null
    locked_merged_into_id: string | null
    created_id: string | null
    inserted: Array<{ id: string; kind: string }> | string | null
  }>`
    with wanted as (
      select w.kind, w.value, w.raw, w.ord
      from unnest(${wanted.map((i) => i.kind)}::text[], ${wanted.map((i) => i.value)}::text[], ${wanted.map((i) => i.raw)}::text[]) with ordinality as w(kind, value, raw, ord)
    ),
    owner as (
      select i.contact_id from wanted w
      join contact_identities i on i.workspace_id = ${workspaceId} and i.kind = w.kind and i.value = w.value
      order by w.ord limit 1
    ),
    locked as (
      select c.id, c.name, c.merged_into_id from contacts c
      where c.workspace_id = ${workspaceId} and c.id = (select contact_id from owner)
      for update
    ),
    created as (
      insert into contacts (workspace_id, name, attributes)
      select ${workspaceId}, ${name}::text, '{}'::jsonb where not exists (select 1 from owner)
      returning id
    ),
    target as (
      select id from created
      union all
      select id from locked where merged_into_id is null
    ),
    inserted as (
      insert into contact_identities (workspace_id, contact_id, kind, value, raw_value)
      select ${workspaceId}, t.id, w.kind, w.value, w.raw from target t cross join wanted w order by w.ord
      on conflict (workspace_id, kind, value) do nothing
      returning id, kind, value
    )
    select
      (select contact_id from owner) as owner_id,
      (select id from locked) as locked_id,
      (select name from locked) as locked_name,
      (select merged_into_id from locked) as locked_merged_into_id,
      (select id from created) as created_id,
      (select coalesce(json_agg(json_build_object('id', i.id, 'kind', i.kind) order by w.ord), '[]'::json) from inserted i join wanted w on w.kind = i.kind and w.value = i.value) as inserted`.execute(trx)
  const r = rows[0]
  if (!r) throw new Error('resolveIdentities returned no row')
  const inserted = typeof r.inserted === 'string' ? (JSON.parse(r.inserted) as Array<{ id: string; kind: string }>) : (r.inserted ?? [])
  return {
    ownerId: r.owner_id,
    locked: r.locked_id ? { id: r.locked_id, name: r.locked_name, mergedIntoId: r.locked_merged_into_id } : null,
    createdId: r.created_id,
    inserted,
  }
}
