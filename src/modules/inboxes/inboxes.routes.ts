import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { commonErrors, freeformObject, humanText, idParam, listOf, listQuery } from '../../platform/http/schemas.ts'
import { channels } from '../../channels/channel.ts'
import type { InboxesService } from './inboxes.service.ts'
import { channelInfoSchema, deleteResultSchema, inboxSchema } from './inboxes.types.ts'

const name = humanText(200).pipe(z.string().min(1))
const settings = freeformObject({ maxKeys: 100, maxBytes: 64 * 1024, keyMax: 100 })

export const inboxesRoutes =
  (inboxes: InboxesService): FastifyPluginAsyncZod =>
  async (app) => {
    const tags = ['Inboxes']
    app.post('/inboxes', {
      schema: {
        tags,
        summary: 'Create an inbox',
        description: '`config` holds the channel\'s settings, secret ones included (see GET /channels); secrets are stored encrypted and never returned.',
        body: z.strictObject({ name, channel: z.enum(channels), config: settings.default({}) }),
        response: { 201: inboxSchema, ...commonErrors },
      },
    }, async (req, reply) => reply.status(201).send(await inboxes.create(req.actor, req.body)))

    app.get('/inboxes', {
      schema: {
        tags,
        summary: 'List inboxes',
        querystring: listQuery.extend({ channel: z.enum(channels).optional(), active: z.enum(['true', 'false']).transform((v) => v === 'true').optional() }),
        response: { 200: listOf(inboxSchema), ...commonErrors },
      },
    }, async (req) => inboxes.list(req.actor, req.query))

    app.get('/inboxes/:id', { schema: { tags, summary: 'Get an inbox', params: idParam, response: { 200: inboxSchema, ...commonErrors } } }, async (req) =>
      inboxes.get(req.actor, req.params.id),
    )

    app.patch('/inboxes/:id', {
      schema: {
        tags,
        summary: 'Update an inbox',
        description: '`config` is a merge patch of the settings: keys given replace (a secret given replaces the old one), `null` removes a key. The result is validated again.',
        params: idParam,
        body: z.strictObject({ name: name.optional(), active: z.boolean().optional(), config: settings.optional() }),
        response: { 200: inboxSchema, ...commonErrors },
      },
    }, async (req) => inboxes.update(req.actor, req.params.id, req.body))

    app.delete('/inboxes/:id', {
      schema: {
        tags,
        summary: 'Delete an inbox (or deactivate it when it has conversations)',
        params: idParam,
        response: { 200: deleteResultSchema, ...commonErrors },
      },
    }, async (req) => inboxes.remove(req.actor, req.params.id))

    app.get('/channels', {
      schema: { tags, summary: 'The channels an inbox can be, with the JSON Schema of their settings', response: { 200: z.object({ items: z.array(channelInfoSchema), nextCursor: z.null() }), ...commonErrors } },
    }, async (req) => ({ items: inboxes.channels(req.actor), nextCursor: null }))
  }
