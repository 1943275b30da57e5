import { sql } from 'kysely'
import type { Tx } from '../../../platform/db/tenant.ts'
import type { Row } from '../../../platform/db/schema.ts'

/** A folder's UID checkpoint (see migration 0004-imap for the meaning of each field). */
export interface Checkpoint {
  folder: string
  uidValidity: string
  lastUid: number
  floorUid: number
  since: Date | null
  watchingSince: Date
  resyncs: number
  fetched: number
  duplicates: number
  updatedAt: Date
}

const toCheckpoint = (r: Row<'imap_checkpoints'>): Checkpoint => ({
  folder: r.folder,
  uidValidity: String(r.uid_validity),
  lastUid: Number(r.last_uid),
  floorUid: Number(r.floor_uid),
  since: r.since,
  watchingSince: r.watching_since,
  resyncs: r.resyncs,
  fetched: Number(r.fetched),
  duplicates: Number(r.duplicates),
  updatedAt: r.updated_at,
})

/** Active email inboxes with IMAP settings, across workspaces: call only inside withSystem (the poller's scan). */
export function imapInboxesAnyWorkspace(trx: Tx) {
  return trx
    .selectFrom('inboxes')
    .select(['id', 'workspace_id', 'config', 'secrets'])
    .where('channel', '=', 'email')
    .where('active', '=', true)
    .where(sql<boolean>`config -> 'imap' IS NOT NULL`)
    .orderBy('id')
    .execute()
}

/** A workspace's email inboxes with IMAP settings (active or not), for the health API. */
export function imapInboxes(trx: Tx, workspaceId: string, inboxId?: string) {
  let q = trx
    .selectFrom('inboxes')
    .select(['id', 'workspace_id', 'name', 'active', 'config'])
    .where('workspace_id', '=', workspaceId)
    .where('channel', '=', 'email')
    .where(sql<boolean>`config -> 'imap' IS NOT NULL`)
  if (inboxId) q = q.where('id', '=', inboxId)
  return q.orderBy('name').orderBy('id').execute()
}

export async function findCheckpoint(trx: Tx, workspaceId: string, inboxId: string, folder: string): Promise<Checkpoint | null> {
  const row = await trx
    .selectFrom('imap_checkpoints')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('inbox_id', '=', inboxId)
    .where('folder', '=', folder)
    .executeTakeFirst()
  return row ? toCheckpoint(row) : null
}

export async function listCheckpoints(trx: Tx, workspaceId: string, inboxIds: string[]): Promise<Array<Checkpoint & { inboxId: string }>> {
  if (inboxIds.length === 0) return []
  const rows = await trx.selectFrom('imap_checkpoints').selectAll().where('workspace_id', '=', workspaceId).where('inbox_id', 'in', inboxIds).orderBy('folder').execute()
  return rows.map((r) => ({ ...toCheckpoint(r), inboxId: r.inbox_id }))
}

/**
 * Starts a folder's checkpoint over: on the first sync, and when the folder's
 * UIDVALIDITY changed (`resync`). Keeps `watching_since` of an earlier checkpoint,
 * so a resync without a configured backfill point goes back to when watching began.
 */
export async function startCheckpoint(
  trx: Tx,
  workspaceId: string,
  inboxId: string,
  v: { folder: string; uidValidity: string; lastUid: number; floorUid: number; since: Date | null; resync: boolean },
): Promise<Checkpoint> {
  const row = await trx
    .insertInto('imap_checkpoints')
    .values({
      workspace_id: workspaceId,
      inbox_id: inboxId,
      folder: v.folder,
      uid_validity: v.uidValidity,
      last_uid: v.lastUid,
      floor_uid: v.floorUid,
      since: v.since,
      updated_at: sql<Date>`now()`,
    })
    .onConflict((oc) =>
      oc.columns(['workspace_id', 'inbox_id', 'folder']).doUpdateSet({
        uid_validity: v.uidValidity,
        last_uid: v.lastUid,
        floor_uid: v.floorUid,
        since: v.since,
        resyncs: v.resync ? sql<number>`imap_checkpoints.resyncs + 1` : sql<number>`imap_checkpoints.resyncs`,
        updated_at: sql<Date>`now()`,
      }),
    )
    .returningAll()
    .executeTakeFirstOrThrow()
  return toCheckpoint(row)
}

/**
 * Moves the checkpoint forward to `uid` (never back), counting one stored
 * message (`counted`) that was new or a duplicate. Guarded by UIDVALIDITY, so
 * a stale sync cannot move a checkpoint that was reset meanwhile.
 */
export async function advanceCheckpoint(
  trx: Tx,
  workspaceId: string,
  inboxId: string,
  v: { folder: string; uidValidity: string; uid: number; counted?: 'new' | 'duplicate' },
): Promise<void> {
  await trx
    .updateTable('imap_checkpoints')
    .set({
      last_uid: sql<string>`greatest(last_uid, ${v.uid})`,
      ...(v.counted === 'new' && { fetched: sql<string>`fetched + 1` }),
      ...(v.counted === 'duplicate' && { fetched: sql<string>`fetched + 1`, duplicates: sql<string>`duplicates + 1` }),
      updated_at: sql<Date>`now()`,
    })
    .where('workspace_id', '=', workspaceId)
    .where('inbox_id', '=', inboxId)
    .where('folder', '=', v.folder)
    .where('uid_validity', '=', v.uidValidity)
    .execute()
}

export function findHealth(trx: Tx, workspaceId: string, inboxId: string, opts: { forUpdate?: boolean } = {}) {
  let q = trx.selectFrom('imap_mailbox_health').selectAll().where('workspace_id', '=', workspaceId).where('inbox_id', '=', inboxId)
  if (opts.forUpdate) q = q.forUpdate()
  return q.executeTakeFirst()
}

export function listHealth(trx: Tx, workspaceId: string, inboxIds: string[]) {
  if (inboxIds.length === 0) return Promise.resolve([])
  return trx.selectFrom('imap_mailbox_health').selectAll().where('workspace_id', '=', workspaceId).where('inbox_id', 'in', inboxIds).execute()
}

/** Writes a mailbox's health; fields not given keep their value (or the column default on insert). */
export async function saveHealth(
  trx: Tx,
  workspaceId: string,
  inboxId: string,
  v: {
    status: 'ok' | 'failing' | 'auth_failed'
    lastSuccessAt?: Date
    lastAttemptAt: Date
    lastError?: string | null
    lastErrorAt?: Date | null
    consecutiveFailures: number
    nextAttemptAt: Date | null
  },
): Promise<void> {
  const set = {
    status: v.status,
    last_attempt_at: v.lastAttemptAt,
    consecutive_failures: v.consecutiveFailures,
    next_attempt_at: v.nextAttemptAt,
    updated_at: sql<Date>`now()`,
    ...(v.lastSuccessAt !== undefined && { last_success_at: v.lastSuccessAt }),
    ...(v.lastError !== undefined && { last_error: v.lastError }),
    ...(v.lastErrorAt !== undefined && { last_error_at: v.lastErrorAt }),
  }
  await trx
    .insertInto('imap_mailbox_health')
    .values({ workspace_id: workspaceId, inbox_id: inboxId, ...set })
    .onConflict((oc) => oc.columns(['workspace_id', 'inbox_id']).doUpdateSet(set))
    .execute()
}
