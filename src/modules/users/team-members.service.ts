import { type Actor, authorize } from '../../platform/auth/actor.ts'
import { recordAudit } from '../../platform/audit/audit.ts'
import type { Tx } from '../../platform/db/tenant.ts'
import { notFound } from '../../platform/errors.ts'
import type { Platform } from '../../platform/platform.ts'
import * as repo from './users.repository.ts'
import type { Team } from './users.types.ts'

/**
 * One member in or out of a team. Unlike replacing `memberIds` with PATCH
 * /teams/{id}, two supervisors adding different people at the same time both
 * keep their change. Adding a member twice or removing a non-member changes
 * nothing and records nothing.
 */
export function createTeamMemberUseCases(p: Platform) {
  async function teamOf(trx: Tx, ws: string, teamId: string): Promise<Team> {
    const t = await repo.findTeam(trx, ws, teamId)
    if (!t) throw notFound('Team')
    const memberIds = await repo.teamMemberIds(trx, ws, teamId)
    return { id: t.id, name: t.name, description: t.description, memberIds, createdAt: t.created_at.toISOString() }
  }

  return {
    async addTeamMember(actor: Actor, teamId: string, userId: string): Promise<Team> {
      authorize(actor, 'teams:write')
      return p.tx(actor, async (trx) => {
        const ws = actor.workspaceId
        await teamOf(trx, ws, teamId)
        if (!(await repo.findUser(trx, ws, userId))) throw notFound('User')
        if (await repo.addTeamMember(trx, ws, teamId, userId)) await recordAudit(trx, actor, { action: 'team.member-added', entityType: 'team', entityId: teamId, changes: { userId } })
        return teamOf(trx, ws, teamId)
      })
    },

    async removeTeamMember(actor: Actor, teamId: string, userId: string): Promise<Team> {
      authorize(actor, 'teams:write')
      return p.tx(actor, async (trx) => {
        const ws = actor.workspaceId
        await teamOf(trx, ws, teamId)
        if (await repo.removeTeamMember(trx, ws, teamId, userId)) await recordAudit(trx, actor, { action: 'team.member-removed', entityType: 'team', entityId: teamId, changes: { userId } })
        return teamOf(trx, ws, teamId)
      })
    },
  }
}
