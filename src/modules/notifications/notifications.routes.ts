import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { commonErrors, idParam, listQuery } from '../../platform/http/schemas.ts'
import type { NotificationsService } from './notifications.service.ts'
import { notificationSchema } from './notifications.types.ts'

export const notificationsRoutes =
  (notifications: NotificationsService): FastifyPluginAsyncZod =>
  async (app) => {
    const tags = ['Notifications']
    app.get('/notifications', {
      schema: {
        tags,
        summary: 'Your notifications (mentions in notes, assignments), newest first, with the unread count',
        description: 'Live: subscribe to the "notifications" topic on /api/v1/realtime for notification.created and notifications.read events.',
        querystring: listQuery.extend({ unread: z.enum(['true', 'false']).transform((v) => v === 'true').optional() }),
        response: { 200: z.object({ items: z.array(notificationSchema), nextCursor: z.string().nullable(), unreadCount: z.number().int() }), ...commonErrors },
      },
    }, async (req) => notifications.list(req.actor, req.query))

    app.post('/notifications/:id/read', {
      schema: { tags, summary: 'Mark one of your notifications read', params: idParam, response: { 200: notificationSchema, ...commonErrors } },
    }, async (req) => notifications.markRead(req.actor, req.params.id))

    app.post('/notifications/read-all', {
      schema: { tags, summary: 'Mark all your notifications read', response: { 200: z.object({ marked: z.number().int(), unreadCount: z.number().int() }), ...commonErrors } },
    }, async (req) => notifications.markAllRead(req.actor))
  }
