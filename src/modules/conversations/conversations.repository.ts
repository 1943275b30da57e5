import { type InsertObject, type RawBuilder, sql, type UpdateObject } from 'kysely'
import type { Db } from '../../platform/db/database.ts'
import { preparedQuery } from '../../platform/db/prepared-query.ts'
import type { Tx } from '../../platform/db/tenant.ts'
import type { DB, Row } from '../../platform/db/schema.ts'
import type { ConversationFilters, ConversationSort } from './conversations.types.ts'

/**
 * A timestamp column as sortable UTC text with microseconds. Cursors carry
 * this, not a JS Date: a millisecond cursor would skip rows that differ from
 * the last row of a page by less than a millisecond.
 */
export const preciseTs = (column: string): RawBuilder<string> =>
  sql<string>`to_char(${sql.ref(column)} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`

/**
 * The next per-workspace conversation number, drawn by a data-modifying CTE
 * (`n`, answering `seq`): the workspace's row of `conversation_counters`
 * (migration 0020), inserted at 1 by the workspace's first conversation and
 * incremented after. Gapless: the counter row stays locked until commit, a
 * rolled-back transaction's number is drawn again. `when` guards the draw (a
 * condition on the statement's other CTEs).
 *
 * A row of its own, not the workspace row: every insert referencing
 * `workspaces` key-share locks that row (seven per create), and a new version of
 * it per create made each of those checks walk the dead versions (0020).
 */
export const drawNumber = (workspaceId: string, when: RawBuilder<unknown> = sql`true`) => sql`
  insert into conversation_counters as k (workspace_id, seq) select ${workspaceId}, 1 where ${when}
  on conflict (workspace_id) do update set seq = k.seq + 1
  returning seq`

/**
 * Inserts a conversation with the next per-workspace number, allocated in the
 * same statement (drawNumber). That locks the workspace's counter row until
 * commit, so it is the LAST lock a writing transaction takes (see
 * docs/architecture.md, "Lock order"): only the inserts after it (message,
 * tags, events, audit entry) run while it is held.
 */
export async function insertNumberedConversation(trx: Tx, workspaceId: string, values: Omit<InsertObject<DB, 'conversations'>, 'workspace_id' | 'number'>): Promise<Row<'conversations'>> {
  const c = assignments(values)
  const { rows } = await sql<Row<'conversations'>>`
    with n as (${drawNumber(workspaceId)})
    insert into conversations (workspace_id, number, ${c.columns})
    select ${workspaceId}, n.seq, ${c.values} from n
    returning *`.execute(trx)
  const row = rows[0]
  if (!row) throw new Error('no conversation number drawn')
  return row
}

/**
 * Every column of a message, in the order the combined statements (here and in messages.repository.ts)
 * return them prefixed `message__` beside a conversation's row (checked complete at compile time).
 */
export const MESSAGE_COLUMNS = [
  'id', 'workspace_id', 'conversation_id', 'inbox_id', 'direction', 'channel', 'author_type', 'author_id',
  'text', 'html', 'provider_message_id', 'delivery_status', 'delivery_error', 'metadata', 'created_at',
] as const satisfies ReadonlyArray<keyof DB['messages']>
type MissingMessageColumn = Exclude<keyof DB['messages'], (typeof MESSAGE_COLUMNS)[number]>
const allMessageColumns: [MissingMessageColumn] extends [never] ? true : MissingMessageColumn = true
void allMessageColumns

/** The message's columns of a combined statement's `m` CTE, prefixed `message__` (splitRow takes them apart). */
export const prefixedMessageColumns = () => sql.join(MESSAGE_COLUMNS.map((k) => sql`m.${sql.ref(k)} as ${sql.id(`message__${k}`)}`))

/** Splits a row of `c.*` and `message__`-prefixed message columns into the conversation and the message. */
export function splitRow(row: Record<string, unknown>): { conversation: Row<'conversations'>; message: Row<'messages'> } {
  const conv: Record<string, unknown> = {}
  const msg: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(row)) {
    if (k.startsWith('message__')) msg[k.slice('message__'.length)] = v
    else conv[k] = v
  }
  return { conversation: conv as Row<'conversations'>, message: msg as Row<'messages'> }
}

const assignments = (values: Record<string, unknown>) => {
  const entries = Object.entries(values).filter(([, v]) => v !== undefined)
  return { columns: sql.join(entries.map(([k]) => sql.ref(k))), values: sql.join(entries.map(([, v]) => sql`${v}`)) }
}

/**
 * A conversation and its first message in ONE statement: the inbox (by id, or
 * the workspace's default), the next per-workspace number (the workspace row
 * is the LAST lock, as in insertNumberedConversation), the conversation and
 * the message, which takes the conversation's inbox and channel. Null when
 * there is no such inbox: nothing was written and no lock taken (the number
 * is only drawn when the inbox exists).
 */
export async function insertNumberedConversationWithMessage(
  trx: Tx,
  workspaceId: string,
  inbox: { id: string } | 'default',
  conversation: Omit<InsertObject<DB, 'conversations'>, 'workspace_id' | 'number' | 'inbox_id' | 'channel'>,
  message: Omit<InsertObject<DB, 'messages'>, 'workspace_id' | 'conversation_id' | 'inbox_id' | 'channel'>,
): Promise<{ conversation: Row<'conversations'>; message: Row<'messages'> } | null> {
  const c = assignments(conversation)
  const m = assignments(message)
  const which = inbox === 'default' ? sql`is_default` : sql`id = ${inbox.id}`
  const { rows } = await sql<Record<string, unknown>>`
    with i as (select id, channel from inboxes where workspace_id = ${workspaceId} and ${which}),
    n as (${drawNumber(workspaceId, sql`exists (select 1 from i)`)}),
    c as (
      insert into conversations (workspace_id, number, inbox_id, channel, ${c.columns})
      select ${workspaceId}, n.seq, i.id, i.channel, ${c.values} from n, i
      returning *
    ),
    m as (
      insert into messages (workspace_id, conversation_id, inbox_id, channel, ${m.columns})
      select ${workspaceId}, c.id, c.inbox_id, c.channel, ${m.values} from c
      returning *
    )
    select c.*, ${prefixedMessageColumns()} from c, m`.execute(trx)
  const row = rows[0]
  return row ? splitRow(row) : null
}

/** `forUpdate` locks the row for the rest of the transaction (status changes, replies). */
export function findConversation(trx: Tx, workspaceId: string, id: string, opts: { forUpdate?: boolean } = {}) {
  let q = trx.selectFrom('conversations').selectAll().where('workspace_id', '=', workspaceId).where('id', '=', id)
  if (opts.forUpdate) q = q.forUpdate()
  return q.executeTakeFirst()
}

/**
 * The contact's most recently active case that a new message may continue
 * (the continuity rule): not solved or closed, with a message (or created)
 * within `windowDays`; `channel` keeps only cases currently on that channel,
 * `notChannel` only cases currently on another one. Locked FOR UPDATE: the
 * caller holds the contact's lock, so two messages of one contact at once
 * serialise here and the second sees the case the first opened.
 */
export async function findContinuableConversation(
  trx: Tx,
  workspaceId: string,
  contactId: string,
  opts: { windowDays: number; channel?: string | undefined; notChannel?: string | undefined },
): Promise<Row<'conversations'> | undefined> {
  // Every inbound message without a thread runs this: built and compiled once per shape (prepared-query.ts).
  const { rows } =
    opts.channel !== undefined
      ? await continuable.on(trx, workspaceId, contactId, opts.windowDays, opts.channel)
      : opts.notChannel !== undefined
        ? await continuable.notOn(trx, workspaceId, contactId, opts.windowDays, opts.notChannel)
        : await continuable.any(trx, workspaceId, contactId, opts.windowDays)
  return rows[0]
}

const continuableWhere = (db: Db, workspaceId: string, contactId: string, windowDays: number) =>
  db
    .selectFrom('conversations')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('contact_id', '=', contactId)
    .where('status', 'not in', ['solved', 'closed'])
    .where(sql<Date>`coalesce(last_message_at, created_at)`, '>=', sql<Date>`now() - make_interval(days => ${windowDays})`)
type ContinuableQuery = ReturnType<typeof continuableWhere>
const latestLocked = (q: ContinuableQuery) => q.orderBy(sql`coalesce(last_message_at, created_at)`, 'desc').orderBy('id', 'desc').limit(1).forUpdate()
const continuable = {
  any: preparedQuery((db, ws: string, contact: string, days: number) => latestLocked(continuableWhere(db, ws, contact, days))),
  on: preparedQuery((db, ws: string, contact: string, days: number, channel: string) => latestLocked(continuableWhere(db, ws, contact, days).where('channel', '=', channel))),
  notOn: preparedQuery((db, ws: string, contact: string, days: number, channel: string) => latestLocked(continuableWhere(db, ws, contact, days).where('channel', '!=', channel))),
}

/** Column values or SQL expressions (e.g. `now()`) to set on a conversation. */
export type ConversationSet = UpdateObject<DB, 'conversations', 'conversations'>

/** `now`: the time to record as updated_at (the actor's occurredAt for historical records). */
export function updateConversation(trx: Tx, workspaceId: string, id: string, patch: ConversationSet, now: RawBuilder<Date> = sql<Date>`now()`) {
  return trx
    .updateTable('conversations')
    .set({ ...patch, updated_at: now })
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow()
}

export type ConversationListRow = Row<'conversations'> & { cursor_k1: string; cursor_k2: string | null }

const tsText = (expr: RawBuilder<unknown>): RawBuilder<string> => sql<string>`to_char(${expr} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`
const priorityRank = sql<number>`(case conversations.priority when 'urgent' then 3 when 'high' then 2 when 'normal' then 1 else 0 end)`

interface SortKey {
  expr: RawBuilder<unknown>
  /** The key as cursor text. */
  text: RawBuilder<string>
  /** How cursor text is turned back into the key's type. */
  cast: (v: string) => RawBuilder<unknown>
}
const tsKey = (expr: RawBuilder<unknown>): SortKey => ({ expr, text: tsText(expr), cast: (v) => sql`${v}::timestamptz` })
const sortKeys: Record<ConversationSort, { dir: 'asc' | 'desc'; keys: [SortKey] | [SortKey, SortKey] }> = {
  recent: { dir: 'desc', keys: [tsKey(sql`conversations.updated_at`)] },
  newest: { dir: 'desc', keys: [tsKey(sql`conversations.created_at`)] },
  oldest: { dir: 'asc', keys: [tsKey(sql`conversations.created_at`)] },
  priority: { dir: 'desc', keys: [{ expr: priorityRank, text: sql<string>`${priorityRank}::text`, cast: (v) => sql`${v}::int` }, tsKey(sql`conversations.updated_at`)] },
  waiting: { dir: 'asc', keys: [tsKey(sql`coalesce(conversations.last_customer_message_at, conversations.created_at)`)] },
}

/**
 * One page in the given order (`recent` by default), keyset-paginated on the
 * sort keys then id, all in one direction so a row comparison resumes exactly
 * after the cursor. `after` is [k1, k2 or '', id].
 */
export function listConversations(
  trx: Tx,
  workspaceId: string,
  f: ConversationFilters,
  opts: { limit: number; after: [string, string, string] | null },
): Promise<ConversationListRow[]> {
  const order = sortKeys[f.sort ?? 'recent']
  const [k1, k2] = order.keys
  let q = trx
    .selectFrom('conversations')
    .selectAll()
    .select(k1.text.as('cursor_k1'))
    .select((k2 ? k2.text : sql<string | null>`null`).as('cursor_k2'))
    .where('workspace_id', '=', workspaceId)
  if (f.status) q = q.where('status', '=', f.status)
  if (f.priority) q = q.where('priority', '=', f.priority)
  if (f.channel) q = q.where('channel', '=', f.channel)
  if (f.inboxId) q = q.where('inbox_id', '=', f.inboxId)
  if (f.contactId) q = q.where('contact_id', '=', f.contactId)
  if (f.assigneeId === 'none') q = q.where('assignee_id', 'is', null)
  else if (f.assigneeId) q = q.where('assignee_id', '=', f.assigneeId)
  if (f.teamId === 'none') q = q.where('team_id', 'is', null)
  else if (f.teamId) q = q.where('team_id', '=', f.teamId)
  if (f.categoryId === 'none') q = q.where('category_id', 'is', null)
  else if (f.categoryId) q = q.where('category_id', '=', f.categoryId)
  if (f.tag) {
    const tag = f.tag
    q = q.where((eb) =>
      eb.exists(
        eb
          .selectFrom('conversation_tags as ct')
          .select('ct.tag')
          .where('ct.workspace_id', '=', workspaceId)
          .whereRef('ct.conversation_id', '=', 'conversations.id')
          .where(sql<string>`lower(ct.tag)`, '=', tag.trim().toLowerCase()),
      ),
    )
  }
  const cmp = order.dir === 'desc' ? sql.raw('<') : sql.raw('>')
  if (opts.after) {
    const [a1, a2, id] = opts.after
    const left = k2 ? sql`(${k1.expr}, ${k2.expr}, conversations.id)` : sql`(${k1.expr}, conversations.id)`
    const right = k2 ? sql`(${k1.cast(a1)}, ${k2.cast(a2)}, ${id}::uuid)` : sql`(${k1.cast(a1)}, ${id}::uuid)`
    q = q.where(sql<boolean>`${left} ${cmp} ${right}`)
  }
  const dir = sql.raw(order.dir)
  return q
    .orderBy(sql`${k1.expr} ${dir}`)
    .$if(k2 !== undefined, (qb) => qb.orderBy(sql`${(k2 as SortKey).expr} ${dir}`))
    .orderBy(sql`conversations.id ${dir}`)
    .limit(opts.limit + 1)
    .execute()
}

/** The latest message to or from the customer of each conversation (notes left out), its text cut to 160 characters. */
export async function lastMessagesOf(trx: Tx, workspaceId: string, conversationIds: string[]) {
  const map = new Map<string, { direction: 'inbound' | 'outbound'; text: string; at: string }>()
  if (conversationIds.length === 0) return map
  // One index scan per conversation (messages_conversation_idx, read backwards).
  const { rows } = await sql<{ conversation_id: string; direction: 'inbound' | 'outbound'; text: string; created_at: Date }>`
    select c.id as conversation_id, m.direction, left(m.text, 160) as text, m.created_at
    from unnest(${conversationIds}::uuid[]) as c(id)
    cross join lateral (
      select direction, text, created_at from messages
      where conversation_id = c.id and workspace_id = ${workspaceId} and direction <> 'note'
      order by created_at desc, id desc
      limit 1
    ) m`.execute(trx)
  for (const r of rows) map.set(r.conversation_id, { direction: r.direction, text: r.text, at: r.created_at.toISOString() })
  return map
}

// Tags

export async function tagsOf(trx: Tx, workspaceId: string, conversationIds: string[]): Promise<Map<string, string[]>> {
  const map = new Map<string, string[]>(conversationIds.map((id) => [id, []]))
  if (conversationIds.length === 0) return map
  const rows = await trx
    .selectFrom('conversation_tags')
    .select(['conversation_id', 'tag'])
    .where('workspace_id', '=', workspaceId)
    .where('conversation_id', 'in', conversationIds)
    .orderBy('tag')
    .execute()
  for (const r of rows) map.get(r.conversation_id)?.push(r.tag)
  return map
}

export async function addTags(trx: Tx, workspaceId: string, conversationId: string, tags: string[]): Promise<void> {
  if (tags.length === 0) return
  await trx
    .insertInto('conversation_tags')
    .values(tags.map((tag) => ({ workspace_id: workspaceId, conversation_id: conversationId, tag })))
    .onConflict((oc) => oc.doNothing())
    .execute()
}

/** Removes tags by name, case-insensitively; returns the names removed. */
export async function removeTags(trx: Tx, workspaceId: string, conversationId: string, tags: string[]): Promise<string[]> {
  if (tags.length === 0) return []
  const rows = await trx
    .deleteFrom('conversation_tags')
    .where('workspace_id', '=', workspaceId)
    .where('conversation_id', '=', conversationId)
    .where(sql<string>`lower(tag)`, 'in', tags.map((t) => t.trim().toLowerCase()))
    .returning('tag')
    .execute()
  return rows.map((r) => r.tag)
}

/** For channels inside their own transaction: the contact's latest conversation through this inbox that is not closed, if any. */
export async function latestOpenConversation(trx: Tx, workspaceId: string, inboxId: string, contactId: string): Promise<string | null> {
  const row = await trx
    .selectFrom('conversations')
    .select('id')
    .where('workspace_id', '=', workspaceId)
    .where('inbox_id', '=', inboxId)
    .where('contact_id', '=', contactId)
    .where('status', '!=', 'closed')
    .orderBy('created_at', 'desc')
    .limit(1)
    .executeTakeFirst()
  return row?.id ?? null
}
