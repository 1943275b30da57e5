import type { IncomingMessage, ServerResponse } from 'node:http'
import type { FastifyInstance } from 'fastify'
import helmet from 'helmet'

/**
 * Security headers on every response — API JSON, the API docs, and any HTML
 * page served later — as helmet sets them (docs/security.md lists them):
 * `X-Content-Type-Options: nosniff`, `X-Frame-Options: DENY` with CSP
 * `frame-ancestors 'none'`, `Referrer-Policy: no-referrer`, and a
 * Content-Security-Policy that allows only same-origin scripts (the Swagger UI
 * at /api/docs loads its scripts from our own origin, so it works under it).
 * HSTS and `upgrade-insecure-requests` only when PUBLIC_URL is https: on plain
 * http they would make browsers fetch https URLs that nothing serves.
 *
 * The headers do not depend on the request (no CSP nonces), so helmet runs
 * once at start and each request gets the same header values in one hook;
 * @fastify/helmet built every helmet middleware again (CSP directives parsed
 * anew) in two hooks per request.
 *
 * Register before the routes so that 401, 404 and 429 answers carry them too.
 */
export async function installSecurityHeaders(app: FastifyInstance, opts: { publicUrl: string | undefined }): Promise<void> {
  const headers = securityHeaders(opts)
  app.addHook('onRequest', (_request, reply, done) => {
    reply.headers(headers)
    done()
  })
}

/** The headers helmet sets for our configuration, by lower-case name. */
export function securityHeaders(opts: { publicUrl: string | undefined }): Record<string, string> {
  const https = opts.publicUrl?.startsWith('https:') ?? false
  const middleware = helmet({
    contentSecurityPolicy: {
      useDefaults: true,
      directives: {
        'default-src': ["'self'"],
        'script-src': ["'self'"],
        'connect-src': ["'self'"],
        'img-src': ["'self'", 'data:'],
        'object-src': ["'none'"],
        'base-uri': ["'self'"],
        'form-action': ["'self'"],
        'frame-ancestors': ["'none'"],
        'upgrade-insecure-requests': https ? [] : null,
      },
    },
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
    hsts: https ? { maxAge: 31_536_000, includeSubDomains: true } : false,
  })
  const headers: Record<string, string> = {}
  // Helmet's middlewares only set (and remove, X-Powered-By, which Fastify never sends) headers, synchronously.
  const collect = {
    setHeader: (name: string, value: string | number) => void (headers[name.toLowerCase()] = String(value)),
    removeHeader: () => {},
  }
  middleware({} as IncomingMessage, collect as unknown as ServerResponse, (err) => {
    if (err) throw err
  })
  if (!headers['content-security-policy']) throw new Error('helmet set no Content-Security-Policy')
  return headers
}
