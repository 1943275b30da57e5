import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { commonErrors, humanText, idParam, isoDate } from '../../platform/http/schemas.ts'
import { callbackSchema, type CallbacksService } from './callbacks.ts'

const phone = z.string().trim().min(3).max(64)
const request = {
  dueAt: isoDate.optional().describe('When to call back; default: CALLBACK_DEFAULT_DELAY_MINUTES from now'),
  note: humanText(2000).optional(),
}

/** Callback requests (registered under /api/v1). */
export function callbacksRoutes(service: CallbacksService): FastifyPluginAsyncZod {
  return async (app) => {
    const tags = ['Callback requests']
    app.post('/conversations/:id/callback-requests', {
      schema: {
        tags,
        summary: 'Request a callback in a case: a task with a due time, reminded in the timeline when due',
        params: idParam,
        body: z.strictObject({ phone: phone.optional().describe("Default: the contact's first phone number"), ...request }),
        response: { 201: callbackSchema, ...commonErrors },
      },
    }, async (req, reply) => reply.status(201).send(await service.requestInConversation(req.actor, req.params.id, req.body)))

    app.get('/conversations/:id/callback-requests', {
      schema: { tags, summary: 'Callback requests of a case, oldest first', params: idParam, response: { 200: z.object({ items: z.array(callbackSchema), nextCursor: z.null() }), ...commonErrors } },
    }, async (req) => ({ items: await service.list(req.actor, req.params.id), nextCursor: null }))

    app.post('/callback-requests', {
      schema: {
        tags,
        summary: 'Request a callback for a phone number: opens a case for the contact (found or created by the number) with the task in it',
        body: z.strictObject({ phone, name: humanText(200).optional(), inboxId: z.uuid().optional().describe('The inbox the case belongs to; default: the API inbox'), ...request }),
        response: { 201: callbackSchema, ...commonErrors },
      },
    }, async (req, reply) => reply.status(201).send(await service.request(req.actor, req.body)))

    app.patch('/callback-requests/:id', {
      schema: { tags, summary: 'Mark a callback request done or canceled (or open again)', params: idParam, body: z.strictObject({ status: z.enum(['open', 'done', 'canceled']) }), response: { 200: callbackSchema, ...commonErrors } },
    }, async (req) => service.update(req.actor, req.params.id, req.body))
  }
}
