import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { authorize } from '../../platform/auth/actor.ts'
import { commonErrors, idParam, listOf, listQuery } from '../../platform/http/schemas.ts'
import { classifications } from './classify.ts'
import type { EmailService } from './email.service.ts'
import { inboundEmailSchema, inboundEmailSummarySchema, inboundStatuses } from './email.types.ts'

export const emailRoutes =
  (email: EmailService): FastifyPluginAsyncZod =>
  async (app) => {
    const tags = ['Email']
    // Inbound mail rows hold the raw mail of every inbox of the workspace, whoever may work its cases: they are
    // the admins' operations log (the desk shows them on the admin screen Inbound mail), not an agent's read.
    const adminsOnly = async (req: { actor: Parameters<typeof authorize>[0] }) => authorize(req.actor, 'inboxes:write')
    app.get('/email/inbound', {
      preValidation: adminsOnly,
      schema: {
        tags,
        summary: 'List inbound mail (newest first); filter by status (e.g. quarantined) or classification',
        querystring: listQuery.extend({ status: z.enum(inboundStatuses).optional(), classification: z.enum(classifications).optional() }),
        response: { 200: listOf(inboundEmailSummarySchema), ...commonErrors },
      },
    }, async (req) => email.list(req.actor, req.query))

    app.get('/email/inbound/:id', {
      preValidation: adminsOnly,
      schema: { tags, summary: 'Get one inbound mail with its classification and threading decision', params: idParam, response: { 200: inboundEmailSchema, ...commonErrors } },
    }, async (req) => email.get(req.actor, req.params.id))

    app.get('/email/inbound/:id/raw', {
      preValidation: adminsOnly,
      schema: { tags, summary: 'Download the message exactly as received (.eml, message/rfc822)', params: idParam },
    }, async (req, reply) => {
      const raw = await email.raw(req.actor, req.params.id)
      return reply
        .type('message/rfc822')
        .header('content-disposition', `attachment; filename="${req.params.id}.eml"`)
        .send(raw)
    })

    app.post('/email/inbound/:id/retry', {
      schema: { tags, summary: 'Process a quarantined mail again', params: idParam, body: z.strictObject({}).optional(), response: { 200: inboundEmailSchema, ...commonErrors } },
    }, async (req) => email.retry(req.actor, req.params.id))

    app.post('/email/inbound/:id/release', {
      schema: {
        tags,
        summary: 'Treat a quarantined (or ignored) mail as a customer message anyway',
        params: idParam,
        body: z.strictObject({}).optional(),
        response: { 200: inboundEmailSchema, ...commonErrors },
      },
    }, async (req) => email.release(req.actor, req.params.id))
  }
