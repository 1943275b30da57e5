import pino from 'pino'

/** Paths that may carry secrets; pino replaces them before anything is written. */
export const redactPaths = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  'password',
  '*.password',
  'token',
  '*.token',
  'secret',
  '*.secrets',
]

export function createLogger(level: string) {
  return pino({ level, redact: { paths: redactPaths, censor: '[redacted]' } })
}
export type Logger = pino.Logger
