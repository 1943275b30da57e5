import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { commonErrors, humanText } from '../../platform/http/schemas.ts'
import type { ConversationsService } from './conversations.service.ts'
import { conversationSchema } from './conversations.types.ts'
import { messageSchema } from './messages.types.ts'

export const moveRoutes =
  (conversations: ConversationsService): FastifyPluginAsyncZod =>
  async (app) => {
    const tags = ['Conversations']
    const params = z.strictObject({ id: z.uuid(), messageId: z.uuid() })

    app.post('/conversations/:id/messages/:messageId/move', {
      schema: {
        tags,
        summary: 'Move a message (and its attachments) into another conversation',
        description:
          'For a message threaded into the wrong case. Both timelines show `message.moved`; a move between conversations of different contacts is allowed and recorded (`contactChanged`). 422 when the target is the same conversation, or either conversation is closed.',
        params,
        body: z.strictObject({ conversationId: z.uuid() }),
        response: { 200: messageSchema, ...commonErrors },
      },
    }, async (req) => conversations.moveMessage(req.actor, req.params.id, req.params.messageId, req.body))

    app.post('/conversations/:id/messages/:messageId/split', {
      schema: {
        tags,
        summary: 'Split a message (and its attachments) into a new conversation',
        description:
          'Opens a conversation with the same contact, inbox and priority (subject: the given one, else the original’s) and moves the message there; both timelines show `message.moved` with `split: true`. 422 for the only message of a conversation, or a closed conversation.',
        params,
        body: z.strictObject({ subject: humanText(500).pipe(z.string().min(1)).optional() }).optional(),
        response: { 201: conversationSchema, ...commonErrors },
      },
    }, async (req, reply) => reply.status(201).send(await conversations.splitMessage(req.actor, req.params.id, req.params.messageId, req.body ?? {})))
  }
