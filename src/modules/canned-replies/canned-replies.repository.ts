import { sql } from 'kysely'
import type { Tx } from '../../platform/db/tenant.ts'

export function listReplies(trx: Tx, workspaceId: string, userId: string | null, query: string | undefined) {
  let q = trx
    .selectFrom('canned_replies')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where((eb) => (userId ? eb.or([eb('shared', '=', true), eb('owner_id', '=', userId)]) : eb('shared', '=', true)))
  if (query) {
    const like = `%${query.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`
    q = q.where((eb) => eb.or([eb(sql<string>`lower(name)`, 'like', like), eb(sql<string>`lower(coalesce(shortcut, ''))`, 'like', like), eb(sql<string>`lower(body)`, 'like', like)]))
  }
  return q.orderBy(sql`lower(name)`).orderBy('id').limit(500).execute()
}

export function findReply(trx: Tx, workspaceId: string, id: string) {
  return trx.selectFrom('canned_replies').selectAll().where('workspace_id', '=', workspaceId).where('id', '=', id).executeTakeFirst()
}

export function insertReply(trx: Tx, workspaceId: string, r: { ownerId: string; name: string; shortcut: string | null; body: string; shared: boolean }) {
  return trx
    .insertInto('canned_replies')
    .values({ workspace_id: workspaceId, owner_id: r.ownerId, name: r.name, shortcut: r.shortcut, body: r.body, shared: r.shared })
    .returningAll()
    .executeTakeFirstOrThrow()
}

export function updateReply(trx: Tx, workspaceId: string, id: string, patch: Partial<{ name: string; shortcut: string | null; body: string; shared: boolean }>) {
  return trx
    .updateTable('canned_replies')
    .set({ ...patch, updated_at: new Date() })
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow()
}

export function deleteReply(trx: Tx, workspaceId: string, id: string) {
  return trx.deleteFrom('canned_replies').where('workspace_id', '=', workspaceId).where('id', '=', id).executeTakeFirst()
}
