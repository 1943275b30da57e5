import { sql, type Transaction } from 'kysely'
import { AppError } from '../errors.ts'
import type { Db } from './database.ts'
import type { DB } from './schema.ts'

export type Tx = Transaction<DB>

/**
 * Runs `fn` in one transaction scoped to a workspace: the session switches to the
 * unprivileged role omnidesk_app and sets `omnidesk.workspace_id`, so the
 * row-level security policies hide every other workspace's rows even if a query
 * forgets its workspace filter. Both settings are transaction-local.
 */
export function withTenant<T>(db: Db, workspaceId: string, fn: (trx: Tx) => Promise<T>, recheck?: TokenRecheck): Promise<T> {
  return db.transaction().execute(async (trx) => {
    await enterTenant(trx, workspaceId, recheck)
    return fn(trx)
  })
}

/**
 * What a request's actor was built from when its API token came from the
 * in-process token cache (modules/auth): the tenant switch checks in the same
 * statement that the token is still unrevoked and unexpired and its user still
 * active with this role, and refuses the request otherwise.
 */
export interface TokenRecheck {
  tokenId: string
  userId: string
  role: string
  instanceOwner: boolean
  /** Called when the check fails: the cache drops the token, so the next request looks it up again. */
  stale(): void
}

/** Drops the rest of this transaction to the tenant role for one workspace. */
export async function enterTenant(trx: Tx, workspaceId: string, recheck?: TokenRecheck): Promise<void> {
  if (!recheck) {
    await sql`select set_config('omnidesk.workspace_id', ${workspaceId}, true), set_config('role', 'omnidesk_app', true)`.execute(trx)
    return
  }
  // The check is planned before the role switch takes effect: it reads with the owner's privileges, filtered explicitly.
  const r = await sql<{ ok: boolean }>`
    select exists (
      select 1 from api_tokens t join users u on u.id = t.user_id
      where t.id = ${recheck.tokenId} and t.workspace_id = ${workspaceId} and t.revoked_at is null and (t.expires_at is null or t.expires_at > now())
        and u.id = ${recheck.userId} and u.active and u.role = ${recheck.role} and u.instance_owner = ${recheck.instanceOwner}
    ) as ok, set_config('omnidesk.workspace_id', ${workspaceId}, true), set_config('role', 'omnidesk_app', true)`.execute(trx)
  if (!r.rows[0]?.ok) {
    recheck.stale()
    throw new AppError('UNAUTHENTICATED', 'The token or session is invalid, expired or revoked')
  }
}

/**
 * A transaction with the owner's privileges, for the few system paths that must
 * look across workspaces (token lookup at sign-in, inbound routing by address,
 * the event dispatcher). Keep its uses rare and obvious.
 */
export function withSystem<T>(db: Db, fn: (trx: Tx) => Promise<T>): Promise<T> {
  return db.transaction().execute(fn)
}
