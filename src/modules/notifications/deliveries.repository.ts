import { sql } from 'kysely'
import type { Tx } from '../../platform/db/tenant.ts'
import type { Db } from '../../platform/db/database.ts'
import type { Row } from '../../platform/db/schema.ts'

/** SQL for notification_deliveries: one row per notification sent by email, with what became of it. */

export type DeliveryStatus = 'queued' | 'sent' | 'failed' | 'not_sent'

/** Inserts the notification's email delivery once; undefined when it already existed. */
export function insertDelivery(trx: Tx, ws: string, notificationId: string, recipient: string | null) {
  return trx
    .insertInto('notification_deliveries')
    .values({ workspace_id: ws, notification_id: notificationId, channel: 'email', recipient, status: 'queued' })
    .onConflict((oc) => oc.columns(['workspace_id', 'notification_id', 'channel']).doNothing())
    .returningAll()
    .executeTakeFirst()
}

export function findDelivery(trx: Tx, ws: string, id: string, opts: { forUpdate?: boolean } = {}) {
  let q = trx.selectFrom('notification_deliveries').selectAll().where('workspace_id', '=', ws).where('id', '=', id)
  if (opts.forUpdate) q = q.forUpdate()
  return q.executeTakeFirst()
}

export async function settleDelivery(trx: Tx, ws: string, id: string, set: { status: DeliveryStatus; detail: string | null; providerMessageId?: string | null; attempted?: boolean }) {
  await trx
    .updateTable('notification_deliveries')
    .set({
      status: set.status,
      detail: set.detail,
      ...(set.providerMessageId !== undefined && { provider_message_id: set.providerMessageId }),
      ...(set.attempted && { attempts: sql<number>`attempts + 1` }),
      updated_at: sql<Date>`now()`,
    })
    .where('workspace_id', '=', ws)
    .where('id', '=', id)
    .execute()
}

/** Deliveries still queued (of any workspace): re-enqueued at start, when their job may never have been sent. */
export function queuedDeliveries(db: Db, limit: number): Promise<Array<Pick<Row<'notification_deliveries'>, 'id' | 'workspace_id'>>> {
  return db.selectFrom('notification_deliveries').select(['id', 'workspace_id']).where('status', '=', 'queued').orderBy('created_at').limit(limit).execute()
}

/** The email deliveries of some notifications, by notification id. */
export async function deliveriesOf(trx: Tx, ws: string, notificationIds: string[]): Promise<Map<string, Row<'notification_deliveries'>>> {
  if (!notificationIds.length) return new Map()
  const rows = await trx.selectFrom('notification_deliveries').selectAll().where('workspace_id', '=', ws).where('notification_id', 'in', notificationIds).execute()
  return new Map(rows.map((r) => [r.notification_id, r]))
}

/**
 * What an email about a notification needs: the recipient, the case, and the
 * email inbox it goes out through — the case's own inbox when it is an email
 * inbox, else the workspace's oldest active email inbox.
 */
export async function emailContext(trx: Tx, ws: string, notificationId: string) {
  const n = await trx
    .selectFrom('notifications as n')
    .innerJoin('users as u', (j) => j.onRef('u.workspace_id', '=', 'n.workspace_id').onRef('u.id', '=', 'n.user_id'))
    .leftJoin('conversations as c', (j) => j.onRef('c.workspace_id', '=', 'n.workspace_id').onRef('c.id', '=', 'n.conversation_id'))
    .select(['n.id', 'n.text', 'n.kind', 'n.conversation_id', 'u.email', 'u.name', 'u.active', 'c.number', 'c.subject', 'c.inbox_id'])
    .where('n.workspace_id', '=', ws)
    .where('n.id', '=', notificationId)
    .executeTakeFirst()
  if (!n) return undefined
  const inbox = await trx
    .selectFrom('inboxes')
    .select(['id', 'config', 'secrets'])
    .where('workspace_id', '=', ws)
    .where('channel', '=', 'email')
    .where('active', '=', true)
    .orderBy(sql`id = ${n.inbox_id ?? null}::uuid`, 'desc')
    .orderBy('created_at')
    .limit(1)
    .executeTakeFirst()
  return { notification: n, inbox }
}
