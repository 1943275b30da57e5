import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { commonErrors, humanText, idParam } from '../../platform/http/schemas.ts'
import { conversationSorts } from '../conversations/index.ts'
import type { ViewsService } from './views.service.ts'
import { viewFiltersSchema, viewSchema } from './views.types.ts'

const name = humanText(100).pipe(z.string().min(1))

export const viewsRoutes =
  (views: ViewsService): FastifyPluginAsyncZod =>
  async (app) => {
    const tags = ['Saved views']
    app.get('/views', {
      schema: { tags, summary: 'Your saved views and the shared ones', response: { 200: z.object({ items: z.array(viewSchema), nextCursor: z.null() }), ...commonErrors } },
    }, async (req) => ({ items: await views.list(req.actor), nextCursor: null }))

    app.post('/views', {
      schema: {
        tags,
        summary: 'Save a view (filters and a sort); shared: true needs desk:share (supervisors and above)',
        description: 'Open it with GET /api/v1/conversations?view=<id>.',
        body: z.strictObject({ name, filters: viewFiltersSchema.optional(), sort: z.enum(conversationSorts).optional(), shared: z.boolean().optional() }),
        response: { 201: viewSchema, ...commonErrors },
      },
    }, async (req, reply) => reply.status(201).send(await views.create(req.actor, req.body)))

    app.get('/views/:id', { schema: { tags, summary: 'Get a saved view', params: idParam, response: { 200: viewSchema, ...commonErrors } } }, async (req) => views.get(req.actor, req.params.id))

    app.patch('/views/:id', {
      schema: {
        tags,
        summary: 'Change a saved view (filters are replaced as a whole)',
        params: idParam,
        body: z.strictObject({ name: name.optional(), filters: viewFiltersSchema.optional(), sort: z.enum(conversationSorts).optional(), shared: z.boolean().optional() }),
        response: { 200: viewSchema, ...commonErrors },
      },
    }, async (req) => views.update(req.actor, req.params.id, req.body))

    app.delete('/views/:id', { schema: { tags, summary: 'Delete a saved view', params: idParam, response: { 204: z.null(), ...commonErrors } } }, async (req, reply) => {
      await views.delete(req.actor, req.params.id)
      return reply.status(204).send(null)
    })
  }
