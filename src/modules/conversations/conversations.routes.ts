import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { bodyText, commonErrors, freeformObject, humanText, idParam, listOf, listQuery } from '../../platform/http/schemas.ts'
import type { ConversationsService } from './conversations.service.ts'
import { channels, conversationListItemSchema, conversationSchema, conversationSorts, conversationStatuses, priorities } from './conversations.types.ts'

const nonEmpty = (max: number) => humanText(max).pipe(z.string().min(1))

/** The customer a conversation is with: found by email or phone, else created. */
export const contactInput = z
  .strictObject({
    name: nonEmpty(200).optional(),
    // Format and normalisation are the contacts module's (a bad one is a 400 from it).
    email: z.string().trim().min(1).max(320).optional(),
    phone: z.string().trim().min(1).max(50).optional(),
  })
  .refine((c) => c.name !== undefined || c.email !== undefined || c.phone !== undefined, 'give at least one of name, email, phone')

/** Message text is stored exactly as sent (not trimmed). */
export const messageText = bodyText(50_000)
export const messageHtml = z.string().max(500_000)

const tagList = z.array(nonEmpty(64)).max(50)
const customFields = freeformObject({ maxKeys: 100, maxBytes: 32 * 1024, keyMax: 64 })
const idOrNone = z.union([z.uuid(), z.literal('none')])

export const conversationsRoutes =
  (conversations: ConversationsService): FastifyPluginAsyncZod =>
  async (app) => {
    const tags = ['Conversations']

    app.post('/conversations', {
      schema: {
        tags,
        summary: 'Open a conversation; the first message is the customer’s',
        description: 'Without inboxId, the workspace’s default API inbox is used. Send an Idempotency-Key header to make retries safe.',
        body: z.strictObject({
          inboxId: z.uuid().optional(),
          contact: contactInput,
          subject: nonEmpty(500).optional(),
          priority: z.enum(priorities).optional(),
          message: z
            .strictObject({ text: messageText.optional(), html: messageHtml.optional() })
            .refine((m) => Boolean(m.text?.trim() || m.html?.trim()), { message: 'give text or html', path: ['text'] }),
          tags: tagList.optional(),
          categoryId: z.uuid().optional(),
          customFields: customFields.optional(),
          assigneeId: z.uuid().optional(),
          teamId: z.uuid().optional(),
        }),
        response: { 201: conversationSchema, ...commonErrors },
      },
    }, async (req, reply) => reply.status(201).send(await conversations.create(req.actor, req.body)))

    app.get('/conversations', {
      schema: {
        tags,
        summary: 'List conversations: filters, a sort (most recently active first by default) or a saved view',
        querystring: listQuery.extend({
          status: z.enum(conversationStatuses).optional(),
          priority: z.enum(priorities).optional(),
          channel: z.enum(channels).optional().describe('the current channel'),
          assigneeId: z.union([z.uuid(), z.literal('none'), z.literal('me')]).optional().describe('a user id, "me", or "none" for unassigned'),
          teamId: idOrNone.optional().describe('a team id, or "none" for no team'),
          inboxId: z.uuid().optional(),
          contactId: z.uuid().optional(),
          tag: z.string().trim().min(1).max(64).optional(),
          categoryId: idOrNone.optional().describe('a category id, or "none" for uncategorised'),
          sort: z.enum(conversationSorts).optional().describe('recent (default): last activity first; oldest/newest: by creation; priority: urgent first; waiting: longest since the customer wrote first'),
          view: z.uuid().optional().describe('a saved view: its filters and sort apply; explicit parameters override them'),
        }),
        response: { 200: listOf(conversationListItemSchema), ...commonErrors },
      },
    }, async (req) => conversations.list(req.actor, req.query))

    app.get('/conversations/:id', { schema: { tags, summary: 'Get a conversation (with its contact’s name and last message, as list rows show it)', params: idParam, response: { 200: conversationListItemSchema, ...commonErrors } } }, async (req) =>
      conversations.get(req.actor, req.params.id),
    )

    app.patch('/conversations/:id', {
      schema: {
        tags,
        summary: 'Change status, priority, subject, assignment, category, custom fields or tags',
        description:
          'Status follows the state machine (422 INVALID_TRANSITION). Solving, and transferring to another assignee or team, need the workspace’s required fields (422 REQUIRED_FIELDS_MISSING lists them). customFields are merged (null removes one); tags replace the set.',
        params: idParam,
        body: z.strictObject({
          status: z.enum(conversationStatuses).optional(),
          priority: z.enum(priorities).optional(),
          subject: nonEmpty(500).nullable().optional(),
          assigneeId: z.uuid().nullable().optional(),
          teamId: z.uuid().nullable().optional(),
          categoryId: z.uuid().nullable().optional(),
          customFields: customFields.optional(),
          tags: tagList.optional(),
        }),
        response: { 200: conversationListItemSchema, ...commonErrors },
      },
    }, async (req) => {
      await conversations.update(req.actor, req.params.id, req.body)
      // Answered as GET answers it (with what its list row shows), so a client can put it in place as is.
      return conversations.get(req.actor, req.params.id)
    })

    app.post('/conversations/:id/tags', {
      schema: { tags, summary: 'Add tags (created in the workspace if new)', params: idParam, body: z.strictObject({ tags: tagList.min(1) }), response: { 200: conversationSchema, ...commonErrors } },
    }, async (req) => conversations.addTags(req.actor, req.params.id, req.body.tags))

    app.delete('/conversations/:id/tags/:tag', {
      schema: { tags, summary: 'Remove a tag', params: z.strictObject({ id: z.uuid(), tag: z.string().min(1).max(64) }), response: { 204: z.null(), ...commonErrors } },
    }, async (req, reply) => {
      await conversations.removeTag(req.actor, req.params.id, req.params.tag)
      return reply.status(204).send(null)
    })
  }
