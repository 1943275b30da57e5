import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { commonErrors } from '../../platform/http/schemas.ts'
import { AppError } from '../../platform/errors.ts'
import type { RateLimiter } from './chat.policy.ts'
import { originAllowed } from './chat.policy.ts'
import type { ChatInbox, ChatService } from './chat.service.ts'
import { acceptVisitorSocket, type ChatSocketContext } from './chat.socket.ts'
import { clientIdSchema } from './chat.types.ts'
import { chatDefaults } from './config.ts'
import type { WidgetSource } from './widget-source.ts'

/** The largest upload read at all; an inbox's own limit (at most this) is checked after. */
const MAX_UPLOAD_BYTES = 25 * 1024 * 1024

const corsHeaders = {
  'access-control-allow-methods': 'POST, OPTIONS',
  'access-control-allow-headers': 'content-type, x-visitor-token, x-client-id, x-filename',
  'access-control-max-age': '600',
}

/** CORS for the visitor HTTP endpoints: only the inbox's allowed origins get an Access-Control-Allow-Origin. */
function allowCors(reply: FastifyReply, inbox: ChatInbox, origin: string | undefined): void {
  if (!originAllowed(inbox.config, origin)) throw new AppError('ORIGIN_NOT_ALLOWED', `This chat may not be used from ${String(origin)}`)
  reply.header('vary', 'Origin')
  if (origin) reply.header('access-control-allow-origin', origin).headers(corsHeaders)
}

const inboxQuery = z.object({ inboxId: z.string().max(100) })

/**
 * The public, visitor-facing endpoints (no /api/v1 credentials):
 *   GET  /widget.js                                   the widget script
 *   GET  /chat/ws?inboxId=…                           the visitor WebSocket
 *   POST /chat/attachments?inboxId=…                  a file (raw body; X-Visitor-Token, X-Client-Id, X-Filename)
 */
export const publicChatRoutes =
  (deps: { service: ChatService; socket: ChatSocketContext; limiter: RateLimiter; widget: WidgetSource }): FastifyPluginAsync =>
  async (app) => {
    app.get('/widget.js', { config: { public: true }, schema: { hide: true } }, async (_req, reply) => {
      const js = await deps.widget.get()
      // Loaded by other sites' pages: helmet's same-origin resource policy would block it there.
      return reply
        .header('cross-origin-resource-policy', 'cross-origin')
        .header('access-control-allow-origin', '*')
        .header('cache-control', 'public, max-age=300')
        .type('text/javascript; charset=utf-8')
        .send(js)
    })

    app.get('/chat/ws', { websocket: true, config: { public: true }, schema: { hide: true } }, (socket, req) => acceptVisitorSocket(socket, req, deps.socket))

    await app.register(async (uploads) => {
      uploads.removeAllContentTypeParsers()
      uploads.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: MAX_UPLOAD_BYTES }, (_req, body, done) => done(null, body))

      uploads.options('/chat/attachments', { config: { public: true }, schema: { hide: true, querystring: inboxQuery } }, async (req: FastifyRequest<{ Querystring: { inboxId: string } }>, reply) => {
        const inbox = await deps.service.resolveInbox(req.query.inboxId)
        allowCors(reply, inbox, req.headers.origin)
        return reply.code(204).send()
      })

      uploads.post('/chat/attachments', { config: { public: true }, schema: { hide: true, querystring: inboxQuery } }, async (req: FastifyRequest<{ Querystring: { inboxId: string } }>, reply) => {
        const inbox = await deps.service.resolveInbox(req.query.inboxId)
        allowCors(reply, inbox, req.headers.origin)
        const token = req.headers['x-visitor-token']
        const visitor = typeof token === 'string' ? await deps.service.visitorByToken(inbox, token) : null
        if (!visitor) throw new AppError('UNAUTHENTICATED', 'Give the visitor token (X-Visitor-Token) the chat socket issued')
        const clientId = clientIdSchema.safeParse(req.headers['x-client-id'])
        if (!clientId.success) throw new AppError('VALIDATION_FAILED', 'X-Client-Id must be 8-64 letters, digits, - or _', [{ field: 'headers.x-client-id', message: clientId.error.issues[0]?.message }])
        const limit = inbox.config.messagesPerMinute ?? chatDefaults.messagesPerMinute
        for (const [key, max] of [[`v:${visitor.id}`, limit], [`ip:${inbox.id}:${req.ip}`, limit * 10]] as const) {
          const taken = deps.limiter.take(key, max)
          if (!taken.ok) {
            reply.header('retry-after', String(taken.retryAfterSeconds))
            throw new AppError('RATE_LIMITED', `Too many messages; wait ${taken.retryAfterSeconds} s`)
          }
        }
        const body = req.body
        if (!Buffer.isBuffer(body)) throw new AppError('VALIDATION_FAILED', 'Send the file as the request body')
        let filename = 'file'
        try {
          filename = decodeURIComponent(String(req.headers['x-filename'] ?? 'file'))
        } catch {
          throw new AppError('VALIDATION_FAILED', 'X-Filename must be URI-encoded')
        }
        const res = await deps.service.sendFile(inbox, visitor, { clientId: clientId.data, filename, contentType: String(req.headers['content-type'] ?? 'application/octet-stream'), content: body })
        return reply.code(res.duplicate ? 200 : 201).send({ id: res.message.id, clientId: clientId.data, duplicate: res.duplicate, message: res.message })
      })
    })
  }

const signalParams = z.strictObject({ id: z.uuid() })
const signalResult = z.object({ visitors: z.number().int().describe('Visitors (widget identities) of the contact the signal went to') })

/** Agents' side, under /api/v1 with the usual credentials: typing and read marks for the visitor's widget. */
export const agentChatRoutes =
  (service: ChatService): FastifyPluginAsyncZod =>
  async (app) => {
    const tags = ['Chat']
    app.post(
      '/chat/conversations/:id/typing',
      { schema: { tags, summary: 'Show the chat visitor that an agent is typing (or stopped)', params: signalParams, body: z.strictObject({ typing: z.boolean() }), response: { 200: signalResult, ...commonErrors } } },
      async (req) => service.agentSignal(req.actor, req.params.id, { type: 'typing', typing: req.body.typing }),
    )
    app.post(
      '/chat/conversations/:id/read',
      { schema: { tags, summary: 'Tell the chat visitor an agent has read the conversation', params: signalParams, response: { 200: signalResult, ...commonErrors } } },
      async (req) => service.agentSignal(req.actor, req.params.id, { type: 'read' }),
    )
  }
