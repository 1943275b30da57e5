import { sql } from 'kysely'
import type { Tx } from '../../platform/db/tenant.ts'

const waitingSince = sql`coalesce(c.last_customer_message_at, c.created_at)`

export async function statusTotals(trx: Tx, ws: string) {
  const { rows } = await sql<{ open: string; unassigned: string; pending: string; on_hold: string }>`
    select count(*) filter (where status = 'open') as open,
           count(*) filter (where status = 'open' and assignee_id is null) as unassigned,
           count(*) filter (where status = 'pending') as pending,
           count(*) filter (where status = 'on_hold') as on_hold
    from conversations where workspace_id = ${ws} and status in ('open', 'pending', 'on_hold')`.execute(trx)
  return rows[0]
}

type Counts = { open: string; unassigned: string; oldest: Date | null }

/** Every inbox (active or with open work), with its open and unassigned counts. */
export async function byInbox(trx: Tx, ws: string) {
  const { rows } = await sql<Counts & { id: string; name: string; channel: string }>`
    select i.id, i.name, i.channel,
           count(c.id) as open, count(c.id) filter (where c.assignee_id is null) as unassigned, min(${waitingSince}) as oldest
    from inboxes i
    left join conversations c on c.workspace_id = i.workspace_id and c.inbox_id = i.id and c.status = 'open'
    where i.workspace_id = ${ws}
    group by i.id, i.name, i.channel
    having i.active or count(c.id) > 0
    order by count(c.id) desc, i.name, i.id`.execute(trx)
  return rows
}

/** Every team, plus "no team" when open conversations have none. */
export async function byTeam(trx: Tx, ws: string) {
  const { rows } = await sql<Counts & { id: string | null; name: string | null }>`
    select t.id, t.name,
           count(c.id) as open, count(c.id) filter (where c.assignee_id is null) as unassigned, min(${waitingSince}) as oldest
    from teams t
    left join conversations c on c.workspace_id = t.workspace_id and c.team_id = t.id and c.status = 'open'
    where t.workspace_id = ${ws}
    group by t.id, t.name
    union all
    select null, null, count(*), count(*) filter (where c.assignee_id is null), min(${waitingSince})
    from conversations c
    where c.workspace_id = ${ws} and c.status = 'open' and c.team_id is null
    having count(*) > 0
    order by open desc, name nulls last, id`.execute(trx)
  return rows
}

export async function longestWaiting(trx: Tx, ws: string, limit: number) {
  const { rows } = await sql<{ id: string; number: string; subject: string | null; priority: string; inbox_id: string; team_id: string | null; assignee_id: string | null; since: Date }>`
    select c.id, c.number, c.subject, c.priority, c.inbox_id, c.team_id, c.assignee_id, ${waitingSince} as since
    from conversations c
    where c.workspace_id = ${ws} and c.status = 'open'
    order by ${waitingSince} asc, c.id
    limit ${limit}`.execute(trx)
  return rows
}

/**
 * Active users who may work cases, with their presence (offline when they
 * never set one), capacity per channel, and the cases they carry: open, all
 * active (open, pending, on hold), and active per channel.
 */
export async function agentLoad(trx: Tx, ws: string) {
  const { rows } = await sql<{ id: string; name: string; role: string; presence: string; presence_since: Date | null; capacity: Record<string, number>; open: number; active: number; load: Record<string, number> }>`
    with per_channel as (
      select c.assignee_id as user_id, c.channel, count(*) filter (where c.status = 'open') as open, count(*) as active
      from conversations c
      where c.workspace_id = ${ws} and c.assignee_id is not null and c.status in ('open', 'pending', 'on_hold')
      group by 1, 2
    ), per_agent as (
      select user_id, sum(open)::int as open, sum(active)::int as active, jsonb_object_agg(channel, active) as load
      from per_channel group by user_id
    )
    select u.id, u.name, u.role,
           coalesce(a.status, 'offline') as presence, a.status_changed_at as presence_since, coalesce(a.capacity, '{}'::jsonb) as capacity,
           coalesce(l.open, 0) as open, coalesce(l.active, 0) as active, coalesce(l.load, '{}'::jsonb) as load
    from users u
    left join agent_routing a on a.workspace_id = u.workspace_id and a.user_id = u.id
    left join per_agent l on l.user_id = u.id
    where u.workspace_id = ${ws} and u.active and u.role in ('owner', 'admin', 'supervisor', 'agent')
    order by coalesce(l.open, 0) desc, u.name, u.id`.execute(trx)
  return rows
}
