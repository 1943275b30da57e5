import { sql } from 'kysely'
import type { Tx } from '../../platform/db/tenant.ts'
import type { Row } from '../../platform/db/schema.ts'

/** Inbox rows. Every function takes the workspace and filters on it. */

export interface InboxValues {
  name: string
  channel: string
  config: Record<string, unknown>
  /** Sealed secrets (SecretBox), or null when the inbox has none. */
  secrets: string | null
  active?: boolean
  isDefault?: boolean
}

export function insertInbox(trx: Tx, workspaceId: string, v: InboxValues): Promise<Row<'inboxes'>> {
  return trx
    .insertInto('inboxes')
    .values({
      workspace_id: workspaceId,
      name: v.name,
      channel: v.channel,
      config: JSON.stringify(v.config),
      secrets: v.secrets,
      active: v.active ?? true,
      is_default: v.isDefault ?? false,
    })
    .returningAll()
    .executeTakeFirstOrThrow()
}

/**
 * Inserts the workspace's default inbox unless one exists (inboxes_default_idx); null when another won.
 * The arbiter's predicate is written as SQL, not a parameter: PostgreSQL infers the partial index
 * from it when planning, and a generic plan of a prepared statement (the PGlite statement cache)
 * cannot match `is_default = $1` to `WHERE is_default` (42P10).
 */
export function insertDefaultInboxIfNone(trx: Tx, workspaceId: string, v: Omit<InboxValues, 'isDefault'>): Promise<Row<'inboxes'> | undefined> {
  return trx
    .insertInto('inboxes')
    .values({ workspace_id: workspaceId, name: v.name, channel: v.channel, config: JSON.stringify(v.config), secrets: v.secrets, is_default: true })
    .onConflict((oc) => oc.column('workspace_id').where(sql<boolean>`is_default`).doNothing())
    .returningAll()
    .executeTakeFirst()
}

export function findInbox(trx: Tx, workspaceId: string, id: string, opts: { forUpdate?: boolean } = {}) {
  let q = trx.selectFrom('inboxes').selectAll().where('workspace_id', '=', workspaceId).where('id', '=', id)
  if (opts.forUpdate) q = q.forUpdate()
  return q.executeTakeFirst()
}

/**
 * An inbox by id in any workspace: call only inside withSystem (an inbound
 * webhook names the inbox, not its workspace).
 */
export function findInboxAnyWorkspace(trx: Tx, id: string) {
  return trx.selectFrom('inboxes').selectAll().where('id', '=', id).executeTakeFirst()
}

/** The workspace's active inboxes, oldest first (the first of a channel is its fallback for replies). */
export function listActiveInboxes(trx: Tx, workspaceId: string) {
  return trx.selectFrom('inboxes').selectAll().where('workspace_id', '=', workspaceId).where('active', '=', true).orderBy('created_at').orderBy('id').execute()
}

export function findDefaultInbox(trx: Tx, workspaceId: string) {
  return trx.selectFrom('inboxes').selectAll().where('workspace_id', '=', workspaceId).where('is_default', '=', true).executeTakeFirst()
}

export function listInboxes(
  trx: Tx,
  workspaceId: string,
  opts: { limit: number; after: [string, string] | null; channel?: string | undefined; active?: boolean | undefined },
) {
  let q = trx.selectFrom('inboxes').selectAll().where('workspace_id', '=', workspaceId)
  if (opts.channel !== undefined) q = q.where('channel', '=', opts.channel)
  if (opts.active !== undefined) q = q.where('active', '=', opts.active)
  if (opts.after) {
    const [name, id] = opts.after
    q = q.where((eb) => eb.or([eb('name', '>', name), eb.and([eb('name', '=', name), eb('id', '>', id)])]))
  }
  return q.orderBy('name').orderBy('id').limit(opts.limit + 1).execute()
}

export function updateInbox(
  trx: Tx,
  workspaceId: string,
  id: string,
  patch: { name: string; active: boolean; config: Record<string, unknown>; secrets: string | null },
) {
  return trx
    .updateTable('inboxes')
    .set({ name: patch.name, active: patch.active, config: JSON.stringify(patch.config), secrets: patch.secrets, updated_at: new Date() })
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow()
}

/** Whether any conversation or message refers to the inbox (then it is history and is kept). */
export async function isInboxUsed(trx: Tx, workspaceId: string, id: string): Promise<boolean> {
  const conv = await trx.selectFrom('conversations').select('id').where('workspace_id', '=', workspaceId).where('inbox_id', '=', id).limit(1).executeTakeFirst()
  if (conv) return true
  const msg = await trx.selectFrom('messages').select('id').where('workspace_id', '=', workspaceId).where('inbox_id', '=', id).limit(1).executeTakeFirst()
  return msg !== undefined
}

export async function deleteInbox(trx: Tx, workspaceId: string, id: string): Promise<void> {
  await trx.deleteFrom('inboxes').where('workspace_id', '=', workspaceId).where('id', '=', id).execute()
}
