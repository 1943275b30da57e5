import { sql } from 'kysely'
import type { Tx } from '../../platform/db/tenant.ts'
import type { CaseRequirements } from './taxonomy.types.ts'

/**
 * Serialises changes to one workspace's category tree, so two concurrent moves
 * cannot build a cycle that neither would have made alone.
 */
export async function lockCategoryTree(trx: Tx, workspaceId: string): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtextextended(${`categories:${workspaceId}`}, 0))`.execute(trx)
}

// Categories

export function listCategories(trx: Tx, workspaceId: string) {
  return trx.selectFrom('categories').selectAll().where('workspace_id', '=', workspaceId).execute()
}

export function findCategory(trx: Tx, workspaceId: string, id: string) {
  return trx.selectFrom('categories').selectAll().where('workspace_id', '=', workspaceId).where('id', '=', id).executeTakeFirst()
}

export async function countCategories(trx: Tx, workspaceId: string): Promise<number> {
  const r = await trx.selectFrom('categories').select((eb) => eb.fn.countAll<string>().as('n')).where('workspace_id', '=', workspaceId).executeTakeFirstOrThrow()
  return Number(r.n)
}

/** The id of a sibling with the same name (case-insensitive) under `parentId`, if any. */
export async function siblingNamed(trx: Tx, workspaceId: string, parentId: string | null, name: string, exceptId: string | null): Promise<string | null> {
  let q = trx
    .selectFrom('categories')
    .select('id')
    .where('workspace_id', '=', workspaceId)
    .where(sql<string>`lower(name)`, '=', name.toLowerCase())
    .where((eb) => (parentId === null ? eb('parent_id', 'is', null) : eb('parent_id', '=', parentId)))
  if (exceptId) q = q.where('id', '!=', exceptId)
  return (await q.executeTakeFirst())?.id ?? null
}

export function insertCategory(trx: Tx, workspaceId: string, c: { name: string; parentId: string | null }) {
  return trx.insertInto('categories').values({ workspace_id: workspaceId, name: c.name, parent_id: c.parentId }).returningAll().executeTakeFirstOrThrow()
}

export function updateCategory(trx: Tx, workspaceId: string, id: string, patch: Partial<{ name: string; parent_id: string | null }>) {
  return trx.updateTable('categories').set(patch).where('workspace_id', '=', workspaceId).where('id', '=', id).returningAll().executeTakeFirst()
}

export function deleteCategory(trx: Tx, workspaceId: string, id: string) {
  return trx.deleteFrom('categories').where('workspace_id', '=', workspaceId).where('id', '=', id).executeTakeFirst()
}

// Tags

export function listTags(trx: Tx, workspaceId: string, opts: { limit: number; after: string | null; prefix: string | null }) {
  let q = trx.selectFrom('tags').selectAll().where('workspace_id', '=', workspaceId)
  if (opts.after !== null) q = q.where(sql<string>`name collate "C"`, '>', opts.after)
  if (opts.prefix) q = q.where('name', 'like', `${opts.prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`)
  // Byte order (COLLATE "C") so the cursor comparison and the sort always agree.
  return q.orderBy(sql`name collate "C"`).limit(opts.limit + 1).execute()
}

export function findTag(trx: Tx, workspaceId: string, name: string) {
  return trx.selectFrom('tags').selectAll().where('workspace_id', '=', workspaceId).where('name', '=', name).executeTakeFirst()
}

export function insertTag(trx: Tx, workspaceId: string, t: { name: string; color: string | null }) {
  return trx.insertInto('tags').values({ workspace_id: workspaceId, name: t.name, color: t.color }).returningAll().executeTakeFirstOrThrow()
}

/** Creates the tags that do not exist yet; existing ones are left as they are. */
export async function insertMissingTags(trx: Tx, workspaceId: string, names: string[]): Promise<void> {
  if (names.length === 0) return
  await trx
    .insertInto('tags')
    .values(names.map((name) => ({ workspace_id: workspaceId, name, color: null })))
    .onConflict((oc) => oc.columns(['workspace_id', 'name']).doNothing())
    .execute()
}

export function updateTagColor(trx: Tx, workspaceId: string, name: string, color: string | null) {
  return trx.updateTable('tags').set({ color }).where('workspace_id', '=', workspaceId).where('name', '=', name).returningAll().executeTakeFirst()
}

export function deleteTag(trx: Tx, workspaceId: string, name: string) {
  return trx.deleteFrom('tags').where('workspace_id', '=', workspaceId).where('name', '=', name).executeTakeFirst()
}

// Custom fields

export function listCustomFields(trx: Tx, workspaceId: string) {
  return trx.selectFrom('custom_fields').selectAll().where('workspace_id', '=', workspaceId).orderBy('key').execute()
}

export function customFieldsByKey(trx: Tx, workspaceId: string, keys: string[]) {
  if (keys.length === 0) return Promise.resolve([])
  return trx.selectFrom('custom_fields').selectAll().where('workspace_id', '=', workspaceId).where('key', 'in', keys).execute()
}

export function findCustomField(trx: Tx, workspaceId: string, id: string) {
  return trx.selectFrom('custom_fields').selectAll().where('workspace_id', '=', workspaceId).where('id', '=', id).executeTakeFirst()
}

export async function countCustomFields(trx: Tx, workspaceId: string): Promise<number> {
  const r = await trx.selectFrom('custom_fields').select((eb) => eb.fn.countAll<string>().as('n')).where('workspace_id', '=', workspaceId).executeTakeFirstOrThrow()
  return Number(r.n)
}

export function insertCustomField(trx: Tx, workspaceId: string, f: { key: string; label: string; type: string; options: string[] }) {
  return trx
    .insertInto('custom_fields')
    .values({ workspace_id: workspaceId, key: f.key, label: f.label, type: f.type, options: JSON.stringify(f.options) })
    .returningAll()
    .executeTakeFirstOrThrow()
}

export function updateCustomField(trx: Tx, workspaceId: string, id: string, patch: { label?: string; options?: string[] }) {
  // An empty PATCH changes nothing; UPDATE … SET with no column is not SQL.
  if (patch.label === undefined && patch.options === undefined) return findCustomField(trx, workspaceId, id)
  return trx
    .updateTable('custom_fields')
    .set({
      ...(patch.label !== undefined && { label: patch.label }),
      ...(patch.options !== undefined && { options: JSON.stringify(patch.options) }),
    })
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst()
}

export function deleteCustomField(trx: Tx, workspaceId: string, id: string) {
  return trx.deleteFrom('custom_fields').where('workspace_id', '=', workspaceId).where('id', '=', id).returningAll().executeTakeFirst()
}

/**
 * Drops a deleted field's values from every conversation of the workspace, as
 * the foreign key does for a deleted category: otherwise a field created later
 * under the same key (perhaps of another type) would inherit stale values.
 * Returns how many conversations changed.
 */
export async function stripCustomFieldValues(trx: Tx, workspaceId: string, key: string): Promise<number> {
  const r = await trx
    .updateTable('conversations')
    .set({ custom_fields: sql`custom_fields - ${key}::text` })
    .where('workspace_id', '=', workspaceId)
    .where(sql<boolean>`custom_fields ? ${key}::text`)
    .executeTakeFirst()
  return Number(r.numUpdatedRows)
}

// Settings

/** The workspace's settings; `forUpdate` locks the row until the transaction ends. */
export async function workspaceSettings(trx: Tx, workspaceId: string, forUpdate = false): Promise<Record<string, unknown>> {
  let q = trx.selectFrom('workspaces').select('settings').where('id', '=', workspaceId)
  if (forUpdate) q = q.forUpdate()
  return (await q.executeTakeFirst())?.settings ?? {}
}

/** Replaces settings.caseRequirements and leaves every other settings key alone. */
export async function saveCaseRequirements(trx: Tx, workspaceId: string, rule: CaseRequirements): Promise<void> {
  await trx
    .updateTable('workspaces')
    .set({ settings: sql`settings || jsonb_build_object('caseRequirements', ${JSON.stringify(rule)}::jsonb)`, updated_at: new Date() })
    .where('id', '=', workspaceId)
    .execute()
}
