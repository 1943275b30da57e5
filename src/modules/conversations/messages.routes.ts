import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { commonErrors, freeformObject, humanText, idParam, listOf, listQuery } from '../../platform/http/schemas.ts'
import { contactInput, messageHtml, messageText } from './conversations.routes.ts'
import type { ConversationsService } from './conversations.service.ts'
import { channels, conversationSchema, conversationStatuses } from './conversations.types.ts'
import { attachmentLimits, messageSchema, timelineItemSchema } from './messages.types.ts'
import { replyChannelSchema } from './reply-channels.service.ts'

const hasBody = (m: { text?: string | undefined; html?: string | undefined }) => Boolean(m.text?.trim() || m.html?.trim())

const newAttachment = z.strictObject({
  filename: humanText(255)
    .pipe(z.string().min(1))
    .refine((f) => !/[/\\]/.test(f), 'must be a file name, not a path'),
  contentType: z
    .string()
    .max(255)
    .regex(/^[\w.+-]+\/[\w.+-]+(\s*;\s*[\w.+-]+=("[^"]*"|[\w.+-]+))*$/, 'must be a media type such as application/pdf'),
  dataBase64: z.base64(),
})

/** RFC 6266 Content-Disposition: an ASCII fallback plus the exact UTF-8 name. */
function attachmentDisposition(filename: string): string {
  const ascii = filename.replace(/[^\x20-\x7e]|["\\]/g, '_')
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(filename)}`
}

export const messagesRoutes =
  (conversations: ConversationsService): FastifyPluginAsyncZod =>
  async (app) => {
    const tags = ['Conversations']
    const params = z.strictObject({ id: z.uuid() })

    app.get('/conversations/:id/messages', {
      schema: { tags, summary: 'Messages of a conversation, oldest first', params, querystring: listQuery, response: { 200: listOf(messageSchema), ...commonErrors } },
    }, async (req) => conversations.listMessages(req.actor, req.params.id, req.query))

    app.post('/conversations/:id/messages', {
      // Room for the largest allowed attachments, base64-encoded.
      bodyLimit: Math.ceil((attachmentLimits.maxFiles * attachmentLimits.maxBytes * 4) / 3) + 1024 * 1024,
      schema: {
        tags,
        summary: 'Reply to the customer, or add an internal note (private: true)',
        description:
          'A reply goes out through the inbox the customer last used on the conversation’s channel; `channel` or `inboxId` switch channel (shown in the timeline). Delivery happens after the message is stored; the response carries its delivery status. `status` changes the status in the same step.',
        params,
        body: z
          .strictObject({
            text: messageText.optional(),
            html: messageHtml.optional(),
            private: z.boolean().optional(),
            channel: z.enum(channels).optional(),
            inboxId: z.uuid().optional(),
            status: z.enum(conversationStatuses).optional(),
            attachments: z.array(newAttachment).max(attachmentLimits.maxFiles).optional(),
          })
          .refine(hasBody, { message: 'give text or html', path: ['text'] }),
        response: { 201: messageSchema, ...commonErrors },
      },
    }, async (req, reply) => reply.status(201).send(await conversations.addMessage(req.actor, req.params.id, req.body)))

    app.get('/conversations/:id/reply-channels', {
      schema: {
        tags,
        summary: 'The channels a reply can go out on: the inbox and contact identity each would use, or why it is unavailable',
        params,
        response: { 200: z.object({ items: z.array(replyChannelSchema) }), ...commonErrors },
      },
    }, async (req) => ({ items: await conversations.replyChannels(req.actor, req.params.id) }))

    app.get('/conversations/:id/timeline', {
      schema: {
        tags,
        summary: 'Messages and case events (status, assignment, channel switches, reopenings, merges) in time order',
        params,
        querystring: listQuery.extend({ limit: z.coerce.number().int().min(1).max(200).default(50) }),
        response: { 200: listOf(timelineItemSchema), ...commonErrors },
      },
    }, async (req) => conversations.timeline(req.actor, req.params.id, req.query))

    app.get('/conversations/:id/messages/:messageId/attachments/:attachmentId', {
      schema: {
        tags,
        summary: 'Download an attachment',
        params: z.strictObject({ id: z.uuid(), messageId: z.uuid(), attachmentId: z.uuid() }),
        response: { 200: z.unknown().describe('The file’s bytes, with its content type'), ...commonErrors },
      },
    }, async (req, reply) => {
      const file = await conversations.getAttachment(req.actor, req.params.id, req.params.messageId, req.params.attachmentId)
      return reply
        .header('content-type', file.contentType)
        .header('content-disposition', attachmentDisposition(file.filename))
        // Never rendered inline or sniffed: the bytes and their type come from outside.
        .header('x-content-type-options', 'nosniff')
        .header('content-security-policy', "default-src 'none'; sandbox")
        .send(file.content)
    })

    app.post('/inboxes/:id/messages', {
      schema: {
        tags,
        summary: 'API channel: deliver an inbound customer message',
        description:
          'For inboxes whose channel is `api` (others: 422). Idempotent on providerMessageId within the inbox: a repeat returns the stored message with duplicate: true (status 200). With conversationId the message is appended (a solved conversation reopens; a closed one gets a follow-up conversation).',
        params: idParam,
        body: z
          .strictObject({
            contact: contactInput,
            conversationId: z.uuid().optional(),
            subject: humanText(500).pipe(z.string().min(1)).optional(),
            text: messageText.optional(),
            html: messageHtml.optional(),
            providerMessageId: z.string().trim().min(1).max(255).optional(),
            metadata: freeformObject({ maxKeys: 100, maxBytes: 16 * 1024, keyMax: 64 }).optional(),
          })
          .refine(hasBody, { message: 'give text or html', path: ['text'] }),
        response: {
          200: z.object({ conversation: conversationSchema, message: messageSchema, duplicate: z.literal(true) }),
          201: z.object({ conversation: conversationSchema, message: messageSchema, duplicate: z.literal(false) }),
          ...commonErrors,
        },
      },
    }, async (req, reply) => {
      const result = await conversations.ingestInbound(req.actor, { ...req.body, inboxId: req.params.id }, { channel: 'api' })
      return result.duplicate ? reply.status(200).send({ ...result, duplicate: true }) : reply.status(201).send({ ...result, duplicate: false })
    })
  }
