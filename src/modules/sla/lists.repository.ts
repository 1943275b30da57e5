import { sql } from 'kysely'
import type { Tx } from '../../platform/db/tenant.ts'
import { toCalendar, toPolicy } from './sla.repository.ts'
import type { Calendar, Policy } from './sla.types.ts'

/** Pages of calendars and policies for the API (keyset: the sort key of the previous page's last row). */

/** By name, then id; `after` is the [name, id] of the last row of the previous page. */
export async function pageCalendars(trx: Tx, ws: string, q: { limit: number; after: string[] | null }): Promise<Calendar[]> {
  let query = trx.selectFrom('business_calendars').selectAll().where('workspace_id', '=', ws)
  if (q.after) query = query.where(sql<boolean>`(name, id) > (${q.after[0]}, ${q.after[1]}::uuid)`)
  const rows = await query.orderBy('name').orderBy('id').limit(q.limit + 1).execute()
  return rows.map(toCalendar)
}

/**
 * In matching order (position, age, id); `after` is the [position, created_at
 * as PostgreSQL prints it (microseconds a JS Date would drop), id] of the last
 * row of the previous page.
 */
export async function pagePolicies(trx: Tx, ws: string, q: { limit: number; after: string[] | null }): Promise<Array<Policy & { cursorKey: string[] }>> {
  let query = trx.selectFrom('sla_policies').selectAll().select(sql<string>`created_at::text`.as('created_key')).where('workspace_id', '=', ws)
  if (q.after) query = query.where(sql<boolean>`(position, created_at, id) > (${Number(q.after[0])}::int, ${q.after[1]}::timestamptz, ${q.after[2]}::uuid)`)
  const rows = await query.orderBy('position').orderBy('created_at').orderBy('id').limit(q.limit + 1).execute()
  return rows.map(({ created_key, ...r }) => ({ ...toPolicy(r), cursorKey: [String(r.position), created_key, r.id] }))
}
