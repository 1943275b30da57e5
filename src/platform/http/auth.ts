import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { Actor } from '../auth/actor.ts'
import { AppError } from '../errors.ts'

declare module 'fastify' {
  interface FastifyRequest {
    /** Set for every authenticated request; routes marked `config.public` may lack it. */
    actor: Actor
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

/** Every /api/v1 route requires an actor unless its config says `public: true`. */
export function installAuth(app: FastifyInstance, authenticate: Authenticator): void {
  app.decorateRequest('actor', null as unknown as Actor)
  app.addHook('onRequest', async (request) => {
    if (request.routeOptions.config?.public || !request.url.startsWith('/api/v1')) return
    const bearer = bearerOf(request)
    const session = request.cookies?.[SESSION_COOKIE]
    const actor = await authenticate({ bearer, session }, request)
    if (!actor) {
      throw new AppError(
        'UNAUTHENTICATED',
        bearer || session ? 'The token or session is invalid, expired or revoked' : 'Sign in, or send Authorization: Bearer <token>',
      )
    }
    actor.ip = request.ip
    actor.requestId = request.id
    request.actor = actor
  })
}
