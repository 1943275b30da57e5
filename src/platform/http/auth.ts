import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { Actor } from '../auth/actor.ts'
import { AppError } from '../errors.ts'

declare module 'fastify' {
  interface FastifyRequest {
    /** Set for every authenticated request; routes marked `config.public` may lack it. */
    actor: Actor
    /** Why an /api/v1 request has no actor (checked after rate limiting); null when it has one or needs none. */
    authFailure: string | null
  }
  interface FastifyContextConfig {
    /** The route needs no credentials (health, login, docs). */
    public?: boolean
  }
}

export const SESSION_COOKIE = 'omnidesk_session'

/** Resolves the request's credentials to an actor, or null if there are none. */
export type Authenticator = (credentials: { bearer?: string | undefined; session?: string | undefined }, request: FastifyRequest) => Promise<Actor | null>

export function bearerOf(request: FastifyRequest): string | undefined {
  const h = request.headers.authorization
  if (!h) return undefined
  const m = /^Bearer\s+(\S+)\s*$/i.exec(h)
  if (!m) throw new AppError('UNAUTHENTICATED', 'The Authorization header must be "Bearer <token>"')
  return m[1]
}

/**
 * The API rate-limit bucket of a request: its resolved token, or its user for a
 * session, so that spelling the header differently (`bearer`, extra spaces)
 * cannot open a fresh bucket; requests without valid credentials (none,
 * malformed, unknown, revoked) share the bucket of their client address.
 */
export function rateLimitKey(request: FastifyRequest): string {
  const actor = request.actor as Actor | null
  if (actor?.tokenId) return `token:${actor.tokenId}`
  if (actor?.userId) return `user:${actor.userId}`
  return `ip:${request.ip}`
}

/**
 * Every /api/v1 route requires an actor unless its config says `public: true`.
 * Credentials are resolved in onRequest (before the rate limiter, which keys on
 * the result) and a request without them is refused in preParsing (after the
 * rate limiter, so failed attempts count against the client address, and
 * before its body is read).
 */
export function installAuth(app: FastifyInstance, authenticate: Authenticator): void {
  app.decorateRequest('actor', null as unknown as Actor)
  app.decorateRequest('authFailure', null)
  app.addHook('onRequest', async (request) => {
    if (request.routeOptions.config?.public || !request.url.startsWith('/api/v1')) return
    let bearer: string | undefined
    try {
      bearer = bearerOf(request)
    } catch (err) {
      request.authFailure = (err as Error).message
      return
    }
    const session = request.cookies?.[SESSION_COOKIE]
    const actor = await authenticate({ bearer, session }, request)
    if (!actor) {
      request.authFailure = bearer || session ? 'The token or session is invalid, expired or revoked' : 'Sign in, or send Authorization: Bearer <token>'
      return
    }
    actor.ip = request.ip
    actor.requestId = request.id
    request.actor = actor
  })
  app.addHook('preParsing', async (request, _reply, payload) => {
    if (request.authFailure) throw new AppError('UNAUTHENTICATED', request.authFailure)
    return payload
  })
}
