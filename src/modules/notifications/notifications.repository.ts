import { sql } from 'kysely'
import type { Tx } from '../../platform/db/tenant.ts'
import type { Row } from '../../platform/db/schema.ts'

/** Active users named by mention: by email, or by handle (the email's local part) when only one user has it. */
export async function usersMentioned(trx: Tx, workspaceId: string, m: { emails: string[]; handles: string[] }): Promise<Array<{ id: string; name: string }>> {
  if (m.emails.length === 0 && m.handles.length === 0) return []
  const handle = sql<string>`lower(split_part(email, '@', 1))`
  const rows = await trx
    .selectFrom('users')
    .select(['id', 'name', 'email'])
    .select(handle.as('handle'))
    .where('workspace_id', '=', workspaceId)
    .where('active', '=', true)
    .where((eb) => {
      const ors = []
      if (m.emails.length) ors.push(eb(sql<string>`lower(email)`, 'in', m.emails))
      if (m.handles.length) ors.push(eb(handle, 'in', m.handles))
      return eb.or(ors)
    })
    .execute()
  const byHandle = new Map<string, number>()
  for (const r of rows) byHandle.set(r.handle, (byHandle.get(r.handle) ?? 0) + 1)
  return rows
    .filter((r) => m.emails.includes(r.email.toLowerCase()) || (m.handles.includes(r.handle) && byHandle.get(r.handle) === 1))
    .map((r) => ({ id: r.id, name: r.name }))
}

export function findUserName(trx: Tx, workspaceId: string, id: string) {
  return trx.selectFrom('users').select(['name', 'active', 'email']).where('workspace_id', '=', workspaceId).where('id', '=', id).executeTakeFirst()
}

export function findMessage(trx: Tx, workspaceId: string, id: string) {
  return trx.selectFrom('messages').select(['id', 'text', 'author_id', 'direction', 'conversation_id']).where('workspace_id', '=', workspaceId).where('id', '=', id).executeTakeFirst()
}

export function findConversationTitle(trx: Tx, workspaceId: string, id: string) {
  return trx.selectFrom('conversations').select(['number', 'subject']).where('workspace_id', '=', workspaceId).where('id', '=', id).executeTakeFirst()
}

/** Inserts once per (event, user, kind): a listener run twice adds nothing. Undefined when it already existed. */
export function insertNotification(
  trx: Tx,
  workspaceId: string,
  n: { userId: string; kind: string; conversationId: string | null; messageId: string | null; actorId: string | null; actorLabel: string | null; text: string; sourceEventId: string },
) {
  return trx
    .insertInto('notifications')
    .values({
      workspace_id: workspaceId,
      user_id: n.userId,
      kind: n.kind,
      conversation_id: n.conversationId,
      message_id: n.messageId,
      actor_id: n.actorId,
      actor_label: n.actorLabel,
      text: n.text,
      source_event_id: n.sourceEventId,
    })
    .onConflict((oc) => oc.columns(['workspace_id', 'source_event_id', 'user_id', 'kind']).doNothing())
    .returningAll()
    .executeTakeFirst()
}

export type NotificationListRow = Row<'notifications'> & { cursor_at: string }

/** Newest first. */
export function listNotifications(trx: Tx, workspaceId: string, userId: string, opts: { limit: number; unread: boolean; after: [string, string] | null }): Promise<NotificationListRow[]> {
  let q = trx
    .selectFrom('notifications')
    .selectAll()
    .select(sql<string>`to_char(notifications.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`.as('cursor_at'))
    .where('workspace_id', '=', workspaceId)
    .where('user_id', '=', userId)
  if (opts.unread) q = q.where('read_at', 'is', null)
  if (opts.after) {
    const [at, id] = opts.after
    q = q.where(sql<boolean>`(created_at, id) < (${at}::timestamptz, ${id}::uuid)`)
  }
  return q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(opts.limit + 1).execute()
}

export async function unreadCount(trx: Tx, workspaceId: string, userId: string): Promise<number> {
  const r = await trx
    .selectFrom('notifications')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('workspace_id', '=', workspaceId)
    .where('user_id', '=', userId)
    .where('read_at', 'is', null)
    .executeTakeFirstOrThrow()
  return Number(r.n)
}

export function markRead(trx: Tx, workspaceId: string, userId: string, id: string | null) {
  let q = trx
    .updateTable('notifications')
    .set({ read_at: sql<Date>`coalesce(read_at, now())` })
    .where('workspace_id', '=', workspaceId)
    .where('user_id', '=', userId)
  q = id ? q.where('id', '=', id) : q.where('read_at', 'is', null)
  return q.returningAll().execute()
}

export function findNotification(trx: Tx, workspaceId: string, userId: string, id: string) {
  return trx.selectFrom('notifications').selectAll().where('workspace_id', '=', workspaceId).where('user_id', '=', userId).where('id', '=', id).executeTakeFirst()
}
