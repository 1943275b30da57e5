import fs from 'node:fs'
import path from 'node:path'
import fastifyStatic from '@fastify/static'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { z } from 'zod'
import type { Actor } from '../auth/actor.ts'

/**
 * Serves the agent desk (web/, built by Vite into dist/web/) from the same
 * process: hashed assets under /assets/ with a year of caching, and index.html
 * at `/` and under the app's own top-level paths (appPathPrefixes), where the app
 * routes in the browser. The app's pages get their own Content-Security-Policy: no
 * inline script, images from our origin, data: and blob: only, frames only from
 * our origin (the email view below). API responses keep their headers.
 *
 * Customer HTML (an email) is shown at
 * GET /api/v1/conversations/:id/messages/:messageId/html inside an
 * `<iframe sandbox="">`: the document carries its own CSP (no script at all,
 * `sandbox`), and remote images load only with `?remoteImages=1`, when the agent
 * asks. It is a URL document rather than srcdoc because a srcdoc frame inherits
 * the app's policy, which could then never allow remote images for one message.
 */
export const appCsp = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "frame-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ')

export function messageHtmlCsp(remoteImages: boolean): string {
  return [
    "default-src 'none'",
    `img-src data:${remoteImages ? ' https: http:' : ''}`,
    "style-src 'unsafe-inline'",
    'font-src data:',
    "form-action 'none'",
    "frame-ancestors 'self'",
    'sandbox',
  ].join('; ')
}

/**
 * The app's own top-level paths (its router's routes, web/src/app/App.tsx): a
 * deep link or a reload there gets index.html. Only these are routed here, so
 * every other path (/api/…, /webhooks/…, a typo) keeps the API's JSON 404 and
 * its input guards. Add a prefix here when the app gets a new top-level route.
 */
export const appPathPrefixes = ['inbox', 'cases', 'contacts', 'search', 'admin', 'board', 'settings'] as const

export interface WebAppOptions {
  /** The built app (dist/web). When index.html is missing, pages answer 503 saying how to build it. */
  root: string
  /** Sanitised HTML of a message, or null when it is plain text; throws NOT_FOUND across workspaces. */
  messageHtml: (actor: Actor, conversationId: string, messageId: string) => Promise<string | null>
}

export async function installWebApp(app: FastifyInstance, opts: WebAppOptions): Promise<void> {
  const root = path.resolve(opts.root)
  await app.register(fastifyStatic, { root, serve: false })

  const sendIndex = (reply: FastifyReply) => {
    if (!fs.existsSync(path.join(root, 'index.html')))
      return reply
        .status(503)
        .type('text/plain; charset=utf-8')
        .send('The Omnidesk web app is not built yet: run `npm run build` (or restart with `npm start`, which builds it).')
    return reply.header('content-security-policy', appCsp).header('cache-control', 'no-cache').sendFile('index.html', { cacheControl: false })
  }

  const page = async (request: FastifyRequest, reply: FastifyReply) => {
    const url = request.url.split('?')[0] ?? '/'
    if (url.startsWith('/assets/')) {
      const rel = decodeURIComponent(url.slice(1))
      const full = path.resolve(root, rel)
      if (!full.startsWith(root + path.sep) || !fs.existsSync(full) || !fs.statSync(full).isFile()) return reply.callNotFound()
      // Names carry a content hash: a new build has new names.
      return reply.sendFile(rel, { maxAge: 365 * 24 * 3600 * 1000, immutable: true })
    }
    return sendIndex(reply)
  }
  const hidden = { schema: { hide: true }, config: { public: true } }
  app.get('/', hidden, page)
  app.get('/assets/*', hidden, page)
  for (const prefix of appPathPrefixes) {
    app.get(`/${prefix}`, hidden, page)
    app.get(`/${prefix}/*`, hidden, page)
  }

  app.get('/api/v1/conversations/:id/messages/:messageId/html', {
    schema: {
      hide: true,
      params: z.strictObject({ id: z.uuid(), messageId: z.uuid() }),
      querystring: z.strictObject({ remoteImages: z.enum(['0', '1']).optional() }),
    },
  }, async (req, reply) => {
    const { id, messageId } = req.params as { id: string; messageId: string }
    const remote = (req.query as { remoteImages?: string }).remoteImages === '1'
    const html = await opts.messageHtml(req.actor, id, messageId)
    const doc = `<!doctype html><html><head><meta charset="utf-8"><base target="_blank"><meta name="referrer" content="no-referrer"></head><body>${html ?? ''}</body></html>`
    return reply
      .header('content-security-policy', messageHtmlCsp(remote))
      .header('x-frame-options', 'SAMEORIGIN')
      .header('cache-control', 'private, no-store')
      .type('text/html; charset=utf-8')
      .send(doc)
  })
}
