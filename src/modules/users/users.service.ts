import { hash, verify } from '@node-rs/argon2'
import { type Actor, authorize, type Role } from '../../platform/auth/actor.ts'
import { recordAudit } from '../../platform/audit/audit.ts'
import type { Row } from '../../platform/db/schema.ts'
import type { Tx } from '../../platform/db/tenant.ts'
import { AppError, isUniqueViolation, notFound } from '../../platform/errors.ts'
import { appendEvent } from '../../platform/events/events.ts'
import { page } from '../../platform/http/cursor.ts'
import type { Platform } from '../../platform/platform.ts'
import { createTeamMemberUseCases } from './team-members.service.ts'
import * as repo from './users.repository.ts'
import { normaliseEmail, type Team, toUser, type User } from './users.types.ts'

export const hashPassword = (password: string) => hash(password, { memoryCost: 19456, timeCost: 2, parallelism: 1 })

export interface NewUser {
  email: string
  name: string
  role: Role
  password?: string | undefined
}

export interface UserPatch {
  name?: string | undefined
  role?: Role | undefined
  active?: boolean | undefined
  password?: string | undefined
  /** Required when users change their own password. */
  currentPassword?: string | undefined
}

/**
 * Acting on a user — changing them, resetting their password, minting or
 * revoking their API tokens — needs at least their rank: only an owner acts on
 * an owner, and only the instance owner (or the command line) on the instance
 * owner, whose sign-in may create workspaces. Everyone may act on themselves.
 */
export function assertMayActOn(actor: Actor, target: Pick<Row<'users'>, 'id' | 'role' | 'instance_owner'>): void {
  if (actor.kind === 'system' || actor.userId === target.id) return
  if (target.instance_owner) throw new AppError('FORBIDDEN', 'Only the instance owner may change the instance owner or act as them')
  if (target.role === 'owner' && actor.role !== 'owner') throw new AppError('FORBIDDEN', 'Only an owner may change an owner or act as them')
}

async function checkCurrentPassword(hashed: string | null, given: string | undefined): Promise<void> {
  if (!hashed) throw new AppError('FORBIDDEN', 'You have no password yet: an admin sets the first one')
  if (!given) throw new AppError('VALIDATION_FAILED', 'currentPassword is required to change your own password', [{ field: 'body.currentPassword', message: 'is required' }])
  if (!(await verify(hashed, given).catch(() => false))) throw new AppError('FORBIDDEN', 'The current password is wrong')
}

export function createUsersService(p: Platform) {
  /** Only an owner may create or promote owners; nobody may demote the last owner. */
  const checkRoleChange = (actor: Actor, role: Role) => {
    if (role === 'owner' && actor.role !== 'owner' && actor.kind !== 'system')
      throw new AppError('FORBIDDEN', 'Only an owner may grant the owner role')
  }

  /** Creates a user inside an existing transaction (workspace bootstrap uses it). */
  async function insertUserInTx(trx: Tx, actor: Actor, input: NewUser & { instanceOwner?: boolean }): Promise<User> {
    const email = normaliseEmail(input.email)
    const passwordHash = input.password ? await hashPassword(input.password) : null
    try {
      const row = await repo.insertUser(trx, actor.workspaceId, { ...input, email, passwordHash })
      const user = toUser(row)
      await recordAudit(trx, actor, { action: 'user.created', entityType: 'user', entityId: user.id, changes: { after: { email, name: user.name, role: user.role } } })
      await appendEvent(trx, actor, { type: 'user.created', payload: { userId: user.id, role: user.role } })
      return user
    } catch (err) {
      if (isUniqueViolation(err)) throw new AppError('CONFLICT', `A user with email ${email} already exists in this workspace`)
      throw err
    }
  }

  return {
    insertUserInTx,

    async create(actor: Actor, input: NewUser): Promise<User> {
      authorize(actor, 'users:write')
      checkRoleChange(actor, input.role)
      return p.tx(actor, (trx) => insertUserInTx(trx, actor, input))
    },

    async get(actor: Actor, id: string): Promise<User> {
      authorize(actor, 'users:read')
      const row = await p.tx(actor, (trx) => repo.findUser(trx, actor.workspaceId, id))
      if (!row) throw notFound('User')
      return toUser(row)
    },

    async list(actor: Actor, q: { limit: number; cursor?: string | undefined }) {
      authorize(actor, 'users:read')
      const after = p.cursors.decode(q.cursor, 2) as [string, string] | null
      const rows = await p.tx(actor, (trx) => repo.listUsers(trx, actor.workspaceId, { limit: q.limit, after }))
      return page(rows.map(toUser), q.limit, (u) => p.cursors.encode([u.email, u.id]))
    },

    async update(actor: Actor, id: string, patch: UserPatch): Promise<User> {
      const self = actor.userId === id
      // Anyone may change their own name and password; the rest is administration.
      if (!self || patch.role !== undefined || patch.active !== undefined) authorize(actor, 'users:write')
      if (patch.role) checkRoleChange(actor, patch.role)
      const passwordHash = patch.password ? await hashPassword(patch.password) : undefined
      return p.tx(actor, async (trx) => {
        const before = await repo.findUser(trx, actor.workspaceId, id)
        if (!before) throw notFound('User')
        assertMayActOn(actor, before)
        // A stolen token or an unattended session must not be enough to take the account over.
        if (passwordHash && self && actor.kind !== 'system') await checkCurrentPassword(before.password_hash, patch.currentPassword)
        const row = await repo.updateUser(trx, actor.workspaceId, id, {
          ...(patch.name !== undefined && { name: patch.name }),
          ...(patch.role !== undefined && { role: patch.role }),
          ...(patch.active !== undefined && { active: patch.active }),
          ...(passwordHash !== undefined && { password_hash: passwordHash }),
        })
        if (!row) throw notFound('User')
        if (before.role === 'owner' && (row.role !== 'owner' || !row.active) && (await repo.countActiveOwners(trx, actor.workspaceId)) === 0)
          throw new AppError('UNPROCESSABLE', 'A workspace must keep at least one active owner')
        const changed = (['name', 'role', 'active'] as const).filter((k) => before[k] !== row[k])
        // A new password or a deactivation ends every session of that user; a reset by
        // someone else (the account may be compromised) or a role change also revokes
        // the user's API tokens, so that no token carries a role it was not minted with.
        const reset = passwordHash !== undefined && !self
        const sessionsEnded = passwordHash || row.active === false ? await repo.deleteSessionsOf(trx, actor.workspaceId, id) : 0
        const tokensRevoked = reset || before.role !== row.role ? await repo.revokeTokensOf(trx, actor.workspaceId, id) : 0
        await recordAudit(trx, actor, {
          action: 'user.updated',
          entityType: 'user',
          entityId: id,
          changes: {
            before: Object.fromEntries(changed.map((k) => [k, before[k]])),
            after: Object.fromEntries(changed.map((k) => [k, row[k]])),
            ...(passwordHash && { passwordChanged: true }),
            ...(sessionsEnded > 0 && { sessionsEnded }),
            ...(tokensRevoked > 0 && { tokensRevoked }),
          },
        })
        if (reset)
          await recordAudit(trx, actor, { action: 'user.password-reset', entityType: 'user', entityId: id, changes: { after: { sessionsEnded, tokensRevoked } } })
        return toUser(row)
      })
    },

    async listTeams(actor: Actor): Promise<Team[]> {
      authorize(actor, 'teams:read')
      const { teams, members } = await p.tx(actor, (trx) => repo.listTeams(trx, actor.workspaceId))
      return teams.map((t) => ({
        id: t.id,
        name: t.name,
        description: t.description,
        memberIds: members.filter((m) => m.team_id === t.id).map((m) => m.user_id),
        createdAt: t.created_at.toISOString(),
      }))
    },

    async getTeam(actor: Actor, id: string): Promise<Team> {
      authorize(actor, 'teams:read')
      return p.tx(actor, async (trx) => {
        const t = await repo.findTeam(trx, actor.workspaceId, id)
        if (!t) throw notFound('Team')
        const memberIds = await repo.teamMemberIds(trx, actor.workspaceId, id)
        return { id: t.id, name: t.name, description: t.description, memberIds, createdAt: t.created_at.toISOString() }
      })
    },

    async saveTeam(actor: Actor, id: string | null, input: { name?: string | undefined; description?: string | null | undefined; memberIds?: string[] | undefined }): Promise<Team> {
      authorize(actor, 'teams:write')
      return p.tx(actor, async (trx) => {
        let team
        try {
          team = id
            ? await repo.updateTeam(trx, actor.workspaceId, id, {
                ...(input.name !== undefined && { name: input.name }),
                ...(input.description !== undefined && { description: input.description }),
              })
            : await repo.insertTeam(trx, actor.workspaceId, { name: input.name ?? '', description: input.description ?? null })
        } catch (err) {
          if (isUniqueViolation(err)) throw new AppError('CONFLICT', `A team named "${input.name}" already exists`)
          throw err
        }
        if (!team) throw notFound('Team')
        if (input.memberIds) {
          const ids = [...new Set(input.memberIds)]
          const known = await repo.existingUserIds(trx, actor.workspaceId, ids)
          const unknown = ids.filter((u) => !known.has(u))
          if (unknown.length) throw new AppError('VALIDATION_FAILED', 'Unknown user ids in memberIds', unknown.map((u) => ({ field: 'body.memberIds', message: `no user ${u}` })))
          await repo.setTeamMembers(trx, actor.workspaceId, team.id, ids)
        }
        await recordAudit(trx, actor, { action: id ? 'team.updated' : 'team.created', entityType: 'team', entityId: team.id, changes: { after: input } })
        const memberIds = await repo.teamMemberIds(trx, actor.workspaceId, team.id)
        return { id: team.id, name: team.name, description: team.description, memberIds, createdAt: team.created_at.toISOString() }
      })
    },

    async deleteTeam(actor: Actor, id: string): Promise<void> {
      authorize(actor, 'teams:write')
      await p.tx(actor, async (trx) => {
        const r = await repo.deleteTeam(trx, actor.workspaceId, id)
        if (Number(r.numDeletedRows) === 0) throw notFound('Team')
        await recordAudit(trx, actor, { action: 'team.deleted', entityType: 'team', entityId: id })
      })
    },

    ...createTeamMemberUseCases(p),
  }
}
export type UsersService = ReturnType<typeof createUsersService>
