import type { FastifyError, FastifyInstance } from 'fastify'
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod'
import { AppError, type ErrorCode, errorCatalogue, isUniqueViolation } from '../errors.ts'

const body = (code: ErrorCode, message: string, details?: unknown) => ({
  error: details === undefined ? { code, message } : { code, message, details },
})

/** Maps every failure to `{ error: { code, message, details? } }` with its status. */
export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, request, reply) => {
    if (err instanceof AppError) return reply.status(err.status).send(body(err.code, err.message, err.details))
    if (hasZodFastifySchemaValidationErrors(err)) {
      const details = err.validation.map((v) => ({
        field: [err.validationContext, ...String(v.instancePath ?? '').split('/').filter(Boolean)].join('.'),
        message: v.message,
      }))
      return reply.status(400).send(body('VALIDATION_FAILED', `Invalid request: ${details.map((d) => `${d.field} ${d.message}`).join('; ')}`, details))
    }
    if (err.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || err.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || err instanceof SyntaxError)
      return reply.status(400).send(body('INVALID_JSON', 'The request body is not valid JSON'))
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE')
      return reply.status(413).send(body('PAYLOAD_TOO_LARGE', `The request body is larger than the limit of ${request.routeOptions.bodyLimit ?? app.initialConfig.bodyLimit} bytes`))
    if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE')
      return reply.status(415).send(body('UNSUPPORTED_MEDIA_TYPE', 'Send JSON with Content-Type: application/json'))
    if (err.statusCode === 429) return reply.status(429).send(body('RATE_LIMITED', err.message || 'Too many requests; slow down'))
    if (isUniqueViolation(err)) return reply.status(409).send(body('CONFLICT', 'A record with the same unique value already exists'))
    if ((err as { code?: string }).code === '22P02' || (err as { code?: string }).code === '22007')
      return reply.status(400).send(body('VALIDATION_FAILED', 'A value has the wrong format'))
    if (isResponseSerializationError(err)) request.log.error({ err, cause: err.cause }, 'response did not match its schema')
    else if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500)
      return reply.status(err.statusCode).send(body(err.statusCode === 404 ? 'NOT_FOUND' : 'VALIDATION_FAILED', err.message))
    else request.log.error({ err }, 'unhandled error')
    return reply.status(500).send(body('INTERNAL', `Something went wrong on our side (request ${request.id})`))
  })
  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send(body('NOT_FOUND', `No route for ${request.method} ${request.url.split('?')[0]}`)),
  )
}

export { errorCatalogue }
