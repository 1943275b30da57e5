import type { Tx } from '../../platform/db/tenant.ts'
import type { Row } from '../../platform/db/schema.ts'

export async function insertUser(
  trx: Tx,
  workspaceId: string,
  u: { email: string; name: string; role: string; passwordHash: string | null; instanceOwner?: boolean },
): Promise<Row<'users'>> {
  return trx
    .insertInto('users')
    .values({
      workspace_id: workspaceId,
      email: u.email,
      name: u.name,
      role: u.role,
      password_hash: u.passwordHash,
      instance_owner: u.instanceOwner ?? false,
    })
    .returningAll()
    .executeTakeFirstOrThrow()
}

export function findUser(trx: Tx, workspaceId: string, id: string) {
  return trx.selectFrom('users').selectAll().where('workspace_id', '=', workspaceId).where('id', '=', id).executeTakeFirst()
}

export function listUsers(trx: Tx, workspaceId: string, opts: { limit: number; after: [string, string] | null }) {
  let q = trx.selectFrom('users').selectAll().where('workspace_id', '=', workspaceId)
  if (opts.after) {
    const [email, id] = opts.after
    q = q.where((eb) => eb.or([eb('email', '>', email), eb.and([eb('email', '=', email), eb('id', '>', id)])]))
  }
  return q.orderBy('email').orderBy('id').limit(opts.limit + 1).execute()
}

export function updateUser(
  trx: Tx,
  workspaceId: string,
  id: string,
  patch: Partial<{ name: string; role: string; active: boolean; password_hash: string }>,
) {
  return trx
    .updateTable('users')
    .set({ ...patch, updated_at: new Date() })
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst()
}

export async function countActiveOwners(trx: Tx, workspaceId: string): Promise<number> {
  const r = await trx
    .selectFrom('users')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('workspace_id', '=', workspaceId)
    .where('role', '=', 'owner')
    .where('active', '=', true)
    .executeTakeFirstOrThrow()
  return Number(r.n)
}

/** Sign-in looks across workspaces: call only inside withSystem. */
export function findUsersByEmailAnyWorkspace(trx: Tx, email: string) {
  return trx.selectFrom('users').selectAll().where('email', '=', email).where('active', '=', true).execute()
}

// Teams

export async function listTeams(trx: Tx, workspaceId: string) {
  const teams = await trx.selectFrom('teams').selectAll().where('workspace_id', '=', workspaceId).orderBy('name').execute()
  const members = await trx.selectFrom('team_members').select(['team_id', 'user_id']).where('workspace_id', '=', workspaceId).execute()
  return { teams, members }
}

export function findTeam(trx: Tx, workspaceId: string, id: string) {
  return trx.selectFrom('teams').selectAll().where('workspace_id', '=', workspaceId).where('id', '=', id).executeTakeFirst()
}

export async function teamMemberIds(trx: Tx, workspaceId: string, teamId: string): Promise<string[]> {
  const rows = await trx
    .selectFrom('team_members')
    .select('user_id')
    .where('workspace_id', '=', workspaceId)
    .where('team_id', '=', teamId)
    .orderBy('created_at')
    .execute()
  return rows.map((r) => r.user_id)
}

export function insertTeam(trx: Tx, workspaceId: string, t: { name: string; description: string | null }) {
  return trx
    .insertInto('teams')
    .values({ workspace_id: workspaceId, name: t.name, description: t.description })
    .returningAll()
    .executeTakeFirstOrThrow()
}

export function updateTeam(trx: Tx, workspaceId: string, id: string, patch: Partial<{ name: string; description: string | null }>) {
  if (Object.keys(patch).length === 0) return findTeam(trx, workspaceId, id)
  return trx.updateTable('teams').set(patch).where('workspace_id', '=', workspaceId).where('id', '=', id).returningAll().executeTakeFirst()
}

export function deleteTeam(trx: Tx, workspaceId: string, id: string) {
  return trx.deleteFrom('teams').where('workspace_id', '=', workspaceId).where('id', '=', id).executeTakeFirst()
}

export async function setTeamMembers(trx: Tx, workspaceId: string, teamId: string, userIds: string[]) {
  await trx.deleteFrom('team_members').where('workspace_id', '=', workspaceId).where('team_id', '=', teamId).execute()
  if (userIds.length === 0) return
  await trx
    .insertInto('team_members')
    .values(userIds.map((user_id) => ({ workspace_id: workspaceId, team_id: teamId, user_id })))
    .execute()
}

export async function existingUserIds(trx: Tx, workspaceId: string, ids: string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set()
  const rows = await trx.selectFrom('users').select('id').where('workspace_id', '=', workspaceId).where('id', 'in', ids).execute()
  return new Set(rows.map((r) => r.id))
}

/** Ends every session of a user; returns how many there were. */
export async function deleteSessionsOf(trx: Tx, workspaceId: string, userId: string): Promise<number> {
  const r = await trx.deleteFrom('sessions').where('workspace_id', '=', workspaceId).where('user_id', '=', userId).executeTakeFirst()
  return Number(r.numDeletedRows)
}

/** Revokes every live API token of a user; returns how many. */
export async function revokeTokensOf(trx: Tx, workspaceId: string, userId: string): Promise<number> {
  const r = await trx
    .updateTable('api_tokens')
    .set({ revoked_at: new Date() })
    .where('workspace_id', '=', workspaceId)
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .executeTakeFirst()
  return Number(r.numUpdatedRows)
}

/** Adds one member; false when already there. */
export async function addTeamMember(trx: Tx, workspaceId: string, teamId: string, userId: string): Promise<boolean> {
  const r = await trx
    .insertInto('team_members')
    .values({ workspace_id: workspaceId, team_id: teamId, user_id: userId })
    .onConflict((oc) => oc.columns(['team_id', 'user_id']).doNothing())
    .returning('user_id')
    .executeTakeFirst()
  return r !== undefined
}

export async function removeTeamMember(trx: Tx, workspaceId: string, teamId: string, userId: string): Promise<boolean> {
  const r = await trx.deleteFrom('team_members').where('workspace_id', '=', workspaceId).where('team_id', '=', teamId).where('user_id', '=', userId).executeTakeFirst()
  return Number(r.numDeletedRows) > 0
}
