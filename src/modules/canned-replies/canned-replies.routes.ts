import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { bodyText, commonErrors, humanText, idParam } from '../../platform/http/schemas.ts'
import type { CannedRepliesService } from './canned-replies.service.ts'
import { cannedReplySchema, templateVariables } from './canned-replies.types.ts'

const name = humanText(100).pipe(z.string().min(1))
const shortcut = z.string().trim().regex(/^[a-z0-9][a-z0-9_-]{0,31}$/i, 'letters, digits, - and _ (up to 32)')
const body = bodyText(20_000).refine((s) => s.trim().length > 0, 'must not be empty')
const variablesHelp = `Variables: ${templateVariables.map((v) => `{{${v}}}`).join(', ')}.`

export const cannedRepliesRoutes =
  (replies: CannedRepliesService): FastifyPluginAsyncZod =>
  async (app) => {
    const tags = ['Canned replies']
    app.get('/canned-replies', {
      schema: {
        tags,
        summary: 'Your canned replies and the shared ones, by name',
        querystring: z.strictObject({ query: z.string().trim().max(100).optional() }),
        response: {
          200: z.object({
            items: z.array(cannedReplySchema),
            nextCursor: z.null(),
            /** The variables a body may use, as `{{name}}` (for editors' help). */
            variables: z.array(z.enum(templateVariables)),
          }),
          ...commonErrors,
        },
      },
    }, async (req) => ({ items: await replies.list(req.actor, req.query.query || undefined), nextCursor: null, variables: [...templateVariables] }))

    app.post('/canned-replies', {
      schema: {
        tags,
        summary: 'Create a canned reply; shared: true needs desk:share',
        description: `${variablesHelp} An unknown variable is a 400.`,
        body: z.strictObject({ name, shortcut: shortcut.nullable().optional(), body, shared: z.boolean().optional() }),
        response: { 201: cannedReplySchema, ...commonErrors },
      },
    }, async (req, reply) => reply.status(201).send(await replies.create(req.actor, req.body)))

    app.get('/canned-replies/:id', { schema: { tags, summary: 'Get a canned reply', params: idParam, response: { 200: cannedReplySchema, ...commonErrors } } }, async (req) =>
      replies.get(req.actor, req.params.id),
    )

    app.patch('/canned-replies/:id', {
      schema: {
        tags,
        summary: 'Change a canned reply',
        params: idParam,
        body: z.strictObject({ name: name.optional(), shortcut: shortcut.nullable().optional(), body: body.optional(), shared: z.boolean().optional() }),
        response: { 200: cannedReplySchema, ...commonErrors },
      },
    }, async (req) => replies.update(req.actor, req.params.id, req.body))

    app.delete('/canned-replies/:id', { schema: { tags, summary: 'Delete a canned reply', params: idParam, response: { 204: z.null(), ...commonErrors } } }, async (req, reply) => {
      await replies.delete(req.actor, req.params.id)
      return reply.status(204).send(null)
    })

    app.post('/canned-replies/:id/render', {
      schema: {
        tags,
        summary: 'Fill in a canned reply for a conversation (plain text; nothing is sent)',
        description: `${variablesHelp} Variables without a value become empty and are listed in missing.`,
        params: idParam,
        body: z.strictObject({ conversationId: z.uuid() }),
        response: { 200: z.object({ text: z.string(), missing: z.array(z.enum(templateVariables)) }), ...commonErrors },
      },
    }, async (req) => replies.render(req.actor, req.params.id, req.body.conversationId))
  }
