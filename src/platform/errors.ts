/**
 * The catalogue of stable error codes. Codes are public API: never rename one,
 * only add. Each maps to exactly one HTTP status.
 */
export const errorCatalogue = {
  VALIDATION_FAILED: 400,
  INVALID_JSON: 400,
  INVALID_CURSOR: 400,
  MALFORMED_REQUEST: 400,
  AMBIGUOUS_LOGIN: 400,
  UNAUTHENTICATED: 401,
  INVALID_CREDENTIALS: 401,
  FORBIDDEN: 403,
  CSRF_TOKEN_INVALID: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  IDENTITY_TAKEN: 409,
  IDEMPOTENCY_KEY_IN_USE: 409,
  IDEMPOTENCY_KEY_REUSED: 422,
  INVALID_TRANSITION: 422,
  REQUIRED_FIELDS_MISSING: 422,
  UNPROCESSABLE: 422,
  CONSENT_WITHDRAWN: 422,
  REQUEST_TIMEOUT: 408,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  HEADERS_TOO_LARGE: 431,
  RATE_LIMITED: 429,
  AGENT_AT_CAPACITY: 422,
  TRANSFER_NOTE_REQUIRED: 422,
  OFFER_NOT_PENDING: 409,
  QUEUE_NOT_EMPTY: 409,
  INTERNAL: 500,
  UNAVAILABLE: 503,
  /** A webhook or a chat names an inbox that does not exist, is disabled (webhooks), or is of another channel. */
  INBOX_NOT_FOUND: 404,
  /** A webhook's signature does not match the inbox's secret. */
  WEBHOOK_SIGNATURE_INVALID: 401,
  /** The chat inbox exists but is switched off. */
  INBOX_DISABLED: 403,
  /** The page's origin is not among the chat inbox's allowed origins. */
  ORIGIN_NOT_ALLOWED: 403,
  WHATSAPP_TEMPLATE_NOT_APPROVED: 422,
  /** Free text outside WhatsApp's 24-hour customer-service window (and no fallback channel): send an approved template. */
  WHATSAPP_WINDOW_CLOSED: 422,
} as const

export type ErrorCode = keyof typeof errorCatalogue

export class AppError extends Error {
  readonly status: number
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message)
    this.name = 'AppError'
    this.status = errorCatalogue[code]
  }
}

export const notFound = (what: string) => new AppError('NOT_FOUND', `${what} not found`)
export const forbidden = (message = 'You are not allowed to do this') => new AppError('FORBIDDEN', message)
export const conflict = (message: string, details?: unknown) => new AppError('CONFLICT', message, details)
export const unprocessable = (message: string, details?: unknown) => new AppError('UNPROCESSABLE', message, details)

/** PostgreSQL SQLSTATE codes we translate instead of surfacing as 500. */
export function isUniqueViolation(err: unknown, constraint?: string): boolean {
  const e = err as { code?: string; constraint?: string }
  return e?.code === '23505' && (constraint === undefined || e.constraint === constraint)
}
