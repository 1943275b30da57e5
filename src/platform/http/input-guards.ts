import type { FastifyInstance, FastifyRequest } from 'fastify'
import { ZodObject } from 'zod'
import { canonicalJson } from '../crypto.ts'
import { AppError } from '../errors.ts'
import type { CursorCodec } from './cursor.ts'
import { installClientErrorHandler, installJsonBodyParser, MAX_JSON_DEPTH } from './json-body.ts'

/**
 * Checks every request once, at the edge, before any route schema or service
 * sees it (docs/api.md, "Input limits"):
 *
 * - JSON bodies must be valid UTF-8 and nest at most MAX_JSON_DEPTH levels;
 *   other content types are a 415 (json-body.ts);
 * - no string or object key in the query, path parameters or body may contain
 *   NUL (PostgreSQL cannot store it in text or jsonb) or a lone surrogate
 *   (it cannot be encoded as UTF-8): 400 VALIDATION_FAILED naming the field;
 * - under /api/v1, a query parameter the route does not declare is a 400
 *   (not on a WebSocket upgrade, which answers in its own protocol);
 * - webhook routes (`config.webhook`) are exempt: they take raw bytes of any
 *   type, and must not be refused before their signature is checked;
 * - list cursors are bound to their list: each `nextCursor` answered carries
 *   the identity of the list (route, path parameters, filters, workspace), and
 *   a cursor given to another list is a 400 INVALID_CURSOR.
 */
declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * An inbound provider webhook (src/channels/webhooks.ts): its body is kept
     * as raw bytes of any content type and checked by the channel after the
     * signature, so these guards leave it alone.
     */
    webhook?: boolean
  }
}

export function installInputGuards(app: FastifyInstance, cursors: CursorCodec): void {
  installJsonBodyParser(app)
  installClientErrorHandler(app)
  const listIds = new WeakMap<FastifyRequest, string>()

  app.addHook('preValidation', async (request) => {
    // No route: the 404 says so, whatever the query.
    if (request.is404) return
    if (request.routeOptions.config?.webhook) return
    refuseBadText(request.params, 'params')
    refuseBadText(request.query, 'querystring')
    refuseBadText(request.body, 'body')
    if (!request.url.startsWith('/api/v1/')) return
    const query = (request.query ?? {}) as Record<string, unknown>
    // A WebSocket upgrade speaks its own protocol (auth frame, close codes); a stray query parameter is ignored there.
    if (request.headers.upgrade?.toLowerCase() === 'websocket') return
    refuseUnknownQuery(request, query)
    if (request.method !== 'GET' || !('cursor' in allowedQueryKeys(request))) return
    const listId = listIdentity(request, query)
    listIds.set(request, listId)
    if (query.cursor === undefined) return
    if (typeof query.cursor !== 'string') throw new AppError('INVALID_CURSOR', 'Give one cursor')
    query.cursor = cursors.unbind(query.cursor, listId)
  })

  app.addHook('preSerialization', async (request, _reply, payload: unknown) => {
    const listId = listIds.get(request)
    if (listId === undefined || payload === null || typeof payload !== 'object') return payload
    const { nextCursor } = payload as { nextCursor?: unknown }
    return typeof nextCursor === 'string' ? { ...payload, nextCursor: cursors.bind(nextCursor, listId) } : payload
  })
}

/** What makes a list a list: the same route, path parameters, filters and workspace; not the page size. */
function listIdentity(request: FastifyRequest, query: Record<string, unknown>): string {
  const { cursor: _cursor, limit: _limit, ...filters } = query
  return canonicalJson([request.actor?.workspaceId ?? null, request.routeOptions.url ?? '', request.params ?? {}, filters])
}

/** The query parameters the route's querystring schema declares (none without one); `cursor` marks a paginated list. */
function allowedQueryKeys(request: FastifyRequest): Record<string, unknown> {
  const schema: unknown = request.routeOptions.schema?.querystring
  return schema instanceof ZodObject ? (schema.shape as Record<string, unknown>) : {}
}

function refuseUnknownQuery(request: FastifyRequest, query: Record<string, unknown>): void {
  const schema: unknown = request.routeOptions.schema?.querystring
  // A non-object schema (a union, a pipe) validates the query itself.
  if (schema !== undefined && !(schema instanceof ZodObject)) return
  const allowed = allowedQueryKeys(request)
  const unknown = Object.keys(query).filter((k) => !Object.hasOwn(allowed, k))
  if (unknown.length === 0) return
  const details = unknown.map((k) => ({ field: `querystring.${printable(k)}`, message: 'is not a known parameter' }))
  throw new AppError('VALIDATION_FAILED', `Invalid request: ${details.map((d) => `${d.field} ${d.message}`).join('; ')}`, details)
}

const printable = (s: string) => s.replace(/\u0000/g, '\\u0000')

function textProblem(s: string): string | null {
  if (s.includes('\u0000')) return 'must not contain NUL (\\u0000) characters'
  if (!s.isWellFormed()) return 'must be well-formed Unicode (no lone surrogates)'
  return null
}

/**
 * Walks a parsed value without recursion (a stack of pending nodes), so a
 * hostile value cannot overflow the call stack; deeper than the JSON limit is
 * refused too (values that did not come through the JSON parser).
 */
function refuseBadText(root: unknown, base: string): void {
  const stack: Array<{ value: unknown; path: string[] }> = [{ value: root, path: [] }]
  const fail = (path: string[], message: string): never => {
    const field = [base, ...path.map(printable)].join('.')
    throw new AppError('VALIDATION_FAILED', `Invalid request: ${field} ${message}`, [{ field, message }])
  }
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const { value, path } = item
    if (typeof value === 'string') {
      const problem = textProblem(value)
      if (problem) fail(path, problem)
      continue
    }
    if (value === null || typeof value !== 'object' || ArrayBuffer.isView(value)) continue
    if (path.length >= MAX_JSON_DEPTH) fail(path, `must not nest deeper than ${MAX_JSON_DEPTH} levels`)
    if (Array.isArray(value)) {
      value.forEach((v, i) => stack.push({ value: v, path: [...path, String(i)] }))
      continue
    }
    for (const [key, v] of Object.entries(value)) {
      const problem = textProblem(key)
      if (problem) fail([...path, key], `(the key) ${problem}`)
      stack.push({ value: v, path: [...path, key] })
    }
  }
}
