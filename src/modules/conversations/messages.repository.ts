import { type InsertObject, type RawBuilder, sql } from 'kysely'
import type { Tx } from '../../platform/db/tenant.ts'
import type { DB, NewRow, Row } from '../../platform/db/schema.ts'
import type { ContinuitySearch } from './continuity.ts'
import { type ConversationSet, drawNumber, MESSAGE_COLUMNS, prefixedMessageColumns, preciseTs, splitRow } from './conversations.repository.ts'
import { INLINE_PICTURE_MAX_BYTES } from './inline-images.ts'
import { type Attachment, toAttachment } from './messages.types.ts'

export function insertMessage(trx: Tx, workspaceId: string, values: Omit<NewRow<'messages'>, 'workspace_id'>) {
  return trx
    .insertInto('messages')
    .values({ ...values, workspace_id: workspaceId })
    .returningAll()
    .executeTakeFirstOrThrow()
}

const defined = (values: Record<string, unknown>) => Object.entries(values).filter(([, v]) => v !== undefined)

/**
 * A message appended to a conversation and the conversation's update
 * (`patch`, and `updated_at` = `now`) in ONE statement, instead of an insert
 * and an update: the caller holds the conversation's row lock already
 * (loaded FOR UPDATE), so no lock is taken here that was not held.
 */
export async function insertMessageUpdatingConversation(
  trx: Tx,
  workspaceId: string,
  conversationId: string,
  message: Omit<NewRow<'messages'>, 'workspace_id' | 'conversation_id'>,
  patch: ConversationSet,
  now: RawBuilder<Date>,
): Promise<{ conversation: Row<'conversations'>; message: Row<'messages'> }> {
  const m = defined(message)
  const set = defined({ ...patch, updated_at: now })
  const { rows } = await sql<Record<string, unknown>>`
    with m as (
      insert into messages (workspace_id, conversation_id, ${sql.join(m.map(([k]) => sql.ref(k)))})
      values (${workspaceId}, ${conversationId}, ${sql.join(m.map(([, v]) => sql`${v}`))})
      returning *
    ),
    c as (
      update conversations set ${sql.join(set.map(([k, v]) => sql`${sql.ref(k)} = ${v}`))}
      where workspace_id = ${workspaceId} and id = ${conversationId}
      returning *
    )
    select c.*, ${prefixedMessageColumns()} from c, m`.execute(trx)
  const row = rows[0]
  if (!row) throw new Error(`conversation ${conversationId} of workspace ${workspaceId} vanished while a message was appended`)
  return splitRow(row)
}

/**
 * A threadless message under the continuity rule, in ONE statement: the
 * contact's case it continues (`search`, locked FOR UPDATE) if there is one;
 * otherwise a new conversation with the next per-workspace number and the
 * message, as conversations.repository.ts insertNumberedConversationWithMessage
 * does. The lookup replaced a statement of its own before the insert; the
 * locks come in the same order as then (the case's row, and only when none is
 * found the workspace's number counter, drawNumber, the LAST lock:
 * docs/architecture.md, "Lock order").
 * `continued`: the case found (nothing written; the caller appends to it);
 * null when the inbox does not exist (nothing written, no lock taken).
 */
export async function openUnlessContinuable(
  trx: Tx,
  workspaceId: string,
  inboxId: string,
  contactId: string,
  search: ContinuitySearch,
  conversation: Omit<InsertObject<DB, 'conversations'>, 'workspace_id' | 'number' | 'inbox_id' | 'channel'>,
  message: Omit<InsertObject<DB, 'messages'>, 'workspace_id' | 'conversation_id' | 'inbox_id' | 'channel'>,
): Promise<{ continued: Row<'conversations'> } | { opened: { conversation: Row<'conversations'>; message: Row<'messages'> } } | null> {
  const c = defined(conversation)
  const m = defined(message)
  const channel = search.channel !== undefined ? sql`and channel = ${search.channel}` : search.notChannel !== undefined ? sql`and channel <> ${search.notChannel}` : sql``
  const { rows } = await sql<Record<string, unknown>>`
    with k as (
      select * from conversations
      where workspace_id = ${workspaceId} and contact_id = ${contactId} and status not in ('solved', 'closed')
        and coalesce(last_message_at, created_at) >= now() - make_interval(days => ${search.windowDays}::int) ${channel}
      order by coalesce(last_message_at, created_at) desc, id desc
      limit 1
      for update
    ),
    i as (select id, channel from inboxes where workspace_id = ${workspaceId} and id = ${inboxId} and not exists (select 1 from k)),
    n as (${drawNumber(workspaceId, sql`exists (select 1 from i)`)}),
    c as (
      insert into conversations (workspace_id, number, inbox_id, channel, ${sql.join(c.map(([k]) => sql.ref(k)))})
      select ${workspaceId}, n.seq, i.id, i.channel, ${sql.join(c.map(([, v]) => sql`${v}`))} from n, i
      returning *
    ),
    m as (
      insert into messages (workspace_id, conversation_id, inbox_id, channel, ${sql.join(m.map(([k]) => sql.ref(k)))})
      select ${workspaceId}, c.id, c.inbox_id, c.channel, ${sql.join(m.map(([, v]) => sql`${v}`))} from c
      returning *
    )
    select c.*, ${prefixedMessageColumns()}, false as continuity__found from c, m
    union all
    select k.*, ${sql.join(MESSAGE_COLUMNS.map((k) => sql`null::${sql.raw(MESSAGE_COLUMN_TYPES[k])} as ${sql.id(`message__${k}`)}`))}, true from k`.execute(trx)
  const row = rows[0]
  if (!row) return null
  const found = row.continuity__found === true
  delete row.continuity__found
  if (found) return { continued: splitRow(row).conversation }
  return { opened: splitRow(row) }
}

/** SQL types of the message columns, for the NULLs that stand in for them beside a continued case. */
const MESSAGE_COLUMN_TYPES: Record<(typeof MESSAGE_COLUMNS)[number], string> = {
  id: 'uuid',
  workspace_id: 'uuid',
  conversation_id: 'uuid',
  inbox_id: 'uuid',
  direction: 'text',
  channel: 'text',
  author_type: 'text',
  author_id: 'uuid',
  text: 'text',
  html: 'text',
  provider_message_id: 'text',
  delivery_status: 'text',
  delivery_error: 'text',
  metadata: 'jsonb',
  created_at: 'timestamptz',
}

export function findMessage(trx: Tx, workspaceId: string, conversationId: string, id: string) {
  return trx
    .selectFrom('messages')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('conversation_id', '=', conversationId)
    .where('id', '=', id)
    .executeTakeFirst()
}

export function findMessageByProviderId(trx: Tx, workspaceId: string, inboxId: string, providerMessageId: string) {
  return trx
    .selectFrom('messages')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('inbox_id', '=', inboxId)
    .where('provider_message_id', '=', providerMessageId)
    .executeTakeFirst()
}

/** The inbox of the latest inbound or outbound message on that channel, if any. */
export async function lastInboxOnChannel(trx: Tx, workspaceId: string, conversationId: string, channel: string): Promise<string | null> {
  const r = await trx
    .selectFrom('messages')
    .select('inbox_id')
    .where('workspace_id', '=', workspaceId)
    .where('conversation_id', '=', conversationId)
    .where('channel', '=', channel)
    .where('direction', '!=', 'note')
    .where('inbox_id', 'is not', null)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst()
  return r?.inbox_id ?? null
}

/** The inbox the contact last wrote to on that channel, in any of their conversations. */
export async function lastInboundInboxOfContact(trx: Tx, workspaceId: string, contactId: string, channel: string): Promise<string | null> {
  const r = await trx
    .selectFrom('messages as m')
    .innerJoin('conversations as c', (j) => j.onRef('c.id', '=', 'm.conversation_id').onRef('c.workspace_id', '=', 'm.workspace_id'))
    .select('m.inbox_id')
    .where('m.workspace_id', '=', workspaceId)
    .where('c.contact_id', '=', contactId)
    .where('m.channel', '=', channel)
    .where('m.direction', '=', 'inbound')
    .where('m.inbox_id', 'is not', null)
    .orderBy('m.created_at', 'desc')
    .orderBy('m.id', 'desc')
    .limit(1)
    .executeTakeFirst()
  return r?.inbox_id ?? null
}

/**
 * Serialises ingestion of one provider message id until commit, so two
 * deliveries of the same message racing each other resolve to one row (the
 * second sees the first) instead of one failing on the unique index.
 */
export async function lockProviderMessageId(trx: Tx, workspaceId: string, inboxId: string, providerMessageId: string): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtextextended(${providerMessageLockKey(workspaceId, inboxId, providerMessageId)}, 0))`.execute(trx)
}

/**
 * The advisory lock key (`pg_advisory_xact_lock(hashtextextended(key, 0))`)
 * that serialises the intake of one provider message id in one inbox. A
 * channel that takes it itself, with its other first-rank locks, then checks
 * for the message, tells the intake so (InboundMessage.providerMessageIdChecked).
 */
export function providerMessageLockKey(workspaceId: string, inboxId: string, providerMessageId: string): string {
  return `message:${workspaceId}:${inboxId}:${providerMessageId}`
}

/**
 * A position in an ascending (created_at, id) stream: with `id`, strictly after
 * that row; without, every row at `at` or later (`inclusive`) or strictly later.
 */
export interface After {
  at: string
  id?: string | undefined
  inclusive?: boolean
}

/** `(created_at, id) > after` as SQL; row comparison keeps the (…, created_at, id) index usable. */
const afterFilter = (after: After, idType: 'uuid' | 'bigint') => {
  const at = sql`${after.at}::timestamptz`
  if (after.id === undefined) return after.inclusive ? sql<boolean>`created_at >= ${at}` : sql<boolean>`created_at > ${at}`
  return sql<boolean>`(created_at, id) > (${at}, ${after.id}::${sql.raw(idType)})`
}

export type MessageListRow = Row<'messages'> & { cursor_at: string }

/** Oldest first: (created_at, id) ascending. */
export function listMessages(trx: Tx, workspaceId: string, conversationId: string, opts: { limit: number; after: After | null }): Promise<MessageListRow[]> {
  let q = trx
    .selectFrom('messages')
    .selectAll()
    .select(preciseTs('messages.created_at').as('cursor_at'))
    .where('workspace_id', '=', workspaceId)
    .where('conversation_id', '=', conversationId)
  if (opts.after) q = q.where(afterFilter(opts.after, 'uuid'))
  return q.orderBy('created_at').orderBy('id').limit(opts.limit + 1).execute()
}

export function updateDelivery(
  trx: Tx,
  workspaceId: string,
  id: string,
  patch: { delivery_status: string; delivery_error: string | null; provider_message_id?: string | null },
) {
  return trx.updateTable('messages').set(patch).where('workspace_id', '=', workspaceId).where('id', '=', id).returningAll().executeTakeFirstOrThrow()
}

// Attachments

export async function insertAttachments(
  trx: Tx,
  workspaceId: string,
  messageId: string,
  files: Array<{ filename: string; contentType: string; size: number; blobKey: string; contentId?: string | null | undefined; inline?: boolean | undefined }>,
): Promise<Attachment[]> {
  if (files.length === 0) return []
  const rows = await trx
    .insertInto('attachments')
    .values(
      files.map((f) => ({
        workspace_id: workspaceId,
        message_id: messageId,
        filename: f.filename,
        content_type: f.contentType,
        size: f.size,
        blob_key: f.blobKey,
        content_id: f.contentId ?? null,
        inline: f.inline ?? false,
      })),
    )
    .returningAll()
    .execute()
  return rows.map(toAttachment)
}

export async function attachmentsOf(trx: Tx, workspaceId: string, messageIds: string[]): Promise<Map<string, Attachment[]>> {
  const map = new Map<string, Attachment[]>(messageIds.map((id) => [id, []]))
  if (messageIds.length === 0) return map
  const rows = await trx
    .selectFrom('attachments')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('message_id', 'in', messageIds)
    .orderBy('created_at')
    .orderBy('id')
    .execute()
  for (const r of rows) map.get(r.message_id)?.push(toAttachment(r))
  return map
}

/** A message's parts with one of these Content-IDs (exactly or ignoring case), small enough to show inline. */
export async function inlineAttachments(trx: Tx, workspaceId: string, messageId: string, contentIds: string[]) {
  const rows = await trx
    .selectFrom('attachments')
    .select(['content_id', 'content_type', 'blob_key', 'size'])
    .where('workspace_id', '=', workspaceId)
    .where('message_id', '=', messageId)
    .where(sql<string>`lower(content_id)`, 'in', contentIds.map((c) => c.toLowerCase()))
    .where(sql<number>`size`, '<=', INLINE_PICTURE_MAX_BYTES)
    .orderBy('created_at')
    .orderBy('id')
    .execute()
  return rows.filter((r): r is typeof r & { content_id: string } => r.content_id !== null)
}

/** An attachment, only if it belongs to that message of that conversation. */
export function findAttachment(trx: Tx, workspaceId: string, conversationId: string, messageId: string, id: string) {
  return trx
    .selectFrom('attachments as a')
    .innerJoin('messages as m', (j) => j.onRef('m.id', '=', 'a.message_id').onRef('m.workspace_id', '=', 'a.workspace_id'))
    .selectAll('a')
    .where('a.workspace_id', '=', workspaceId)
    .where('m.conversation_id', '=', conversationId)
    .where('a.message_id', '=', messageId)
    .where('a.id', '=', id)
    .executeTakeFirst()
}

// Timeline events (the outbox rows of this conversation)

export type EventListRow = Row<'events'> & { cursor_at: string }

/** Conversation-scoped events of the given types, oldest first: (created_at, id) ascending. */
export function listConversationEvents(
  trx: Tx,
  workspaceId: string,
  conversationId: string,
  types: readonly string[],
  opts: { limit: number; after: After | null },
): Promise<EventListRow[]> {
  let q = trx
    .selectFrom('events')
    .selectAll()
    .select(preciseTs('events.created_at').as('cursor_at'))
    .where('workspace_id', '=', workspaceId)
    .where('conversation_id', '=', conversationId)
    .where('type', 'in', [...types])
  if (opts.after) q = q.where(afterFilter(opts.after, 'bigint'))
  return q.orderBy('created_at').orderBy('id').limit(opts.limit + 1).execute()
}
