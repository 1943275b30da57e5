import { randomBytes } from 'node:crypto'
import { verify } from '@node-rs/argon2'
import type { FastifyRequest } from 'fastify'
import { type Actor, authorize, type Role } from '../../platform/auth/actor.ts'
import { recordAudit } from '../../platform/audit/audit.ts'
import { newToken, safeEqual, sha256Hex } from '../../platform/crypto.ts'
import { withSystem, type Tx } from '../../platform/db/tenant.ts'
import { AppError, notFound } from '../../platform/errors.ts'
import type { Authenticator } from '../../platform/http/auth.ts'
import type { Platform } from '../../platform/platform.ts'
import { assertMayActOn, hashPassword, normaliseEmail, type UsersService, usersRepository } from '../users/index.ts'
import * as repo from './auth.repository.ts'
import { TokenCache } from './token-cache.ts'
import type { Row } from '../../platform/db/schema.ts'

export interface ApiToken {
  id: string
  userId: string
  name: string
  prefix: string
  expiresAt: string | null
  revokedAt: string | null
  lastUsedAt: string | null
  createdAt: string
}

const toApiToken = (r: Row<'api_tokens'>): ApiToken => ({
  id: r.id,
  userId: r.user_id,
  name: r.name,
  prefix: r.token_prefix,
  expiresAt: r.expires_at?.toISOString() ?? null,
  revokedAt: r.revoked_at?.toISOString() ?? null,
  lastUsedAt: r.last_used_at?.toISOString() ?? null,
  createdAt: r.created_at.toISOString(),
})

// A real hash to verify against when the email is unknown, so response time
// does not reveal which emails exist.
let dummyHash: Promise<string> | null = null
const getDummyHash = () => (dummyHash ??= hashPassword(randomBytes(16).toString('hex')))

/** How long a looked-up API token is used before it is looked up again. */
const TOKEN_CACHE_MS = 10_000

export function createAuthService(p: Platform, deps: { users: UsersService }) {
  const tokens = new TokenCache(TOKEN_CACHE_MS)
  const actorFrom = (u: { workspace_id: string; user_id: string; role: string; name: string; email: string; instance_owner: boolean }, kind: 'user' | 'token', tokenId?: string): Actor => ({
    kind,
    workspaceId: u.workspace_id,
    userId: u.user_id,
    role: u.role as Role,
    tokenId,
    // The instance owner's powers follow the owner role: a demoted instance owner loses them.
    instanceOwner: u.instance_owner && u.role === 'owner',
    label: kind === 'token' ? `${u.email} (API token)` : u.email,
  })

  /** Issues a token for a user inside an existing transaction; the secret is returned once. */
  async function issueTokenInTx(trx: Tx, actor: Actor, input: { userId: string; name: string; expiresAt: Date | null }) {
    const secret = newToken('odk')
    const row = await repo.insertToken(trx, actor.workspaceId, { ...input, hash: sha256Hex(secret), prefix: secret.slice(0, 8) })
    await recordAudit(trx, actor, { action: 'token.created', entityType: 'api_token', entityId: row.id, changes: { after: { userId: input.userId, name: input.name, expiresAt: input.expiresAt } } })
    return { token: toApiToken(row), secret }
  }

  const authenticate: Authenticator = async ({ bearer, session }) => {
    if (bearer) {
      if (p.config.adminToken && safeEqual(bearer, p.config.adminToken)) {
        const owner = await withSystem(p.db, (trx) =>
          trx.selectFrom('users').selectAll().where('instance_owner', '=', true).where('active', '=', true).orderBy('created_at').limit(1).executeTakeFirst(),
        )
        if (!owner) return null
        return { kind: 'token', workspaceId: owner.workspace_id, userId: owner.id, role: owner.role as Role, instanceOwner: true, tokenId: 'admin-token', label: 'instance owner (OMNIDESK_ADMIN_TOKEN)' }
      }
      // Every request starts here: from the cache (re-checked by the request's transaction), else one statement.
      const hash = sha256Hex(bearer)
      const cached = tokens.get(hash)
      const found = cached ?? (await repo.findTokenWithUser(p.db, hash))
      if (!found || found.revoked_at || !found.active) return null
      if (found.expires_at && found.expires_at.getTime() <= Date.now()) return null
      // Record use at most once a minute per token, not on every request.
      if (!found.last_used_at || Date.now() - found.last_used_at.getTime() > 60_000) {
        found.last_used_at = new Date()
        await withSystem(p.db, (trx) => repo.touchToken(trx, found.token_id))
      }
      if (!cached) tokens.set(hash, found)
      const actor = actorFrom(found, 'token', found.token_id)
      if (cached) actor.recheck = { tokenId: found.token_id, userId: found.user_id, role: found.role, instanceOwner: found.instance_owner, stale: () => tokens.forget(found.token_id) }
      return actor
    }
    if (session) {
      const found = await repo.findSessionWithUser(p.db, sha256Hex(session))
      if (!found || !found.active || found.expires_at.getTime() <= Date.now()) return null
      return actorFrom(found, 'user')
    }
    return null
  }

  return {
    authenticate,
    issueTokenInTx,

    /** For a route that opens no transaction: re-checks a cached token as a transaction would (refused: 401). */
    async confirm(actor: Actor): Promise<void> {
      if (actor.recheck) await p.tx(actor, async () => {})
    },

    /** Password sign-in. Returns the session secret for the cookie. */
    async login(input: { email: string; password: string; workspaceId?: string | undefined }, req: Pick<FastifyRequest, 'ip' | 'headers' | 'id'>) {
      const email = normaliseEmail(input.email)
      const candidates = (await withSystem(p.db, (trx) => usersRepository.findUsersByEmailAnyWorkspace(trx, email))).filter(
        (u) => !input.workspaceId || u.workspace_id === input.workspaceId,
      )
      // The password is checked before anything is said about where the email belongs: a
      // wrong password for an email of several workspaces is the same 401 as an unknown email.
      const matching = []
      for (const c of candidates) if (c.password_hash && (await verify(c.password_hash, input.password).catch(() => false))) matching.push(c)
      if (candidates.length === 0) await verify(await getDummyHash(), input.password).catch(() => false) // the same cost as a real check
      if (matching.length > 1) {
        const ids = matching.map((c) => c.workspace_id)
        const names = await withSystem(p.db, (trx) => trx.selectFrom('workspaces').select(['id', 'name']).where('id', 'in', ids).execute())
        const workspaces = ids.map((id) => ({ id, name: names.find((n) => n.id === id)?.name ?? id }))
        throw new AppError('AMBIGUOUS_LOGIN', 'This email and password open several workspaces: send workspaceId too', { workspaceIds: ids, workspaces })
      }
      const user = matching[0]
      if (!user) throw new AppError('INVALID_CREDENTIALS', 'Email or password is wrong')
      const secret = newToken('ods')
      const expiresAt = new Date(Date.now() + p.config.sessionTtlHours * 3600_000)
      const actor: Actor = { kind: 'user', workspaceId: user.workspace_id, userId: user.id, role: user.role as Role, label: user.email, ip: req.ip, requestId: req.id }
      await p.tx(actor, async (trx) => {
        await repo.insertSession(trx, user.workspace_id, { userId: user.id, hash: sha256Hex(secret), ip: req.ip, userAgent: req.headers['user-agent']?.slice(0, 500) ?? null, expiresAt })
        await recordAudit(trx, actor, { action: 'session.created', entityType: 'user', entityId: user.id })
      })
      return { secret, expiresAt, user: await deps.users.get(actor, user.id) }
    },

    async logout(actor: Actor, sessionSecret: string | undefined) {
      if (!sessionSecret) return
      await p.tx(actor, async (trx) => {
        await repo.deleteSessionByHash(trx, actor.workspaceId, sha256Hex(sessionSecret))
        await recordAudit(trx, actor, { action: 'session.ended', entityType: 'user', entityId: actor.userId })
      })
    },

    /** For yourself (`tokens:write-own`), or for another user you may act on (`tokens:write-any`, see assertMayActOn). */
    async createToken(actor: Actor, input: { name: string; userId?: string | undefined; expiresAt?: string | undefined }) {
      const userId = input.userId ?? actor.userId
      if (!userId) throw new AppError('VALIDATION_FAILED', 'userId is required')
      authorize(actor, userId === actor.userId ? 'tokens:write-own' : 'tokens:write-any')
      const expiresAt = input.expiresAt ? new Date(input.expiresAt) : null
      if (expiresAt && expiresAt.getTime() <= Date.now()) throw new AppError('VALIDATION_FAILED', 'expiresAt must be in the future', [{ field: 'body.expiresAt', message: 'must be in the future' }])
      return p.tx(actor, async (trx) => {
        const user = await usersRepository.findUser(trx, actor.workspaceId, userId)
        if (!user) throw notFound('User')
        // A token for someone acts as them: minting one is acting on that user.
        assertMayActOn(actor, user)
        return issueTokenInTx(trx, actor, { userId, name: input.name, expiresAt })
      })
    },

    async listTokens(actor: Actor): Promise<ApiToken[]> {
      authorize(actor, 'tokens:write-own')
      const all = actor.role === 'owner' || actor.role === 'admin'
      const rows = await p.tx(actor, (trx) => repo.listTokens(trx, actor.workspaceId, all ? null : actor.userId))
      return rows.map(toApiToken)
    },

    async revokeToken(actor: Actor, id: string): Promise<ApiToken> {
      return p.tx(actor, async (trx) => {
        const existing = await repo.findToken(trx, actor.workspaceId, id)
        if (!existing) throw notFound('Token')
        authorize(actor, existing.user_id === actor.userId ? 'tokens:write-own' : 'tokens:write-any')
        const holder = await usersRepository.findUser(trx, actor.workspaceId, existing.user_id)
        if (holder) assertMayActOn(actor, holder)
        const row = await repo.revokeToken(trx, actor.workspaceId, id)
        if (!row) throw notFound('Token')
        tokens.forget(id)
        await recordAudit(trx, actor, { action: 'token.revoked', entityType: 'api_token', entityId: id })
        return toApiToken(row)
      })
    },
  }
}
export type AuthService = ReturnType<typeof createAuthService>
