import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { commonErrors, idParam } from '../../platform/http/schemas.ts'
import type { TemplatesService } from './templates.service.ts'
import { newTemplateSchema, templatePatchSchema, templateSchema, templateSendSchema, windowSchema } from './templates.types.ts'

const templateParams = z.strictObject({ id: z.uuid(), templateId: z.uuid() })

export const whatsappTemplatesRoutes =
  (templates: TemplatesService): FastifyPluginAsyncZod =>
  async (app) => {
    const tags = ['WhatsApp']
    app.get('/inboxes/:id/whatsapp-templates', {
      schema: { tags, summary: "List a WhatsApp inbox's message templates", params: idParam, response: { 200: z.object({ items: z.array(templateSchema) }), ...commonErrors } },
    }, async (req) => ({ items: await templates.list(req.actor, req.params.id) }))

    app.post('/inboxes/:id/whatsapp-templates', {
      schema: {
        tags,
        summary: 'Record a message template',
        description: 'Record a template as approved in WhatsApp Manager: its name, language and body with `{{1}}`… variables. Only `approved` templates can be sent.',
        params: idParam,
        body: newTemplateSchema,
        response: { 201: templateSchema, ...commonErrors },
      },
    }, async (req, reply) => reply.status(201).send(await templates.create(req.actor, req.params.id, req.body)))

    app.get('/inboxes/:id/whatsapp-templates/:templateId', {
      schema: { tags, summary: 'Get a message template', params: templateParams, response: { 200: templateSchema, ...commonErrors } },
    }, async (req) => templates.get(req.actor, req.params.id, req.params.templateId))

    app.patch('/inboxes/:id/whatsapp-templates/:templateId', {
      schema: { tags, summary: 'Update a message template (body, category, status)', params: templateParams, body: templatePatchSchema, response: { 200: templateSchema, ...commonErrors } },
    }, async (req) => templates.update(req.actor, req.params.id, req.params.templateId, req.body))

    app.delete('/inboxes/:id/whatsapp-templates/:templateId', {
      schema: { tags, summary: 'Delete a message template', params: templateParams, response: { 204: z.null(), ...commonErrors } },
    }, async (req, reply) => {
      await templates.remove(req.actor, req.params.id, req.params.templateId)
      return reply.status(204).send(null)
    })

    app.get('/conversations/:id/whatsapp-window', {
      schema: {
        tags,
        summary: "The conversation's WhatsApp customer-service window",
        description: 'Free text reaches the customer only within 24 hours of their last message; outside it a reply fails with `WHATSAPP_WINDOW_CLOSED` and an approved template must be sent.',
        params: idParam,
        querystring: z.strictObject({ inboxId: z.uuid().optional() }),
        response: { 200: windowSchema, ...commonErrors },
      },
    }, async (req) => templates.window(req.actor, req.params.id, req.query.inboxId))

    app.post('/conversations/:id/whatsapp-template', {
      schema: {
        tags,
        summary: 'Send an approved WhatsApp template into the conversation',
        description: 'Allowed whatever the 24-hour window. The message is queued like a reply; its text is the rendered body.',
        params: idParam,
        body: templateSendSchema,
        response: { 201: z.object({ messageId: z.uuid(), text: z.string(), template: z.object({ templateId: z.uuid(), name: z.string(), language: z.string(), variables: z.array(z.string()) }) }), ...commonErrors },
      },
    }, async (req, reply) => reply.status(201).send(await templates.send(req.actor, req.params.id, req.body)))
  }
