import type { FastifyInstance, FastifyReply } from 'fastify'
import { type SecretBox, safeEqual } from '../crypto.ts'
import { AppError } from '../errors.ts'
import { SESSION_COOKIE } from './auth.ts'

/** The readable cookie the app copies into the x-csrf-token header of every write. */
export const CSRF_COOKIE = 'omnidesk_csrf'
export const CSRF_HEADER = 'x-csrf-token'

/** The CSRF token of a session: an HMAC of its secret under the server's signing key. */
export const csrfTokenFor = (box: SecretBox, sessionSecret: string): string => box.sign(`csrf:${sessionSecret}`)

const safeMethods = new Set(['GET', 'HEAD', 'OPTIONS'])

export interface CsrfOptions {
  /** The token of a session: derived from its secret with the server's signing key (SecretBox.sign). */
  tokenFor(sessionSecret: string): string
  /** Secure cookies (PUBLIC_URL is https). */
  secure: boolean
}

/** Sets the CSRF cookie: readable by the page's script (not HttpOnly), never sent cross-site (Strict). */
export function setCsrfCookie(reply: FastifyReply, token: string, opts: { secure: boolean; expires?: Date | undefined }): void {
  reply.setCookie(CSRF_COOKIE, token, { httpOnly: false, sameSite: 'strict', secure: opts.secure, path: '/', ...(opts.expires && { expires: opts.expires }) })
}

/**
 * CSRF protection for cookie-authenticated writes (double submit, bound to the
 * session): every POST/PUT/PATCH/DELETE under /api/v1 authenticated by the
 * session cookie must carry `x-csrf-token` equal to the `omnidesk_csrf`
 * cookie, which is an HMAC of the session secret under the server's key. Another
 * site can make the browser send the session cookie but can neither read the
 * CSRF cookie nor compute its value, and a cookie planted by a sibling
 * subdomain does not match the session. Bearer-token requests are exempt (a
 * browser never attaches a token on its own). A session without the cookie (one
 * created before this existed) gets it on its next request.
 *
 * Registered after installAuth: it reads the actor that hook resolved.
 */
export function installCsrf(app: FastifyInstance, opts: CsrfOptions): void {
  app.addHook('onRequest', async (request, reply) => {
    if (!request.url.startsWith('/api/v1')) return
    const actor = request.actor as typeof request.actor | null
    // Only session actors are users without a token; a bearer request always has a tokenId.
    if (!actor || actor.kind !== 'user' || request.headers.authorization) return
    const session = request.cookies?.[SESSION_COOKIE]
    if (!session) return
    const expected = opts.tokenFor(session)
    const cookie = request.cookies[CSRF_COOKIE]
    if (cookie !== expected) setCsrfCookie(reply, expected, { secure: opts.secure })
    if (safeMethods.has(request.method)) return
    const header = request.headers[CSRF_HEADER]
    if (typeof header !== 'string' || !safeEqual(header, expected))
      throw new AppError('CSRF_TOKEN_INVALID', `A write with the session cookie must send the ${CSRF_HEADER} header, equal to the ${CSRF_COOKIE} cookie`)
  })
}
