import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import { AppError } from '../platform/errors.ts'
import type { Channel, RawInboundRequest, ResolvedInbox } from './channel.ts'

/**
 * Inbound provider webhooks: `POST /webhooks/<provider>/:inboxId` (and `GET`
 * for a provider's subscription handshake). The shared part every channel
 * uses; each channel only says how to verify and what to do with a request.
 *
 * What this file guarantees before a channel's handler runs:
 * - the body is the raw bytes as sent, whatever the content type (JSON,
 *   form-urlencoded, XML, none), so a signature over the bytes can be checked;
 *   the JSON body parser and the input guards do not touch it (`config.webhook`);
 * - the body is at most `bodyLimit` bytes (413 `PAYLOAD_TOO_LARGE` beyond);
 * - each client address may call one provider's webhooks at most
 *   `rateLimitPerMinute` times a minute (429 `RATE_LIMITED`);
 * - the inbox exists, is active and is of one of the provider's channels,
 *   else 404 `INBOX_NOT_FOUND`, and nothing is stored.
 *
 * The handler then verifies the signature with the inbox's decrypted secrets
 * (throw `AppError('WEBHOOK_SIGNATURE_INVALID', …)` on a bad one), parses, and
 * stores. Answer fast: providers retry slow or failed calls.
 */

/** A webhook request as the channel sees it: the raw request plus what a handshake needs. */
export interface WebhookRequest extends RawInboundRequest {
  method: 'GET' | 'POST'
  /** The query string, parsed (a handshake's `hub.challenge`…); repeated keys become arrays. */
  query: Record<string, string | string[]>
  /** The full URL as received (path and query), for providers that sign it (Twilio). */
  url: string
  /** The client address (as trusted by TRUST_PROXY). */
  ip: string
}

/** What to answer the provider. Defaults: status 200, empty body. An object body is sent as JSON. */
export interface WebhookAnswer {
  status?: number
  body?: string | Buffer | Record<string, unknown>
  contentType?: string
}

export interface WebhookHandlerInput {
  inbox: ResolvedInbox
  request: WebhookRequest
}

/** One provider's webhook, declared by its channel folder. */
export interface WebhookDefinition {
  /** The path segment: `/webhooks/<provider>/:inboxId` (lower-case letters, digits, dashes). */
  provider: string
  /** The inbox channels this provider serves; an inbox of another channel is 404. */
  channels: readonly Channel[]
  /** A delivery (message, status update): verify, then parse and store. */
  receive(input: WebhookHandlerInput): Promise<WebhookAnswer | undefined>
  /** The subscription handshake (`GET`), when the provider has one. */
  handshake?(input: WebhookHandlerInput): Promise<WebhookAnswer | undefined>
  /** Overrides the instance's WEBHOOK_BODY_LIMIT for this provider (bytes). */
  bodyLimit?: number
}

/** Looks an active inbox up by id alone, secrets decrypted (the inboxes module's `findForWebhook`). */
export type ResolveWebhookInbox = (inboxId: string) => Promise<ResolvedInbox | null>

export interface WebhookDeps {
  resolveInbox: ResolveWebhookInbox
  /** Largest body, in bytes (WEBHOOK_BODY_LIMIT). */
  bodyLimit: number
  /** Requests per minute per client address and provider (WEBHOOK_RATE_LIMIT). */
  rateLimitPerMinute: number
}

const providerName = /^[a-z0-9][a-z0-9-]{0,49}$/
const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

const inboxNotFound = () => new AppError('INBOX_NOT_FOUND', 'No active inbox of this channel has this id')

/**
 * The webhook routes of the given providers, as one Fastify plugin registered
 * at the root (not under /api/v1: providers carry no API credentials). The
 * plugin's encapsulated context replaces every body parser with one that keeps
 * the bytes, so other routes keep their JSON parsing.
 */
export function webhookRoutes(deps: WebhookDeps, definitions: readonly WebhookDefinition[]): FastifyPluginAsync {
  return async (app) => {
    app.removeAllContentTypeParsers()
    app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body))
    const seen = new Set<string>()
    for (const def of definitions) {
      if (!providerName.test(def.provider)) throw new Error(`webhook provider name ${JSON.stringify(def.provider)} must be lower-case letters, digits and dashes`)
      if (seen.has(def.provider)) throw new Error(`webhook provider ${def.provider} is registered twice`)
      seen.add(def.provider)
      registerWebhook(app, deps, def)
    }
  }
}

function registerWebhook(app: FastifyInstance, deps: WebhookDeps, def: WebhookDefinition): void {
  const url = `/webhooks/${def.provider}/:inboxId`
  const config = {
    public: true,
    webhook: true,
    rateLimit: { max: deps.rateLimitPerMinute, timeWindow: '1 minute', keyGenerator: (request: FastifyRequest) => `webhook:${def.provider}:${request.ip}` },
  }
  const bodyLimit = def.bodyLimit ?? deps.bodyLimit

  const handle = (method: 'GET' | 'POST', fn: (input: WebhookHandlerInput) => Promise<WebhookAnswer | undefined>) => async (request: FastifyRequest, reply: FastifyReply) => {
    const { inboxId } = request.params as { inboxId: string }
    // A malformed id names no inbox: the same 404 as an unknown one, and no database query.
    if (!uuid.test(inboxId)) throw inboxNotFound()
    const inbox = await deps.resolveInbox(inboxId)
    if (!inbox || !def.channels.includes(inbox.channel)) throw inboxNotFound()
    const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0)
    const answer = await fn({
      inbox,
      request: { method, headers: request.headers, body, query: request.query as Record<string, string | string[]>, url: request.url, ip: request.ip },
    })
    return send(reply, answer)
  }

  app.post(url, { config, bodyLimit, schema: { hide: true } }, handle('POST', (input) => def.receive(input)))
  if (def.handshake) {
    const handshake = def.handshake.bind(def)
    app.get(url, { config, schema: { hide: true } }, handle('GET', handshake))
  }
}

function send(reply: FastifyReply, answer: WebhookAnswer | undefined): FastifyReply {
  reply.status(answer?.status ?? 200)
  const body = answer?.body
  if (body === undefined) return reply.send()
  if (answer?.contentType) reply.type(answer.contentType)
  else if (typeof body === 'string') reply.type('text/plain; charset=utf-8')
  else if (Buffer.isBuffer(body)) reply.type('application/octet-stream')
  return reply.send(body)
}
