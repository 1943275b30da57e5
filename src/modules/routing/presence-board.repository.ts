import { sql } from 'kysely'
import type { Tx } from '../../platform/db/tenant.ts'
import type { Skill } from './routing.types.ts'

/** SQL of the supervisor's presence board (presence-board.ts). */

export interface BoardRow {
  id: string
  name: string
  email: string
  role: string
  status: string | null
  status_reason: string | null
  status_changed_at: Date | null
  last_seen_at: Date | null
  capacity: Record<string, number> | null
  skills: Skill[] | null
}

/** Users by name, then id, with their routing row when they have one; `after` is the previous page's last [name, id]. */
export function pageUsers(trx: Tx, ws: string, q: { status?: string | undefined; teamId?: string | undefined; limit: number; after: string[] | null }) {
  let query = trx
    .selectFrom('users as u')
    .leftJoin('agent_routing as a', (j) => j.onRef('a.workspace_id', '=', 'u.workspace_id').onRef('a.user_id', '=', 'u.id'))
    .select(['u.id', 'u.name', 'u.email', 'u.role', 'a.status', 'a.status_reason', 'a.status_changed_at', 'a.last_seen_at', 'a.capacity', 'a.skills'])
    .where('u.workspace_id', '=', ws)
    .where('u.active', '=', true)
    .where('u.role', '<>', 'auditor')
  if (q.status) query = query.where(sql<string>`coalesce(a.status, 'offline')`, '=', q.status)
  if (q.teamId) query = query.where('u.id', 'in', (eb) => eb.selectFrom('team_members').select('user_id').where('workspace_id', '=', ws).where('team_id', '=', q.teamId!))
  if (q.after) query = query.where(sql<boolean>`(u.name, u.id) > (${q.after[0]}, ${q.after[1]}::uuid)`)
  return query.orderBy('u.name').orderBy('u.id').limit(q.limit + 1).execute() as Promise<BoardRow[]>
}
