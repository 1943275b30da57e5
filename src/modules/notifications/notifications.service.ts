import { type Actor, authorize, requireUser, systemActor } from '../../platform/auth/actor.ts'
import type { Tx } from '../../platform/db/tenant.ts'
import { notFound } from '../../platform/errors.ts'
import { appendEvent } from '../../platform/events/events.ts'
import { page } from '../../platform/http/cursor.ts'
import type { Platform } from '../../platform/platform.ts'
import { deliveriesOf } from './deliveries.repository.ts'
import * as repo from './notifications.repository.ts'
import { type Notification, type NotificationEventPayloads, type NotificationKind, toNotification } from './notifications.types.ts'

/** Writes a personal realtime event (routed by recipientUserId to that user's `notifications` topic). */
export function emitPersonal<T extends keyof NotificationEventPayloads>(trx: Tx, workspaceId: string, type: T, payload: NotificationEventPayloads[T]) {
  return appendEvent(trx, systemActor(workspaceId, 'notifications'), { type, payload: { ...payload } })
}

/**
 * Creates a notification for one user inside a listener's transaction, once
 * per source event, and emits `notification.created` for the realtime socket.
 */
export async function notifyInTx(
  trx: Tx,
  workspaceId: string,
  n: { userId: string; kind: NotificationKind; conversationId: string | null; messageId: string | null; actorId: string | null; actorName: string | null; text: string; sourceEventId: string },
): Promise<Notification | null> {
  const row = await repo.insertNotification(trx, workspaceId, { ...n, actorLabel: n.actorName })
  if (!row) return null
  const notification = toNotification(row)
  await emitPersonal(trx, workspaceId, 'notification.created', { recipientUserId: n.userId, notification })
  return notification
}

/** The signed-in user's notifications. Nobody reads or marks another user's: those are 404s. */
export function createNotificationsService(p: Platform) {
  return {
    async list(actor: Actor, q: { limit: number; cursor?: string | undefined; unread?: boolean | undefined }) {
      authorize(actor, 'conversations:read')
      const userId = requireUser(actor)
      const after = p.cursors.decode(q.cursor, 2) as [string, string] | null
      const { rows, unread, emails } = await p.tx(actor, async (trx) => {
        const rows = await repo.listNotifications(trx, actor.workspaceId, userId, { limit: q.limit, unread: q.unread === true, after })
        return { rows, unread: await repo.unreadCount(trx, actor.workspaceId, userId), emails: await deliveriesOf(trx, actor.workspaceId, rows.map((r) => r.id)) }
      })
      const { items, nextCursor } = page(rows, q.limit, (r) => p.cursors.encode([r.cursor_at, r.id]))
      return { items: items.map((r) => toNotification(r, emails.get(r.id) ?? null)), nextCursor, unreadCount: unread }
    },

    async markRead(actor: Actor, id: string): Promise<Notification> {
      authorize(actor, 'conversations:read')
      const userId = requireUser(actor)
      return p.tx(actor, async (trx) => {
        const before = await repo.findNotification(trx, actor.workspaceId, userId, id)
        if (!before) throw notFound('Notification')
        const email = (await deliveriesOf(trx, actor.workspaceId, [id])).get(id) ?? null
        if (before.read_at) return toNotification(before, email)
        const [row] = await repo.markRead(trx, actor.workspaceId, userId, id)
        await emitPersonal(trx, actor.workspaceId, 'notifications.read', { recipientUserId: userId, notificationIds: [id], unreadCount: await repo.unreadCount(trx, actor.workspaceId, userId) })
        return toNotification(row ?? before, email)
      })
    },

    async markAllRead(actor: Actor): Promise<{ marked: number; unreadCount: number }> {
      authorize(actor, 'conversations:read')
      const userId = requireUser(actor)
      return p.tx(actor, async (trx) => {
        const rows = await repo.markRead(trx, actor.workspaceId, userId, null)
        if (rows.length) await emitPersonal(trx, actor.workspaceId, 'notifications.read', { recipientUserId: userId, notificationIds: 'all', unreadCount: 0 })
        return { marked: rows.length, unreadCount: 0 }
      })
    },
  }
}
export type NotificationsService = ReturnType<typeof createNotificationsService>
