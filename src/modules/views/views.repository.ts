import type { Tx } from '../../platform/db/tenant.ts'

/** Views a user may see: their own and the shared ones. */
export function listViews(trx: Tx, workspaceId: string, userId: string | null) {
  return trx
    .selectFrom('saved_views')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where((eb) => (userId ? eb.or([eb('shared', '=', true), eb('owner_id', '=', userId)]) : eb('shared', '=', true)))
    .orderBy('shared', 'desc')
    .orderBy('name')
    .orderBy('id')
    .execute()
}

export function findView(trx: Tx, workspaceId: string, id: string) {
  return trx.selectFrom('saved_views').selectAll().where('workspace_id', '=', workspaceId).where('id', '=', id).executeTakeFirst()
}

export function insertView(trx: Tx, workspaceId: string, v: { ownerId: string; name: string; filters: Record<string, unknown>; sort: string; shared: boolean }) {
  return trx
    .insertInto('saved_views')
    .values({ workspace_id: workspaceId, owner_id: v.ownerId, name: v.name, filters: JSON.stringify(v.filters), sort: v.sort, shared: v.shared })
    .returningAll()
    .executeTakeFirstOrThrow()
}

export function updateView(trx: Tx, workspaceId: string, id: string, patch: Partial<{ name: string; filters: Record<string, unknown>; sort: string; shared: boolean }>) {
  const { filters, ...rest } = patch
  return trx
    .updateTable('saved_views')
    .set({ ...rest, ...(filters !== undefined && { filters: JSON.stringify(filters) }), updated_at: new Date() })
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow()
}

export function deleteView(trx: Tx, workspaceId: string, id: string) {
  return trx.deleteFrom('saved_views').where('workspace_id', '=', workspaceId).where('id', '=', id).executeTakeFirst()
}
