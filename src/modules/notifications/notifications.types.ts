import { z } from 'zod'
import type { Row } from '../../platform/db/schema.ts'

export const notificationKinds = ['mention', 'assignment', 'sla_escalation'] as const
export type NotificationKind = (typeof notificationKinds)[number]

/** Something that happened to the signed-in user: mentioned in a note, assigned a case, an SLA escalation. */
export const notificationSchema = z
  .object({
    id: z.uuid(),
    kind: z.enum(notificationKinds),
    conversationId: z.uuid().nullable(),
    /** The note that mentioned you. */
    messageId: z.uuid().nullable(),
    actorId: z.uuid().nullable(),
    /** Who did it, by name. */
    actorName: z.string().nullable(),
    /** One line for people, e.g. "Ada mentioned you on #42: can you check…". */
    text: z.string(),
    readAt: z.string().nullable(),
    createdAt: z.string(),
    /**
     * The email sent for it (SLA escalations): `queued`, `sent`, `failed`, or
     * `not_sent` with the reason in `detail` (no email inbox, no relay); null
     * when the notification is in-app only.
     */
    email: z.object({ status: z.enum(['queued', 'sent', 'failed', 'not_sent']), recipient: z.string().nullable(), detail: z.string().nullable() }).nullable(),
  })
  .meta({ id: 'Notification' })
export type Notification = z.infer<typeof notificationSchema>

export const toNotification = (r: Row<'notifications'>, email: Row<'notification_deliveries'> | null = null): Notification => ({
  id: r.id,
  kind: r.kind as NotificationKind,
  conversationId: r.conversation_id,
  messageId: r.message_id,
  actorId: r.actor_id,
  actorName: r.actor_label,
  text: r.text,
  readAt: r.read_at?.toISOString() ?? null,
  createdAt: r.created_at.toISOString(),
  email: email && { status: email.status as NonNullable<Notification['email']>['status'], recipient: email.recipient, detail: email.detail },
})

/** Realtime events for the user's `notifications` topic; `recipientUserId` routes them to that user only. */
export interface NotificationEventPayloads {
  'notification.created': { recipientUserId: string; notification: Notification }
  'notifications.read': { recipientUserId: string; notificationIds: string[] | 'all'; unreadCount: number }
}

/**
 * The people a note mentions: `@ada@example.com` (an email) or `@ada` (a
 * handle: the part of a user's email before the @). An @ inside a word (an
 * email address written in the text) is not a mention. Lower-cased, unique.
 */
export function parseMentions(text: string): { emails: string[]; handles: string[] } {
  const emails = new Set<string>()
  const handles = new Set<string>()
  for (const m of text.matchAll(/(?<![\p{L}\p{N}_.+-])@([\p{L}\p{N}._%+-]+(?:@[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)+)?)/gu)) {
    const token = (m[1] as string).replace(/[._%+-]+$/u, '').toLowerCase()
    if (!token) continue
    if (token.includes('@')) emails.add(token)
    else handles.add(token)
  }
  return { emails: [...emails], handles: [...handles] }
}

export const excerpt = (text: string, max = 140) => {
  const flat = text.replace(/\s+/g, ' ').trim()
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`
}
