import { sql } from 'kysely'
import type { Actor } from '../../platform/auth/actor.ts'
import type { Tx } from '../../platform/db/tenant.ts'
import type { Row } from '../../platform/db/schema.ts'
import type { Candidate, DecisionKind } from './routing.types.ts'

/** The record of routing decisions: who could have had a case, how each scored, who got it, and how long deciding took. */

export interface NewDecision {
  conversationId: string
  queueId: string | null
  kind: DecisionKind
  strategy?: string | null
  strategyVersion?: number | null
  arm?: string | null
  candidates?: Candidate[]
  winnerId?: string | null
  durationMs?: number
  reason: string
}

export async function insertDecision(trx: Tx, actor: Actor, d: NewDecision): Promise<void> {
  await trx
    .insertInto('routing_decisions')
    .values({
      workspace_id: actor.workspaceId,
      conversation_id: d.conversationId,
      queue_id: d.queueId,
      kind: d.kind,
      strategy: d.strategy ?? null,
      strategy_version: d.strategyVersion ?? null,
      arm: d.arm ?? null,
      candidates: JSON.stringify(d.candidates ?? []),
      winner_id: d.winnerId ?? null,
      duration_ms: d.durationMs ?? 0,
      reason: d.reason,
      actor: JSON.stringify({ type: actor.kind, id: actor.userId, label: actor.label }),
    })
    .execute()
}

/** A case's decisions, oldest first; `after` is the (created_at, id) of the last row of the previous page. */
export function decisionsOfConversation(trx: Tx, ws: string, conversationId: string, q: { limit: number; after: string[] | null }): Promise<Array<Row<'routing_decisions'> & { created_key: string }>> {
  let query = trx.selectFrom('routing_decisions').selectAll().select(sql<string>`created_at::text`.as('created_key')).where('workspace_id', '=', ws).where('conversation_id', '=', conversationId)
  if (q.after) query = query.where(sql<boolean>`(created_at, id) > (${q.after[0]}::timestamptz, ${q.after[1]}::uuid)`)
  return query.orderBy('created_at').orderBy('id').limit(q.limit + 1).execute()
}

/** What the decision log can be filtered by (all optional, all must hold). */
export interface DecisionFilters {
  queueId?: string | undefined
  kind?: string | undefined
  /** The agent the decision chose (assigned, offered, took back from). */
  winnerId?: string | undefined
  strategy?: string | undefined
  arm?: string | undefined
  /** ISO instants: decided at or after `since`, before `until`. */
  since?: string | undefined
  until?: string | undefined
}

/** Newest first; `after` is the (created_at, id) of the last row of the previous page. */
export function listDecisions(
  trx: Tx,
  ws: string,
  q: DecisionFilters & { limit: number; after: [string, string] | null },
): Promise<Array<Row<'routing_decisions'> & { created_key: string }>> {
  // The cursor keeps the timestamp as PostgreSQL prints it: microseconds a JS Date would drop.
  let query = trx.selectFrom('routing_decisions').selectAll().select(sql<string>`created_at::text`.as('created_key')).where('workspace_id', '=', ws)
  if (q.queueId) query = query.where('queue_id', '=', q.queueId)
  if (q.kind) query = query.where('kind', '=', q.kind)
  if (q.winnerId) query = query.where('winner_id', '=', q.winnerId)
  if (q.strategy) query = query.where('strategy', '=', q.strategy)
  if (q.arm) query = query.where('arm', '=', q.arm)
  if (q.since) query = query.where('created_at', '>=', new Date(q.since))
  if (q.until) query = query.where('created_at', '<', new Date(q.until))
  if (q.after) query = query.where(sql<boolean>`(created_at, id) < (${q.after[0]}::timestamptz, ${q.after[1]}::uuid)`)
  return query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(q.limit + 1).execute()
}

export interface ArmRow {
  arm: 'A' | 'B'
  cases: number
  assigned: number
  resolved: number
  assign_mean: number | null
  assign_median: number | null
  first_response_mean: number | null
  first_response_median: number | null
  resolution_mean: number | null
  resolution_median: number | null
}

/** Per arm of a queue's A/B test: time to first assignment, first response and resolution (seconds). */
export async function abReport(trx: Tx, ws: string, queueId: string): Promise<ArmRow[]> {
  const secs = (a: string, b: string) => sql.raw(`extract(epoch from (${a} - ${b}))`)
  const assign = secs('e.first_assigned_at', 'e.queued_at')
  const fr = secs('c.first_response_at', 'c.created_at')
  const res = secs('c.solved_at', 'c.created_at')
  const r = await sql<ArmRow>`
    SELECT e.arm,
           count(*)::int AS cases,
           count(e.first_assigned_at)::int AS assigned,
           count(c.solved_at)::int AS resolved,
           avg(${assign})::float8 AS assign_mean,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY ${assign})::float8 AS assign_median,
           avg(${fr})::float8 AS first_response_mean,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY ${fr})::float8 AS first_response_median,
           avg(${res})::float8 AS resolution_mean,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY ${res})::float8 AS resolution_median
      FROM routing_entries e
      JOIN conversations c ON c.workspace_id = e.workspace_id AND c.id = e.conversation_id
     WHERE e.workspace_id = ${ws} AND e.ab_queue_id = ${queueId} AND e.arm IS NOT NULL
     GROUP BY e.arm`.execute(trx)
  return r.rows
}
