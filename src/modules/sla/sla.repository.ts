import { sql } from 'kysely'
import type { Db } from '../../platform/db/database.ts'
import type { Row } from '../../platform/db/schema.ts'
import type { Tx } from '../../platform/db/tenant.ts'
import type { CalendarDefinition } from './calendar.ts'
import type { ExplanationEntry } from './clock-engine.ts'
import type { Calendar, Fact, Policy, PolicyRules } from './sla.types.ts'

/** SQL of the SLA module. Every function takes the transaction first and the workspace id. */

const iso = (d: Date) => d.toISOString()

// ---------------------------------------------------------------------------
// Calendars
// ---------------------------------------------------------------------------

export const toCalendar = (r: Row<'business_calendars'>): Calendar => ({
  id: r.id,
  name: r.name,
  timeZone: r.time_zone,
  weeklyHours: r.weekly_hours,
  holidays: r.holidays,
  holidayRegion: r.holiday_region,
  createdAt: iso(r.created_at),
  updatedAt: iso(r.updated_at),
})

export const calendarDefinition = (c: Calendar): CalendarDefinition => ({ timeZone: c.timeZone, weeklyHours: c.weeklyHours, holidays: c.holidays, holidayRegion: c.holidayRegion })

export type CalendarValues = Pick<Calendar, 'name' | 'timeZone' | 'weeklyHours' | 'holidays' | 'holidayRegion'>

export async function insertCalendar(trx: Tx, workspaceId: string, v: CalendarValues): Promise<Calendar> {
  const row = await trx
    .insertInto('business_calendars')
    .values({ workspace_id: workspaceId, name: v.name, time_zone: v.timeZone, weekly_hours: JSON.stringify(v.weeklyHours), holidays: JSON.stringify(v.holidays), holiday_region: v.holidayRegion })
    .returningAll()
    .executeTakeFirstOrThrow()
  return toCalendar(row)
}

export async function findCalendar(trx: Tx, workspaceId: string, id: string, opts: { forUpdate?: boolean } = {}): Promise<Calendar | undefined> {
  let q = trx.selectFrom('business_calendars').selectAll().where('workspace_id', '=', workspaceId).where('id', '=', id)
  if (opts.forUpdate) q = q.forUpdate()
  const row = await q.executeTakeFirst()
  return row && toCalendar(row)
}

export async function listCalendars(trx: Tx, workspaceId: string): Promise<Calendar[]> {
  const rows = await trx.selectFrom('business_calendars').selectAll().where('workspace_id', '=', workspaceId).orderBy('name').orderBy('id').limit(1000).execute()
  return rows.map(toCalendar)
}

export async function updateCalendar(trx: Tx, workspaceId: string, id: string, v: CalendarValues): Promise<Calendar> {
  const row = await trx
    .updateTable('business_calendars')
    .set({ name: v.name, time_zone: v.timeZone, weekly_hours: JSON.stringify(v.weeklyHours), holidays: JSON.stringify(v.holidays), holiday_region: v.holidayRegion, updated_at: sql`now()` })
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow()
  return toCalendar(row)
}

export async function deleteCalendar(trx: Tx, workspaceId: string, id: string): Promise<void> {
  await trx.deleteFrom('business_calendars').where('workspace_id', '=', workspaceId).where('id', '=', id).execute()
}

export async function policiesUsingCalendar(trx: Tx, workspaceId: string, calendarId: string): Promise<string[]> {
  const rows = await trx.selectFrom('sla_policies').select('name').where('workspace_id', '=', workspaceId).where('calendar_id', '=', calendarId).execute()
  return rows.map((r) => r.name)
}

// ---------------------------------------------------------------------------
// Policies
// ---------------------------------------------------------------------------

export const toPolicy = (r: Row<'sla_policies'>): Policy => ({
  ...(r.rules as unknown as PolicyRules),
  id: r.id,
  name: r.name,
  calendarId: r.calendar_id,
  position: r.position,
  active: r.active,
  createdAt: iso(r.created_at),
  updatedAt: iso(r.updated_at),
})

export const rulesOf = (p: PolicyRules): PolicyRules => ({
  match: p.match,
  targets: p.targets,
  pauseOn: p.pauseOn,
  pauseFirstResponse: p.pauseFirstResponse,
  warnings: p.warnings,
  escalations: p.escalations,
})

export type PolicyValues = PolicyRules & { name: string; calendarId: string | null; position: number; active: boolean }

export async function nextPolicyPosition(trx: Tx, workspaceId: string): Promise<number> {
  const r = await trx.selectFrom('sla_policies').select(sql<number>`coalesce(max(position) + 1, 0)::int`.as('n')).where('workspace_id', '=', workspaceId).executeTakeFirstOrThrow()
  return r.n
}

export async function insertPolicy(trx: Tx, workspaceId: string, v: PolicyValues): Promise<Policy> {
  const row = await trx
    .insertInto('sla_policies')
    .values({ workspace_id: workspaceId, name: v.name, calendar_id: v.calendarId, position: v.position, active: v.active, rules: JSON.stringify(rulesOf(v)) })
    .returningAll()
    .executeTakeFirstOrThrow()
  return toPolicy(row)
}

export async function findPolicy(trx: Tx, workspaceId: string, id: string, opts: { forUpdate?: boolean } = {}): Promise<Policy | undefined> {
  let q = trx.selectFrom('sla_policies').selectAll().where('workspace_id', '=', workspaceId).where('id', '=', id)
  if (opts.forUpdate) q = q.forUpdate()
  const row = await q.executeTakeFirst()
  return row && toPolicy(row)
}

/** In matching order: position, then age. */
export async function listPolicies(trx: Tx, workspaceId: string, opts: { activeOnly?: boolean } = {}): Promise<Policy[]> {
  let q = trx.selectFrom('sla_policies').selectAll().where('workspace_id', '=', workspaceId)
  if (opts.activeOnly) q = q.where('active', '=', true)
  const rows = await q.orderBy('position').orderBy('created_at').orderBy('id').limit(1000).execute()
  return rows.map(toPolicy)
}

export async function updatePolicy(trx: Tx, workspaceId: string, id: string, v: PolicyValues): Promise<Policy> {
  const row = await trx
    .updateTable('sla_policies')
    .set({ name: v.name, calendar_id: v.calendarId, position: v.position, active: v.active, rules: JSON.stringify(rulesOf(v)), updated_at: sql`now()` })
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow()
  return toPolicy(row)
}

export async function deletePolicy(trx: Tx, workspaceId: string, id: string): Promise<void> {
  await trx.deleteFrom('sla_policies').where('workspace_id', '=', workspaceId).where('id', '=', id).execute()
}

// ---------------------------------------------------------------------------
// What a policy matches on (read from the conversations module's tables: read-only)
// ---------------------------------------------------------------------------

export interface CaseAttributes {
  id: string
  contactId: string
  status: string
  priority: string
  channel: string
  inboxId: string
  categoryId: string | null
  teamId: string | null
  assigneeId: string | null
  tags: string[]
  createdAt: Date
}

export async function caseAttributes(trx: Tx, workspaceId: string, conversationId: string): Promise<CaseAttributes | undefined> {
  const c = await trx
    .selectFrom('conversations as c')
    .select(['c.id', 'c.contact_id', 'c.status', 'c.priority', 'c.channel', 'c.inbox_id', 'c.category_id', 'c.team_id', 'c.assignee_id', 'c.created_at'])
    .select(
      sql<string[]>`coalesce((select array_agg(lower(t.tag)) from conversation_tags t where t.workspace_id = c.workspace_id and t.conversation_id = c.id), '{}')`.as('tags'),
    )
    .where('c.workspace_id', '=', workspaceId)
    .where('c.id', '=', conversationId)
    .executeTakeFirst()
  if (!c) return undefined
  return {
    id: c.id,
    contactId: c.contact_id,
    status: c.status,
    priority: c.priority,
    channel: c.channel,
    inboxId: c.inbox_id,
    categoryId: c.category_id,
    teamId: c.team_id,
    assigneeId: c.assignee_id,
    tags: c.tags,
    createdAt: c.created_at,
  }
}

/**
 * Everything the clocks listener needs for a batch of conversations, in one
 * statement: the workspace's active policies in matching order, and the
 * attributes of those conversations that have anything to evaluate (all of
 * them when a policy is active, else only those with a clock row, whose
 * record must say no policy matches any more). Read in the listener's own
 * transaction, so an admin's change is seen as soon as it commits (no cache).
 */
export async function clockInputs(trx: Tx, workspaceId: string, conversationIds: string[]): Promise<{ policies: Policy[]; cases: CaseAttributes[] }> {
  const rows = await sql<{
    policies: Array<Omit<Row<'sla_policies'>, 'created_at' | 'updated_at'> & { created_at: string; updated_at: string }>
    id: string | null
    contact_id: string
    status: string
    priority: string
    channel: string
    inbox_id: string
    category_id: string | null
    team_id: string | null
    assignee_id: string | null
    created_at: Date
    tags: string[]
  }>`
    WITH p AS (
      SELECT coalesce(json_agg(x ORDER BY x.position, x.created_at, x.id), '[]'::json) AS policies, count(*) AS n
        FROM (SELECT * FROM sla_policies WHERE workspace_id = ${workspaceId} AND active ORDER BY position, created_at, id LIMIT 1000) x
    )
    SELECT p.policies, c.*
      FROM p LEFT JOIN LATERAL (
        SELECT c.id, c.contact_id, c.status, c.priority, c.channel, c.inbox_id, c.category_id, c.team_id, c.assignee_id, c.created_at,
               coalesce((SELECT array_agg(lower(t.tag)) FROM conversation_tags t WHERE t.workspace_id = c.workspace_id AND t.conversation_id = c.id), '{}') AS tags
          FROM conversations c
         WHERE c.workspace_id = ${workspaceId} AND c.id = ANY(${sql.val(conversationIds)}::uuid[])
           AND (p.n > 0 OR EXISTS (SELECT 1 FROM conversation_slas s WHERE s.workspace_id = c.workspace_id AND s.conversation_id = c.id))
      ) c ON true`.execute(trx)
  const policies = (rows.rows[0]?.policies ?? []).map((r) => toPolicy({ ...r, created_at: new Date(r.created_at), updated_at: new Date(r.updated_at) }))
  const cases = rows.rows.flatMap((c) =>
    c.id === null
      ? []
      : [{ id: c.id, contactId: c.contact_id, status: c.status, priority: c.priority, channel: c.channel, inboxId: c.inbox_id, categoryId: c.category_id, teamId: c.team_id, assigneeId: c.assignee_id, tags: c.tags, createdAt: c.created_at }],
  )
  return { policies, cases }
}

// ---------------------------------------------------------------------------
// Conversation clocks
// ---------------------------------------------------------------------------

/** A fact as stored: the event it came from, so a repeated event adds nothing. */
export interface StoredFact {
  eventId: string
  at: string
  type: Fact['type']
  status?: string
}

export const toFacts = (stored: StoredFact[]): Fact[] =>
  stored.map((f) => (f.type === 'status' ? { at: new Date(f.at), type: 'status', status: f.status as never } : { at: new Date(f.at), type: f.type }) as Fact)

/**
 * The conversation's SLA row, locked for the rest of the transaction; created
 * (empty) when missing. One statement: the conflict's no-op update locks the
 * existing row as `FOR UPDATE` would and returns it (`xmax = 0`: inserted now).
 */
export async function lockClockRow(trx: Tx, workspaceId: string, conversationId: string): Promise<{ row: Row<'conversation_slas'>; created: boolean }> {
  const { created, ...row } = await trx
    .insertInto('conversation_slas')
    .values({ workspace_id: workspaceId, conversation_id: conversationId })
    .onConflict((oc) => oc.column('conversation_id').doUpdateSet({ conversation_id: (eb) => eb.ref('excluded.conversation_id') }))
    .returningAll()
    .returning(sql<boolean>`xmax = 0`.as('created'))
    .executeTakeFirstOrThrow()
  return { row, created }
}

export async function findClockRow(trx: Tx, workspaceId: string, conversationId: string) {
  return trx.selectFrom('conversation_slas').selectAll().where('workspace_id', '=', workspaceId).where('conversation_id', '=', conversationId).executeTakeFirst()
}

export interface ClockRowUpdate {
  policyId: string | null
  facts: StoredFact[]
  evaluation: Record<string, unknown> | null
  firstResponseDueAt: Date | null
  nextResponseDueAt: Date | null
  resolutionDueAt: Date | null
  breached: boolean
  active: boolean
  nextCheckAt: Date | null
  evaluatedAt: Date
}

/** Saves an evaluation; returns the next breach time it stored (the earliest due time, null when no clock runs). */
export async function saveClockRow(trx: Tx, workspaceId: string, conversationId: string, u: ClockRowUpdate): Promise<Date | null> {
  const dues = [u.firstResponseDueAt, u.nextResponseDueAt, u.resolutionDueAt].filter((d): d is Date => d !== null)
  const nextBreach = dues.length ? new Date(Math.min(...dues.map((d) => d.getTime()))) : null
  await trx
    .updateTable('conversation_slas')
    .set({
      policy_id: u.policyId,
      facts: JSON.stringify(u.facts),
      evaluation: u.evaluation === null ? null : JSON.stringify(u.evaluation),
      first_response_due_at: u.firstResponseDueAt,
      next_response_due_at: u.nextResponseDueAt,
      resolution_due_at: u.resolutionDueAt,
      next_breach_at: nextBreach,
      breached: u.breached,
      active: u.active,
      next_check_at: u.nextCheckAt,
      evaluated_at: u.evaluatedAt,
      updated_at: sql`now()`,
    })
    .where('workspace_id', '=', workspaceId)
    .where('conversation_id', '=', conversationId)
    .execute()
  return nextBreach
}

/** Stores explanation entries not stored yet; returns the keys that were new. */
export async function storeEntries(trx: Tx, workspaceId: string, conversationId: string, policyId: string | null, entries: ExplanationEntry[]): Promise<Set<string>> {
  if (!entries.length) return new Set()
  const fresh = new Set<string>()
  for (let i = 0; i < entries.length; i += 200) {
    const rows = await trx
      .insertInto('sla_clock_events')
      .values(
        entries.slice(i, i + 200).map((e) => ({
          workspace_id: workspaceId,
          conversation_id: conversationId,
          key: e.key,
          clock: e.clock,
          cycle: e.cycle,
          kind: e.kind,
          percent: e.percent,
          at: e.at,
          policy_id: policyId,
          text: e.text,
        })),
      )
      .onConflict((oc) => oc.columns(['workspace_id', 'conversation_id', 'key']).doNothing())
      .returning('key')
      .execute()
    for (const r of rows) fresh.add(r.key)
  }
  return fresh
}

export async function storedEntries(trx: Tx, workspaceId: string, conversationId: string) {
  return trx.selectFrom('sla_clock_events').selectAll().where('workspace_id', '=', workspaceId).where('conversation_id', '=', conversationId).orderBy('at').orderBy('id').limit(5000).execute()
}

/** The stored evaluations of several conversations (for their JSON's `sla` field). */
export async function summariesOf(trx: Tx, workspaceId: string, conversationIds: string[]) {
  if (!conversationIds.length) return []
  return trx
    .selectFrom('conversation_slas')
    .select(['conversation_id', 'policy_id', 'evaluation', 'first_response_due_at', 'next_response_due_at', 'resolution_due_at', 'breached'])
    .where('workspace_id', '=', workspaceId)
    .where('conversation_id', 'in', conversationIds)
    .execute()
}

/** Conversations of a workspace whose clocks may still change, in id order after `after`. */
export async function activeConversationIds(trx: Tx, workspaceId: string, after: string | null, limit: number): Promise<string[]> {
  let q = trx.selectFrom('conversation_slas').select('conversation_id').where('workspace_id', '=', workspaceId).where('active', '=', true)
  if (after) q = q.where('conversation_id', '>', after)
  const rows = await q.orderBy('conversation_id').limit(limit).execute()
  return rows.map((r) => r.conversation_id)
}

/** Every workspace's conversations with a check due by `now` (owner connection: the start-up sweep). */
export async function dueChecks(db: Db, now: Date, limit: number): Promise<Array<{ workspaceId: string; conversationId: string }>> {
  const rows = await db
    .selectFrom('conversation_slas')
    .select(['workspace_id', 'conversation_id'])
    .where('next_check_at', '<=', now)
    .orderBy('next_check_at')
    .limit(limit)
    .execute()
  return rows.map((r) => ({ workspaceId: r.workspace_id, conversationId: r.conversation_id }))
}

// ---------------------------------------------------------------------------
// History, as facts
// ---------------------------------------------------------------------------

export const factEventTypes = ['conversation.created', 'conversation.status-changed', 'message.received', 'message.created'] as const

/**
 * Maps an event to the SLA fact it is, if any. A fact's id names what it is
 * about (`conversation`, `message:<id>`, `event:<id>`), so a fact rebuilt from
 * the tables and the same fact seen as an event are one.
 */
export function factOf(e: { id: string; type: string; payload: Record<string, unknown> }, at: Date): StoredFact | null {
  const iso = at.toISOString()
  const messageId = typeof e.payload.messageId === 'string' ? e.payload.messageId : String(e.id)
  switch (e.type) {
    case 'conversation.created':
      return { eventId: 'conversation', at: iso, type: 'received' }
    case 'message.received':
      return { eventId: `message:${messageId}`, at: iso, type: 'customer_message' }
    case 'message.created':
      return e.payload.direction === 'outbound' ? { eventId: `message:${messageId}`, at: iso, type: 'agent_reply' } : null
    case 'conversation.status-changed':
      return typeof e.payload.to === 'string' ? { eventId: `event:${e.id}`, at: iso, type: 'status', status: e.payload.to } : null
    default:
      return null
  }
}

/**
 * Conversations' SLA facts rebuilt from their rows: created_at, inbound and
 * outbound messages, and status changes from the outbox (a timeline event
 * type, never pruned). Used for conversations older than this module and for
 * the "what if" over history.
 */
export async function historyFacts(trx: Tx, workspaceId: string, conversationIds: string[]): Promise<Map<string, StoredFact[]>> {
  const out = new Map<string, Array<StoredFact & { seq: number }>>()
  if (!conversationIds.length) return new Map()
  const push = (id: string, f: StoredFact, seq: number) => out.set(id, [...(out.get(id) ?? []), { ...f, seq }])
  const convs = await trx.selectFrom('conversations').select(['id', 'created_at']).where('workspace_id', '=', workspaceId).where('id', 'in', conversationIds).execute()
  for (const c of convs) push(c.id, { eventId: 'conversation', at: c.created_at.toISOString(), type: 'received' }, 0)
  const msgs = await trx
    .selectFrom('messages')
    .select(['id', 'conversation_id', 'direction', 'created_at'])
    .where('workspace_id', '=', workspaceId)
    .where('conversation_id', 'in', conversationIds)
    .where('direction', 'in', ['inbound', 'outbound'])
    .execute()
  for (const m of msgs)
    push(m.conversation_id, { eventId: `message:${m.id}`, at: m.created_at.toISOString(), type: m.direction === 'inbound' ? 'customer_message' : 'agent_reply' }, 2)
  const changes = await trx
    .selectFrom('events')
    .select(['id', 'type', 'payload', 'created_at', 'conversation_id'])
    .where('workspace_id', '=', workspaceId)
    .where('conversation_id', 'in', conversationIds)
    .where('type', '=', 'conversation.status-changed')
    .execute()
  for (const e of changes) {
    const f = factOf({ id: e.id, type: e.type, payload: e.payload }, e.created_at)
    // In one transaction a status change is written before the message that caused it.
    if (f && e.conversation_id) push(e.conversation_id, f, 1)
  }
  const sorted = new Map<string, StoredFact[]>()
  for (const [id, list] of out)
    sorted.set(id, list.sort((a, b) => a.at.localeCompare(b.at) || a.seq - b.seq).map(({ seq: _seq, ...f }) => f))
  return sorted
}

/** Conversations created since `since`, oldest first (the "what if" sample). */
export async function conversationsSince(trx: Tx, workspaceId: string, since: Date, limit: number) {
  return trx
    .selectFrom('conversations')
    .select(['id', 'status', 'priority', 'channel', 'inbox_id', 'category_id', 'created_at'])
    .where('workspace_id', '=', workspaceId)
    .where('created_at', '>=', since)
    .orderBy('created_at')
    .limit(limit)
    .execute()
}

export async function tagsOfMany(trx: Tx, workspaceId: string, ids: string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>()
  if (!ids.length) return out
  const rows = await trx.selectFrom('conversation_tags').select(['conversation_id', 'tag']).where('workspace_id', '=', workspaceId).where('conversation_id', 'in', ids).execute()
  for (const r of rows) out.set(r.conversation_id, [...(out.get(r.conversation_id) ?? []), r.tag.toLowerCase()])
  return out
}

/** Cases that are not solved or closed, in id order after `after` (re-matching after a policy or calendar change). */
export async function openConversationIds(trx: Tx, workspaceId: string, after: string | null, limit: number): Promise<string[]> {
  let q = trx.selectFrom('conversations').select('id').where('workspace_id', '=', workspaceId).where('status', 'not in', ['solved', 'closed'])
  if (after) q = q.where('id', '>', after)
  const rows = await q.orderBy('id').limit(limit).execute()
  return rows.map((r) => r.id)
}

/**
 * When each conversation's earliest running clock falls due (null: none
 * running) — for other modules ordering work by time to breach (routing).
 */
export async function nextBreachAt(trx: Tx, workspaceId: string, conversationIds: string[]): Promise<Map<string, Date | null>> {
  const out = new Map<string, Date | null>()
  if (!conversationIds.length) return out
  const rows = await trx
    .selectFrom('conversation_slas')
    .select(['conversation_id', 'next_breach_at'])
    .where('workspace_id', '=', workspaceId)
    .where('conversation_id', 'in', conversationIds)
    .execute()
  for (const r of rows) out.set(r.conversation_id, r.next_breach_at)
  return out
}
