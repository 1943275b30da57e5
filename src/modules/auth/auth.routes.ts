import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { SESSION_COOKIE } from '../../platform/http/auth.ts'
import { CSRF_COOKIE, setCsrfCookie } from '../../platform/http/csrf.ts'
import { commonErrors, humanText, idParam, isoDate } from '../../platform/http/schemas.ts'
import { userSchema } from '../users/index.ts'
import type { AuthService } from './auth.service.ts'

const tokenSchema = z
  .object({
    id: z.uuid(),
    userId: z.uuid(),
    name: z.string(),
    prefix: z.string(),
    expiresAt: z.string().nullable(),
    revokedAt: z.string().nullable(),
    lastUsedAt: z.string().nullable(),
    createdAt: z.string(),
  })
  .meta({ id: 'ApiToken' })

export const authRoutes =
  (auth: AuthService, opts: { loginRateLimit: number; secureCookies: boolean; csrfToken: (sessionSecret: string) => string }): FastifyPluginAsyncZod =>
  async (app) => {
    const tags = ['Authentication']
    app.post('/auth/login', {
      config: { public: true, rateLimit: { max: opts.loginRateLimit, timeWindow: '1 minute', keyGenerator: (req) => req.ip } },
      schema: {
        tags,
        summary: 'Sign in with email and password; sets an HttpOnly session cookie and the readable omnidesk_csrf cookie',
        description: 'Writes (POST/PUT/PATCH/DELETE) authenticated by the session cookie must send the x-csrf-token header equal to the omnidesk_csrf cookie (403 CSRF_TOKEN_INVALID otherwise). Bearer-token requests need no header.',
        security: [],
        body: z.strictObject({ email: z.string().trim().max(320).min(1), password: z.string().min(1).max(256), workspaceId: z.uuid().optional() }),
        response: { 200: z.object({ user: userSchema, expiresAt: z.string() }), ...commonErrors },
      },
    }, async (req, reply) => {
      const { secret, expiresAt, user } = await auth.login(req.body, req)
      reply.setCookie(SESSION_COOKIE, secret, { httpOnly: true, sameSite: 'lax', secure: opts.secureCookies, path: '/', expires: expiresAt })
      setCsrfCookie(reply, opts.csrfToken(secret), { secure: opts.secureCookies, expires: expiresAt })
      return { user, expiresAt: expiresAt.toISOString() }
    })

    app.post('/auth/logout', { schema: { tags, summary: 'End the current session', response: { 204: z.null(), ...commonErrors } } }, async (req, reply) => {
      await auth.logout(req.actor, req.cookies[SESSION_COOKIE])
      reply.clearCookie(SESSION_COOKIE, { path: '/' })
      reply.clearCookie(CSRF_COOKIE, { path: '/' })
      return reply.status(204).send(null)
    })

    app.get('/auth/me', {
      schema: {
        tags,
        summary: 'Who am I',
        response: {
          200: z.object({ workspaceId: z.uuid(), userId: z.uuid().nullable(), role: z.string(), kind: z.string(), instanceOwner: z.boolean(), label: z.string() }),
          ...commonErrors,
        },
      },
    }, async (req) => {
      // The one route that opens no transaction: a cached token is re-checked here too.
      await auth.confirm(req.actor)
      return {
        workspaceId: req.actor.workspaceId,
        userId: req.actor.userId,
        role: req.actor.role,
        kind: req.actor.kind,
        instanceOwner: req.actor.instanceOwner === true,
        label: req.actor.label,
      }
    })

    app.post('/tokens', {
      schema: {
        tags,
        summary: 'Create an API token (for yourself, or as an admin for another user). The secret is shown only in this response.',
        body: z.strictObject({ name: humanText(100).pipe(z.string().min(1)), userId: z.uuid().optional(), expiresAt: isoDate.optional() }),
        response: { 201: z.object({ token: tokenSchema, secret: z.string() }), ...commonErrors },
      },
    }, async (req, reply) => reply.status(201).send(await auth.createToken(req.actor, req.body)))

    app.get('/tokens', { schema: { tags, summary: 'List API tokens (admins see all, others their own)', response: { 200: z.object({ items: z.array(tokenSchema), nextCursor: z.null() }), ...commonErrors } } }, async (req) => ({
      items: await auth.listTokens(req.actor),
      nextCursor: null,
    }))

    app.delete('/tokens/:id', { schema: { tags, summary: 'Revoke an API token', params: idParam, response: { 200: tokenSchema, ...commonErrors } } }, async (req) =>
      auth.revokeToken(req.actor, req.params.id),
    )
  }
