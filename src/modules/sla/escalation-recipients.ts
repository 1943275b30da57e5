import type { Tx } from '../../platform/db/tenant.ts'
import { AppError } from '../../platform/errors.ts'
import type { CaseAttributes } from './sla.repository.ts'
import type { EscalationAction } from './sla.types.ts'

/** Who an escalation level notifies, and in which role; the `sla.escalated` event carries the list. */
export type NotifyRole = 'assignee' | 'team_lead' | 'supervisor' | 'team_member' | 'user'
export interface Recipient {
  userId: string
  as: NotifyRole
  message: string | null
}

async function supervisors(trx: Tx, ws: string): Promise<string[]> {
  const rows = await trx.selectFrom('users').select('id').where('workspace_id', '=', ws).where('active', '=', true).where('role', '=', 'supervisor').orderBy('id').limit(50).execute()
  return rows.map((r) => r.id)
}

/** Active members of a team, optionally only those with one of `roles`. */
async function teamMembers(trx: Tx, ws: string, teamId: string | null, roles?: string[]): Promise<string[]> {
  if (!teamId) return []
  let q = trx
    .selectFrom('team_members as m')
    .innerJoin('users as u', (j) => j.onRef('u.id', '=', 'm.user_id').onRef('u.workspace_id', '=', 'm.workspace_id'))
    .select('u.id')
    .where('m.workspace_id', '=', ws)
    .where('m.team_id', '=', teamId)
    .where('u.active', '=', true)
  if (roles) q = q.where('u.role', 'in', roles)
  return (await q.orderBy('u.id').limit(200).execute()).map((r) => r.id)
}

/** Supervisors and admins of a team (a team's leads), or of the workspace when the case has no team or the team none. */
async function teamLeads(trx: Tx, ws: string, teamId: string | null): Promise<string[]> {
  const leads = await teamMembers(trx, ws, teamId, ['supervisor', 'admin', 'owner'])
  return leads.length ? leads : supervisors(trx, ws)
}

/** Of these ids, the users of the workspace (`active`: only active ones), in the order given. */
async function usersAmong(trx: Tx, ws: string, ids: string[], opts: { active: boolean }): Promise<string[]> {
  if (!ids.length) return []
  let q = trx.selectFrom('users').select('id').where('workspace_id', '=', ws).where('id', 'in', ids)
  if (opts.active) q = q.where('active', '=', true)
  const found = new Set((await q.execute()).map((r) => r.id))
  return ids.filter((id) => found.has(id))
}

/**
 * The recipients of a level's notify actions for this case, resolved when
 * the level is reached (so a team change in between is followed). A user
 * named by several actions is notified once, in the first role that names them.
 */
export async function recipientsOf(trx: Tx, ws: string, attrs: CaseAttributes, actions: EscalationAction[]): Promise<Recipient[]> {
  const out: Recipient[] = []
  const seen = new Set<string>()
  const add = (ids: string[], as: NotifyRole, message: string | undefined) => {
    for (const userId of ids) {
      if (seen.has(userId)) continue
      seen.add(userId)
      out.push({ userId, as, message: message ?? null })
    }
  }
  for (const a of actions) {
    if (a.type === 'notify_assignee' && attrs.assigneeId) add([attrs.assigneeId], 'assignee', a.message)
    else if (a.type === 'notify_team_lead') add(await teamLeads(trx, ws, attrs.teamId), 'team_lead', a.message)
    else if (a.type === 'notify_supervisors') add(await supervisors(trx, ws), 'supervisor', a.message)
    else if (a.type === 'notify_team') add(await teamMembers(trx, ws, attrs.teamId), 'team_member', a.message)
    else if (a.type === 'notify_users') add(await usersAmong(trx, ws, a.userIds, { active: true }), 'user', a.message)
  }
  return out
}

/** A policy's `notify_users` must name users of its workspace: a clear 400 when saved, not a silent miss at breach time. */
export async function checkNamedUsers(trx: Tx, ws: string, escalations: Array<{ actions: EscalationAction[] }> | undefined): Promise<void> {
  for (const [level, e] of (escalations ?? []).entries())
    for (const [index, a] of e.actions.entries()) {
      if (a.type !== 'notify_users') continue
      const known = new Set(await usersAmong(trx, ws, a.userIds, { active: false }))
      const unknown = a.userIds.filter((id) => !known.has(id))
      if (unknown.length) {
        const field = `body.escalations.${level}.actions.${index}.userIds`
        throw new AppError('VALIDATION_FAILED', `${field} names no user of this workspace: ${unknown.join(', ')}`, [{ field, message: 'is not a user of this workspace' }])
      }
    }
}
