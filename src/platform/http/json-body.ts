import http from 'node:http'
import type { Socket } from 'node:net'
import type { FastifyInstance } from 'fastify'
import { AppError, type ErrorCode } from '../errors.ts'

/** The deepest a JSON body may nest (the body itself is level 1). */
export const MAX_JSON_DEPTH = 32

/**
 * Whether JSON text nests objects/arrays deeper than `max`. One linear scan
 * with no recursion, so it runs safely before JSON.parse and before anything
 * that walks the value recursively (zod, JSON.stringify, the jsonb encoder).
 */
export function jsonNestsDeeperThan(text: string, max: number): boolean {
  let depth = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === 0x5c) i++ // backslash: skip the escaped character
      else if (c === 0x22) inString = false
    } else if (c === 0x22) inString = true
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) return true
    } else if (c === 0x7d || c === 0x5d) depth--
  }
  return false
}

/**
 * Replaces Fastify's body parsers: `application/json` is read as bytes (within
 * the same body limits), refused unless it is valid UTF-8 (Fastify's own parser
 * would silently turn bad bytes into U+FFFD), refused when nested deeper than
 * MAX_JSON_DEPTH, then parsed by Fastify's default JSON parser (which keeps the
 * prototype-poisoning protection). `text/plain` is no longer accepted, so it is
 * a 415 like every other non-JSON type.
 */
export function installJsonBodyParser(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error')
  const utf8 = new TextDecoder('utf-8', { fatal: true })
  app.removeContentTypeParser(['application/json', 'text/plain'])
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    let text: string
    try {
      text = utf8.decode(body as Buffer)
    } catch {
      done(new AppError('INVALID_JSON', 'The request body is not valid UTF-8'), undefined)
      return
    }
    if (jsonNestsDeeperThan(text, MAX_JSON_DEPTH)) {
      const message = `must not nest deeper than ${MAX_JSON_DEPTH} levels`
      done(new AppError('VALIDATION_FAILED', `Invalid request: body ${message}`, [{ field: 'body', message }]), undefined)
      return
    }
    parseJson(request, text, done)
  })
}

/**
 * Errors Node's HTTP parser raises before Fastify sees a request (an over-long
 * URL or header block, a malformed request line) answered in our error shape
 * instead of Fastify's `{ error, message, statusCode }`. Fastify installs its
 * own `clientError` listener when the instance is created; it is replaced here.
 */
export function installClientErrorHandler(app: FastifyInstance): void {
  app.server.removeAllListeners('clientError')
  app.server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    // The peer is gone: nothing to answer (as Node and Fastify do).
    if (err.code === 'ECONNRESET' || socket.destroyed) return
    const [status, code, message]: [number, ErrorCode, string] =
      err.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'HEADERS_TOO_LARGE', 'The request line and headers are too large; send long values (such as a cursor) shorter, or in the body']
        : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? [408, 'REQUEST_TIMEOUT', 'The request was not received in time']
          : [400, 'MALFORMED_REQUEST', 'The request is not valid HTTP']
    app.log.trace({ err }, 'client error')
    if (socket.writable) {
      const body = JSON.stringify({ error: { code, message } })
      socket.write(
        `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nContent-Type: application/json; charset=utf-8\r\nConnection: close\r\n\r\n${body}`,
      )
    }
    socket.destroy(err)
  })
}
