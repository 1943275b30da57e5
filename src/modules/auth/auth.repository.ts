import { sql } from 'kysely'
import type { Db } from '../../platform/db/database.ts'
import type { Tx } from '../../platform/db/tenant.ts'

/**
 * Looks a token up by its hash across workspaces, with the owner's privileges
 * (the database handle or a withSystem transaction): one statement, so it
 * needs no transaction of its own.
 */
export function findTokenWithUser(db: Db, tokenHash: string) {
  return db
    .selectFrom('api_tokens as t')
    .innerJoin('users as u', 'u.id', 't.user_id')
    .select(['t.id as token_id', 't.workspace_id', 't.expires_at', 't.revoked_at', 't.last_used_at', 'u.id as user_id', 'u.role', 'u.name', 'u.email', 'u.active', 'u.instance_owner'])
    .where('t.token_hash', '=', tokenHash)
    .executeTakeFirst()
}

/** Looks a session up by its hash across workspaces, like findTokenWithUser. */
export function findSessionWithUser(db: Db, tokenHash: string) {
  return db
    .selectFrom('sessions as s')
    .innerJoin('users as u', 'u.id', 's.user_id')
    .select(['s.id as session_id', 's.workspace_id', 's.expires_at', 'u.id as user_id', 'u.role', 'u.name', 'u.email', 'u.active', 'u.instance_owner'])
    .where('s.token_hash', '=', tokenHash)
    .executeTakeFirst()
}

export function touchToken(trx: Tx, id: string) {
  return trx.updateTable('api_tokens').set({ last_used_at: sql`now()` }).where('id', '=', id).execute()
}

export function insertToken(trx: Tx, workspaceId: string, t: { userId: string; name: string; hash: string; prefix: string; expiresAt: Date | null }) {
  return trx
    .insertInto('api_tokens')
    .values({ workspace_id: workspaceId, user_id: t.userId, name: t.name, token_hash: t.hash, token_prefix: t.prefix, expires_at: t.expiresAt })
    .returningAll()
    .executeTakeFirstOrThrow()
}

export function listTokens(trx: Tx, workspaceId: string, userId: string | null) {
  let q = trx.selectFrom('api_tokens').selectAll().where('workspace_id', '=', workspaceId)
  if (userId) q = q.where('user_id', '=', userId)
  return q.orderBy('created_at', 'desc').execute()
}

export function findToken(trx: Tx, workspaceId: string, id: string) {
  return trx.selectFrom('api_tokens').selectAll().where('workspace_id', '=', workspaceId).where('id', '=', id).executeTakeFirst()
}

export function revokeToken(trx: Tx, workspaceId: string, id: string) {
  return trx
    .updateTable('api_tokens')
    .set({ revoked_at: sql`coalesce(revoked_at, now())` })
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst()
}

export function insertSession(trx: Tx, workspaceId: string, s: { userId: string; hash: string; ip: string | null; userAgent: string | null; expiresAt: Date }) {
  return trx
    .insertInto('sessions')
    .values({ workspace_id: workspaceId, user_id: s.userId, token_hash: s.hash, ip: s.ip, user_agent: s.userAgent, expires_at: s.expiresAt })
    .returning('id')
    .executeTakeFirstOrThrow()
}

export function deleteSessionByHash(trx: Tx, workspaceId: string, hash: string) {
  return trx.deleteFrom('sessions').where('workspace_id', '=', workspaceId).where('token_hash', '=', hash).execute()
}
