import { type RawBuilder, sql } from 'kysely'
import type { Tx } from '../../platform/db/tenant.ts'
import type { DB, NewRow, Row, RowUpdate } from '../../platform/db/schema.ts'
import type { AgentCandidate } from './routing.strategies.ts'
import { activeStatuses } from './routing.types.ts'

/** A conversation's priority as a number, higher first (`c` is the conversation). */
export const priorityRankSql = sql<number>`CASE c.priority WHEN 'urgent' THEN 4 WHEN 'high' THEN 3 WHEN 'normal' THEN 2 ELSE 1 END`

/** SQL of the routing module. Every function takes the transaction first and the workspace id. */

/** Column values, where a timestamp may also be an SQL expression such as now(). */
export type SetOf<T extends keyof DB> = { [K in keyof RowUpdate<T>]?: RowUpdate<T>[K] | RawBuilder<Date | null> }
export type ValuesOf<T extends keyof DB> = { [K in keyof NewRow<T>]: NewRow<T>[K] | RawBuilder<Date | null> }

// ---------------------------------------------------------------------------
// Agents: presence, capacity, skills, load
// ---------------------------------------------------------------------------

export function findAgent(trx: Tx, ws: string, userId: string, opts: { forUpdate?: boolean } = {}): Promise<Row<'agent_routing'> | undefined> {
  let q = trx.selectFrom('agent_routing').selectAll().where('workspace_id', '=', ws).where('user_id', '=', userId)
  if (opts.forUpdate) q = q.forUpdate()
  return q.executeTakeFirst()
}

/** The agent's routing row, created (offline, no capacity) on first use. */
export async function ensureAgent(trx: Tx, ws: string, userId: string): Promise<Row<'agent_routing'>> {
  await trx.insertInto('agent_routing').values({ workspace_id: ws, user_id: userId, capacity: '{}', skills: '[]' }).onConflict((oc) => oc.columns(['workspace_id', 'user_id']).doNothing()).execute()
  return (await findAgent(trx, ws, userId, { forUpdate: true }))!
}

export function updateAgent(trx: Tx, ws: string, userId: string, set: SetOf<'agent_routing'>): Promise<Row<'agent_routing'>> {
  return trx.updateTable('agent_routing').set({ ...(set as RowUpdate<'agent_routing'>), updated_at: sql`now()` }).where('workspace_id', '=', ws).where('user_id', '=', userId).returningAll().executeTakeFirstOrThrow()
}

/** Active cases per agent and channel (open, pending, on hold) plus the agent's pending offers. */
export async function loadsOf(trx: Tx, ws: string, userIds: string[]): Promise<Map<string, Record<string, number>>> {
  const out = new Map<string, Record<string, number>>(userIds.map((id) => [id, {}]))
  if (userIds.length === 0) return out
  const ids = sql`${sql.val(userIds)}::uuid[]`
  const rows = await sql<{ user_id: string; channel: string; n: string }>`
    SELECT user_id, channel, sum(n)::text AS n FROM (
      SELECT assignee_id AS user_id, channel, count(*) AS n FROM conversations
       WHERE workspace_id = ${ws} AND assignee_id = ANY(${ids}) AND assignee_id IS NOT NULL AND status IN (${sql.join([...activeStatuses])})
       GROUP BY 1, 2
      UNION ALL
      SELECT user_id, channel, count(*) FROM routing_offers
       WHERE workspace_id = ${ws} AND state = 'pending' AND user_id = ANY(${ids})
       GROUP BY 1, 2
    ) x GROUP BY 1, 2`.execute(trx)
  for (const r of rows.rows) {
    const load = out.get(r.user_id)
    if (load) load[r.channel] = Number(r.n)
  }
  return out
}

/**
 * The candidate query: online, active agents with some capacity for the
 * channel (in the team, when the queue has one), with their current load.
 * Whether each has room left, and the skills, are judged by the strategies.
 */
export async function candidates(trx: Tx, ws: string, q: { channel: string; teamId: string | null; exclude: string[] }): Promise<AgentCandidate[]> {
  // One statement (agents, then their load), so a decision pays one round trip and one plan for its candidates.
  const team = q.teamId ? sql`AND a.user_id IN (SELECT user_id FROM team_members WHERE workspace_id = ${ws} AND team_id = ${q.teamId})` : sql``
  const exclude = q.exclude.length ? sql`AND a.user_id <> ALL(${sql.val(q.exclude)}::uuid[])` : sql``
  const rows = await sql<{ user_id: string; capacity: Record<string, number>; skills: AgentCandidate['skills']; last_assigned_at: Date | null; load: Record<string, number> }>`
    WITH a AS (
      SELECT a.user_id, a.capacity, a.skills, a.last_assigned_at
        FROM agent_routing a JOIN users u ON u.workspace_id = a.workspace_id AND u.id = a.user_id
       WHERE a.workspace_id = ${ws} AND a.status = 'online' AND u.active AND u.role <> 'auditor'
         AND coalesce((a.capacity->>${q.channel})::int, 0) > 0 ${team} ${exclude}
    ), l AS (
      SELECT user_id, channel, sum(n)::int AS n FROM (
        SELECT c.assignee_id AS user_id, c.channel, count(*) AS n FROM conversations c JOIN a ON a.user_id = c.assignee_id
         WHERE c.workspace_id = ${ws} AND c.assignee_id IS NOT NULL AND c.status IN (${sql.join([...activeStatuses])}) GROUP BY 1, 2
        UNION ALL
        SELECT o.user_id, o.channel, count(*) FROM routing_offers o JOIN a ON a.user_id = o.user_id
         WHERE o.workspace_id = ${ws} AND o.state = 'pending' GROUP BY 1, 2
      ) x GROUP BY 1, 2
    )
    SELECT a.*, coalesce(lj.load, '{}'::jsonb) AS load
      FROM a LEFT JOIN (SELECT user_id, jsonb_object_agg(channel, n) AS load FROM l GROUP BY user_id) lj ON lj.user_id = a.user_id
     ORDER BY a.user_id`.execute(trx)
  return rows.rows.map((r) => ({ userId: r.user_id, capacity: r.capacity, skills: r.skills, load: r.load, lastAssignedAt: r.last_assigned_at }))
}

/** Agents not offline who have not been seen (realtime) since `before`. */
export function staleAgents(trx: Tx, ws: string, graceSeconds: number): Promise<Array<{ user_id: string }>> {
  return trx
    .selectFrom('agent_routing')
    .select('user_id')
    .where('workspace_id', '=', ws)
    .where('status', '<>', 'offline')
    .where((eb) => eb.or([eb('last_seen_at', 'is', null), eb('last_seen_at', '<', sql<Date>`now() - make_interval(secs => ${graceSeconds})`)]))
    .where('status_changed_at', '<', sql<Date>`now() - make_interval(secs => ${graceSeconds})`)
    .execute()
}

// ---------------------------------------------------------------------------
// Settings
// ---------------------------------------------------------------------------

export async function settings(trx: Tx, ws: string): Promise<{ transferNoteRequired: boolean }> {
  const r = await trx.selectFrom('routing_settings').select('transfer_note_required').where('workspace_id', '=', ws).executeTakeFirst()
  return { transferNoteRequired: r?.transfer_note_required ?? false }
}

export async function saveSettings(trx: Tx, ws: string, s: { transferNoteRequired: boolean }): Promise<void> {
  await trx
    .insertInto('routing_settings')
    .values({ workspace_id: ws, transfer_note_required: s.transferNoteRequired })
    .onConflict((oc) => oc.column('workspace_id').doUpdateSet({ transfer_note_required: s.transferNoteRequired, updated_at: sql`now()` }))
    .execute()
}

// ---------------------------------------------------------------------------
// Queues
// ---------------------------------------------------------------------------

/** A page of queues in the order their rules are tried (positions are renumbered 0..n-1, so unique); `after` is the [position, id] of the previous page's last row. */
export function pageQueues(trx: Tx, ws: string, q: { limit: number; after: string[] | null }): Promise<Array<Row<'routing_queues'>>> {
  let query = trx.selectFrom('routing_queues').selectAll().where('workspace_id', '=', ws)
  if (q.after) query = query.where(sql<boolean>`(position, id) > (${Number(q.after[0])}::int, ${q.after[1]}::uuid)`)
  return query.orderBy('position').orderBy('id').limit(q.limit + 1).execute()
}

export function listQueues(trx: Tx, ws: string): Promise<Array<Row<'routing_queues'>>> {
  return trx.selectFrom('routing_queues').selectAll().where('workspace_id', '=', ws).orderBy('position').orderBy('created_at').execute()
}

export function findQueue(trx: Tx, ws: string, id: string): Promise<Row<'routing_queues'> | undefined> {
  return trx.selectFrom('routing_queues').selectAll().where('workspace_id', '=', ws).where('id', '=', id).executeTakeFirst()
}

export function insertQueue(trx: Tx, values: NewRow<'routing_queues'>): Promise<Row<'routing_queues'>> {
  return trx.insertInto('routing_queues').values(values).returningAll().executeTakeFirstOrThrow()
}

export function updateQueue(trx: Tx, ws: string, id: string, set: RowUpdate<'routing_queues'>): Promise<Row<'routing_queues'>> {
  return trx.updateTable('routing_queues').set({ ...set, updated_at: sql`now()` }).where('workspace_id', '=', ws).where('id', '=', id).returningAll().executeTakeFirstOrThrow()
}

/** Rewrites every queue's position to its index in `orderedIds`. */
export async function renumberQueues(trx: Tx, ws: string, orderedIds: string[]): Promise<void> {
  for (const [i, id] of orderedIds.entries()) await trx.updateTable('routing_queues').set({ position: i }).where('workspace_id', '=', ws).where('id', '=', id).execute()
}

export async function deleteQueue(trx: Tx, ws: string, id: string): Promise<void> {
  await trx.deleteFrom('routing_queues').where('workspace_id', '=', ws).where('id', '=', id).execute()
}

export async function waitingCounts(trx: Tx, ws: string): Promise<Map<string, number>> {
  const rows = await trx
    .selectFrom('routing_entries')
    .select(['queue_id', (eb) => eb.fn.countAll<string>().as('n')])
    .where('workspace_id', '=', ws)
    .where('state', '=', 'waiting')
    .groupBy('queue_id')
    .execute()
  return new Map(rows.map((r) => [r.queue_id, Number(r.n)]))
}

// ---------------------------------------------------------------------------
// Entries: each routed case's place in routing
// ---------------------------------------------------------------------------

export function findEntry(trx: Tx, ws: string, conversationId: string, opts: { forUpdate?: boolean } = {}): Promise<Row<'routing_entries'> | undefined> {
  let q = trx.selectFrom('routing_entries').selectAll().where('workspace_id', '=', ws).where('conversation_id', '=', conversationId)
  if (opts.forUpdate) q = q.forUpdate()
  return q.executeTakeFirst()
}

export function insertEntry(trx: Tx, values: ValuesOf<'routing_entries'>): Promise<Row<'routing_entries'>> {
  return trx.insertInto('routing_entries').values(values as NewRow<'routing_entries'>).returningAll().executeTakeFirstOrThrow()
}

export function updateEntry(trx: Tx, ws: string, conversationId: string, set: SetOf<'routing_entries'>): Promise<Row<'routing_entries'>> {
  return trx.updateTable('routing_entries').set({ ...(set as RowUpdate<'routing_entries'>), updated_at: sql`now()` }).where('workspace_id', '=', ws).where('conversation_id', '=', conversationId).returningAll().executeTakeFirstOrThrow()
}

/**
 * The order in which waiting cases are served: priority, then time to SLA
 * breach, then time waiting. Each key is a column of the entry `e`: priority
 * and the next breach time are copies (a listener follows priority changes;
 * the SLA module tells routing every new breach time through its port), so
 * the order is the index routing_entries_waiting_idx and the next case is
 * found by walking it, without sorting the backlog or joining another table.
 */
const waitingOrder = [
  sql`e.priority_rank DESC`,
  // Sooner breach first; cases without a running SLA clock after those with one.
  sql`e.next_breach_at ASC NULLS LAST`,
  sql`e.waiting_since ASC`,
  sql`e.conversation_id ASC`,
]

/** The query of the next waiting cases in service order, optionally only on some channels (exported for its plan test). */
export function waitingCasesQuery(ws: string, q: { channels?: string[]; limit: number }) {
  // The channel filter reads each candidate's conversation by primary key while walking the index in order.
  const channelFilter = q.channels
    ? sql`AND EXISTS (SELECT 1 FROM conversations c WHERE c.workspace_id = e.workspace_id AND c.id = e.conversation_id AND c.channel = ANY(${sql.val(q.channels)}::text[]))`
    : sql``
  return sql<{ conversation_id: string }>`
    SELECT e.conversation_id FROM routing_entries e
     WHERE e.workspace_id = ${ws} AND e.state = 'waiting' ${channelFilter}
     ORDER BY ${sql.join(waitingOrder)}
     LIMIT ${q.limit}`
}

/** Waiting cases in service order, optionally only on some channels. */
export async function waitingCases(trx: Tx, ws: string, q: { channels?: string[]; limit: number }): Promise<string[]> {
  if (q.channels && q.channels.length === 0) return []
  const rows = await waitingCasesQuery(ws, q).execute(trx)
  return rows.rows.map((r) => r.conversation_id)
}

/** Keeps the entry's copy of the case's next SLA breach (the SLA module's port, in its transaction). */
export async function setNextBreach(trx: Tx, ws: string, conversationId: string, at: Date | null): Promise<void> {
  await trx
    .updateTable('routing_entries')
    .set({ next_breach_at: at })
    .where('workspace_id', '=', ws)
    .where('conversation_id', '=', conversationId)
    .where(sql<boolean>`next_breach_at IS DISTINCT FROM ${at}::timestamptz`)
    .execute()
}

/** The case's next breach as the SLA module last stored it (read only): an entry's starting copy. */
export function currentNextBreach(ws: string, conversationId: string): RawBuilder<Date | null> {
  return sql<Date | null>`(SELECT s.next_breach_at FROM conversation_slas s WHERE s.workspace_id = ${ws} AND s.conversation_id = ${conversationId} AND s.active)`
}

/** Cases of one agent that routing handed out (for re-queueing when the agent leaves). */
export function assignedEntriesOf(trx: Tx, ws: string, userId: string): Promise<Array<Row<'routing_entries'> & { channel: string; status: string; first_response_at: Date | null }>> {
  return trx
    .selectFrom('routing_entries as e')
    .innerJoin('conversations as c', (j) => j.onRef('c.workspace_id', '=', 'e.workspace_id').onRef('c.id', '=', 'e.conversation_id'))
    .selectAll('e')
    .select(['c.channel', 'c.status', 'c.first_response_at'])
    .where('e.workspace_id', '=', ws)
    .where('e.state', '=', 'assigned')
    .where('c.assignee_id', '=', userId)
    .where('c.status', 'in', [...activeStatuses])
    .execute()
}

// ---------------------------------------------------------------------------
// Offers
// ---------------------------------------------------------------------------

export function insertOffer(trx: Tx, values: ValuesOf<'routing_offers'>): Promise<Row<'routing_offers'>> {
  return trx.insertInto('routing_offers').values(values as NewRow<'routing_offers'>).returningAll().executeTakeFirstOrThrow()
}

export function findOffer(trx: Tx, ws: string, id: string, opts: { forUpdate?: boolean } = {}): Promise<Row<'routing_offers'> | undefined> {
  let q = trx.selectFrom('routing_offers').selectAll().where('workspace_id', '=', ws).where('id', '=', id)
  if (opts.forUpdate) q = q.forUpdate()
  return q.executeTakeFirst()
}

export function settleOffer(trx: Tx, ws: string, id: string, state: 'accepted' | 'declined' | 'expired' | 'cancelled'): Promise<Row<'routing_offers'>> {
  return trx.updateTable('routing_offers').set({ state, responded_at: sql`now()` }).where('workspace_id', '=', ws).where('id', '=', id).returningAll().executeTakeFirstOrThrow()
}

export function pendingOffers(trx: Tx, ws: string, by: { userId?: string; conversationId?: string }): Promise<Array<Row<'routing_offers'>>> {
  let q = trx.selectFrom('routing_offers').selectAll().where('workspace_id', '=', ws).where('state', '=', 'pending')
  if (by.userId) q = q.where('user_id', '=', by.userId)
  if (by.conversationId) q = q.where('conversation_id', '=', by.conversationId)
  return q.orderBy('created_at').execute()
}

/** One agent's offers in a state, newest first; `after` is the [created_at as PostgreSQL prints it, id] of the previous page's last row. */
export function pageOffers(trx: Tx, ws: string, q: { userId: string; state: string; limit: number; after: string[] | null }) {
  let query = trx
    .selectFrom('routing_offers')
    .selectAll()
    .select(sql<string>`created_at::text`.as('created_key'))
    .where('workspace_id', '=', ws)
    .where('user_id', '=', q.userId)
    .where('state', '=', q.state)
  if (q.after) query = query.where(sql<boolean>`(created_at, id) < (${q.after[0]}::timestamptz, ${q.after[1]}::uuid)`)
  return query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(q.limit + 1).execute()
}

/** Offers past their deadline that are still pending (a lost timer job is caught by the sweeper). */
export function overdueOffers(trx: Tx, ws: string): Promise<Array<Row<'routing_offers'>>> {
  return trx.selectFrom('routing_offers').selectAll().where('workspace_id', '=', ws).where('state', '=', 'pending').where('expires_at', '<', sql<Date>`now()`).execute()
}

/** Agents who declined or let an offer of this case expire since it started waiting: they are not offered it again. */
export async function refusedBy(trx: Tx, ws: string, conversationId: string, since: Date): Promise<string[]> {
  const rows = await trx
    .selectFrom('routing_offers')
    .select('user_id')
    .distinct()
    .where('workspace_id', '=', ws)
    .where('conversation_id', '=', conversationId)
    .where('state', 'in', ['declined', 'expired'])
    .where('created_at', '>=', since)
    .execute()
  return rows.map((r) => r.user_id)
}

// ---------------------------------------------------------------------------
// Conversations as routing sees them
// ---------------------------------------------------------------------------

export interface RoutableCase {
  conversation: Row<'conversations'>
  tags: string[]
  contactAttributes: Record<string, unknown>
}

/** The case with its tags and its contact's attributes, in one statement. */
export async function routableCase(trx: Tx, ws: string, id: string): Promise<RoutableCase | undefined> {
  const row = await trx
    .selectFrom('conversations as c')
    .selectAll('c')
    .select(sql<string[]>`coalesce((SELECT array_agg(t.tag) FROM conversation_tags t WHERE t.workspace_id = c.workspace_id AND t.conversation_id = c.id), '{}')`.as('routing_tags'))
    .select(sql<Record<string, unknown> | null>`(SELECT k.attributes FROM contacts k WHERE k.workspace_id = c.workspace_id AND k.id = c.contact_id)`.as('routing_contact_attributes'))
    .where('c.workspace_id', '=', ws)
    .where('c.id', '=', id)
    .executeTakeFirst()
  if (!row) return undefined
  const { routing_tags: tags, routing_contact_attributes: attributes, ...conversation } = row
  return { conversation, tags, contactAttributes: attributes ?? {} }
}

/**
 * Of these conversations, the ones a new-case listener would enqueue: open,
 * unassigned, not in routing (or done with it), in a workspace that has a
 * queue at all. One statement and no lock: the listener takes the routing
 * lock only when this finds something, and asks again under it.
 */
export async function unroutedCases(trx: Tx, ws: string, ids: string[]): Promise<string[]> {
  if (ids.length === 0) return []
  const rows = await sql<{ id: string }>`
    SELECT c.id FROM conversations c
      LEFT JOIN routing_entries e ON e.workspace_id = c.workspace_id AND e.conversation_id = c.id
     WHERE c.workspace_id = ${ws} AND c.id = ANY(${sql.val(ids)}::uuid[])
       AND c.assignee_id IS NULL AND c.status = 'open' AND (e.conversation_id IS NULL OR e.state = 'done')
       AND EXISTS (SELECT 1 FROM routing_queues q WHERE q.workspace_id = ${ws})`.execute(trx)
  return rows.rows.map((r) => r.id)
}

/**
 * Whether a solved or closed case leaves routing work: its entry is not done
 * yet, or its assignee is online (freed capacity may place waiting cases).
 * One statement and no lock, asked before taking the routing lock.
 */
export async function solveHasWork(trx: Tx, ws: string, id: string): Promise<boolean> {
  const rows = await sql<{ id: string }>`
    SELECT c.id FROM conversations c
     WHERE c.workspace_id = ${ws} AND c.id = ${id} AND c.status IN ('solved', 'closed')
       AND (EXISTS (SELECT 1 FROM routing_entries e WHERE e.workspace_id = c.workspace_id AND e.conversation_id = c.id AND e.state <> 'done')
         OR EXISTS (SELECT 1 FROM agent_routing a WHERE a.workspace_id = c.workspace_id AND a.user_id = c.assignee_id AND a.status = 'online'))`.execute(trx)
  return rows.rows.length > 0
}

/** The agent who last had another case of this contact, if that case was active within the window. */
export async function lastAgentOfContact(trx: Tx, ws: string, contactId: string, exceptId: string, minutes: number): Promise<string | null> {
  const r = await trx
    .selectFrom('conversations')
    .select('assignee_id')
    .where('workspace_id', '=', ws)
    .where('contact_id', '=', contactId)
    .where('id', '<>', exceptId)
    .where('assignee_id', 'is not', null)
    .where('updated_at', '>=', sql<Date>`now() - make_interval(mins => ${minutes})`)
    .orderBy('updated_at', 'desc')
    .limit(1)
    .executeTakeFirst()
  return r?.assignee_id ?? null
}

/** Keeps the entry's copy of the conversation's priority in step. */
export async function syncPriority(trx: Tx, ws: string, conversationId: string): Promise<void> {
  await sql`
    UPDATE routing_entries e SET priority_rank = ${priorityRankSql}
      FROM conversations c
     WHERE e.workspace_id = ${ws} AND e.conversation_id = ${conversationId}
       AND c.workspace_id = e.workspace_id AND c.id = e.conversation_id
       AND e.priority_rank IS DISTINCT FROM ${priorityRankSql}`.execute(trx)
}
