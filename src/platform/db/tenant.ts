import { sql, type Transaction } from 'kysely'
import type { Db } from './database.ts'
import type { DB } from './schema.ts'

export type Tx = Transaction<DB>

/**
 * Runs `fn` in one transaction scoped to a workspace: the session switches to the
 * unprivileged role omnidesk_app and sets `omnidesk.workspace_id`, so the
 * row-level security policies hide every other workspace's rows even if a query
 * forgets its workspace filter. Both settings are transaction-local.
 */
export function withTenant<T>(db: Db, workspaceId: string, fn: (trx: Tx) => Promise<T>): Promise<T> {
  return db.transaction().execute(async (trx) => {
    await enterTenant(trx, workspaceId)
    return fn(trx)
  })
}

/** Drops the rest of this transaction to the tenant role for one workspace. */
export async function enterTenant(trx: Tx, workspaceId: string): Promise<void> {
  await sql`select set_config('omnidesk.workspace_id', ${workspaceId}, true), set_config('role', 'omnidesk_app', true)`.execute(trx)
}

/**
 * A transaction with the owner's privileges, for the few system paths that must
 * look across workspaces (token lookup at sign-in, inbound routing by address,
 * the event dispatcher). Keep its uses rare and obvious.
 */
export function withSystem<T>(db: Db, fn: (trx: Tx) => Promise<T>): Promise<T> {
  return db.transaction().execute(fn)
}
