import type { ModuleParts, Platform } from '../../platform/platform.ts'
import { notifyAssigneeListener } from './listeners/conversation-assigned.notify-assignee.ts'
import { notifyMentionsListener } from './listeners/message-created.notify-mentions.ts'
import { notifyEscalationListener } from './listeners/sla-escalated.notify-recipients.ts'
import { createNotificationEmail } from './notification-email.ts'
import { notificationsRoutes } from './notifications.routes.ts'
import { createNotificationsService } from './notifications.service.ts'

export type { NotificationsService } from './notifications.service.ts'
export { notificationSchema, type Notification, type NotificationEventPayloads } from './notifications.types.ts'

/**
 * Mentions in notes, assignments and SLA escalations notify the user: stored,
 * listed, and pushed over the realtime socket; escalations also by email.
 */
export function createNotificationsModule(p: Platform) {
  const service = createNotificationsService(p)
  const email = createNotificationEmail(p)
  return {
    service,
    routes: notificationsRoutes(service),
    listeners: [notifyMentionsListener(), notifyAssigneeListener(), notifyEscalationListener(email)],
    start: () => email.start(),
  } satisfies ModuleParts
}
