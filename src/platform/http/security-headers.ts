import helmet from '@fastify/helmet'
import type { FastifyInstance } from 'fastify'

/**
 * Security headers on every response — API JSON, the API docs, and any HTML
 * page served later — via @fastify/helmet (docs/security.md lists them):
 * `X-Content-Type-Options: nosniff`, `X-Frame-Options: DENY` with CSP
 * `frame-ancestors 'none'`, `Referrer-Policy: no-referrer`, and a
 * Content-Security-Policy that allows only same-origin scripts (the Swagger UI
 * at /api/docs loads its scripts from our own origin, so it works under it).
 * HSTS and `upgrade-insecure-requests` only when PUBLIC_URL is https: on plain
 * http they would make browsers fetch https URLs that nothing serves.
 *
 * Register before the routes so that 401, 404 and 429 answers carry them too.
 */
export async function installSecurityHeaders(app: FastifyInstance, opts: { publicUrl: string | undefined }): Promise<void> {
  const https = opts.publicUrl?.startsWith('https:') ?? false
  await app.register(helmet, {
    global: true,
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
}
