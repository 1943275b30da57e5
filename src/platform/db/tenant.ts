import { sql, type Transaction } from 'kysely'
import { roles } from '../auth/actor.ts'
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
    await enterTenant(trx, workspaceId, recheck, literalSwitch.has(db))
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

/**
 * The databases whose transactions send their first statement with BEGIN when it has no
 * parameters (PostgreSQL, pg-session.ts): there `withTenant` writes the tenant switch with
 * literals. Elsewhere (PGlite) it keeps parameters, so the embedded session's statement cache
 * keeps one parsed and planned statement instead of parsing a new text per workspace.
 */
const literalSwitch = new WeakSet<Db>()
export function useLiteralTenantSwitch(db: Db) {
  literalSwitch.add(db)
}

/**
 * Drops the rest of this transaction to the tenant role for one workspace.
 *
 * With `literalValues`, the values go into the statement as literals once validated (uuids by a strict
 * pattern, the role from the known set, a boolean), so the statement has no parameters and
 * travels with the transaction's BEGIN in one round trip. A value that fails the check goes as a
 * parameter, as before, and PostgreSQL judges it.
 */
export async function enterTenant(trx: Tx, workspaceId: string, recheck?: TokenRecheck, literalValues = false): Promise<void> {
  const literal = literalValues && isUuid(workspaceId) && (!recheck || (isUuid(recheck.tokenId) && isUuid(recheck.userId) && isRole(recheck.role) && typeof recheck.instanceOwner === 'boolean'))
  const v = (value: string | boolean) => (literal ? sql.lit(value) : sql`${value}`)
  const ws = v(workspaceId)
  if (!recheck) {
    await sql`select set_config('omnidesk.workspace_id', ${ws}, true), set_config('role', 'omnidesk_app', true)`.execute(trx)
    return
  }
  // The check is planned before the role switch takes effect: it reads with the owner's privileges, filtered explicitly.
  const r = await sql<{ ok: boolean }>`
    select exists (
      select 1 from api_tokens t join users u on u.id = t.user_id
      where t.id = ${v(recheck.tokenId)} and t.workspace_id = ${ws} and t.revoked_at is null and (t.expires_at is null or t.expires_at > now())
        and u.id = ${v(recheck.userId)} and u.active and u.role = ${v(recheck.role)} and u.instance_owner = ${v(recheck.instanceOwner)}
    ) as ok, set_config('omnidesk.workspace_id', ${ws}, true), set_config('role', 'omnidesk_app', true)`.execute(trx)
  if (!r.rows[0]?.ok) {
    recheck.stale()
    throw new AppError('UNAUTHENTICATED', 'The token or session is invalid, expired or revoked')
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const isUuid = (s: string) => typeof s === 'string' && UUID.test(s)
const isRole = (s: string) => (roles as readonly string[]).includes(s)

/**
 * A transaction with the owner's privileges, for the few system paths that must
 * look across workspaces (token lookup at sign-in, inbound routing by address,
 * the event dispatcher). Keep its uses rare and obvious.
 */
export function withSystem<T>(db: Db, fn: (trx: Tx) => Promise<T>): Promise<T> {
  return db.transaction().execute(fn)
}
