import path from 'node:path'
import { z } from 'zod'

/**
 * Every environment variable Omnidesk reads, parsed and validated once at boot.
 * docs/configuration.md documents each one; keep the two in step.
 */
const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default('0.0.0.0'),
  PUBLIC_URL: z.url().optional(),
  DATA_DIR: z.string().default('./data'),
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL').optional(),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
  DATABASE_PREPARED_STATEMENTS: z.coerce.number().int().min(0).max(10_000).default(500),
  PGLITE_THREAD: z.stringbool().default(false),
  EVENTS_RETENTION_DAYS: z.coerce.number().int().min(0).max(36_500).default(7),
  SMTP_PORT: z.coerce.number().int().min(0).max(65535).default(2525),
  SMTP_HOST: z.string().default('0.0.0.0'),
  SMTP_MAX_SIZE: z.coerce.number().int().min(1024).default(25 * 1024 * 1024),
  SMTP_TLS_CERT: z.string().optional(),
  SMTP_TLS_KEY: z.string().optional(),
  SMTP_AUTH_USER: z.string().optional(),
  SMTP_AUTH_PASSWORD: z.string().optional(),
  OUTBOUND_SMTP_URL: z.string().regex(/^smtps?:\/\//, 'must be an smtp:// or smtps:// URL').optional(),
  OUTBOUND_RETRY_LIMIT: z.coerce.number().int().min(0).max(50).default(8),
  OUTBOUND_RETRY_DELAY_SECONDS: z.coerce.number().int().min(1).max(3600).default(30),
  OUTBOUND_BREAKER_FAILURES: z.coerce.number().int().min(1).max(1000).default(5),
  OUTBOUND_BREAKER_COOLDOWN_SECONDS: z.coerce.number().int().min(1).max(86_400).default(60),
  MEDIA_LINK_TTL_SECONDS: z.coerce.number().int().min(60).max(7 * 86_400).default(3600),
  EMAIL_SOFT_BOUNCE_LIMIT: z.coerce.number().int().min(1).max(1000).default(5),
  EMAIL_SOFT_BOUNCE_WINDOW_HOURS: z.coerce.number().int().min(1).max(24 * 365).default(7 * 24),
  EMAIL_SOFT_BOUNCE_PAUSE_HOURS: z.coerce.number().int().min(1).max(24 * 90).default(24),
  IMAP_POLL_INTERVAL_SECONDS: z.coerce.number().int().min(1).max(86_400).default(60),
  IMAP_AUTH_RETRY_SECONDS: z.coerce.number().int().min(1).max(86_400).default(900),
  OMNIDESK_ADMIN_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  OMNIDESK_SECRET_KEY: z.string().min(32, 'must be at least 32 characters').optional(),
  BODY_LIMIT: z.coerce.number().int().min(1024).default(1024 * 1024),
  LOGIN_RATE_LIMIT: z.coerce.number().int().min(1).default(10),
  API_RATE_LIMIT: z.coerce.number().int().min(1).default(600),
  SESSION_TTL_HOURS: z.coerce.number().int().min(1).default(24 * 7),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  TRUST_PROXY: z.stringbool().default(false),
  WEBHOOK_BODY_LIMIT: z.coerce.number().int().min(1024).max(64 * 1024 * 1024).default(1024 * 1024),
  WEBHOOK_RATE_LIMIT: z.coerce.number().int().min(1).default(600),
  SMS_INBOUND_RATE_LIMIT: z.coerce.number().int().min(1).max(100_000).default(30),
  CALLBACK_DEFAULT_DELAY_MINUTES: z.coerce.number().int().min(0).max(7 * 24 * 60).default(15),
  PRESENCE_GRACE_SECONDS: z.coerce.number().int().min(1).max(86_400).default(120),
})

export interface Config {
  port: number
  host: string
  publicUrl: string | undefined
  dataDir: string
  databaseUrl: string | undefined
  databasePoolSize: number
  databasePreparedStatements: number
  /** The embedded database (PGlite) runs in a worker thread of its own, so it uses another core than the app. */
  pgliteThread: boolean
  /** Dispatched outbox events older than this many days are pruned (timeline events are kept); 0 keeps all. */
  eventsRetentionDays: number
  smtpPort: number
  smtpHost: string
  /** Largest inbound message accepted, in bytes (larger: 552). */
  smtpMaxSize: number
  /** PEM file paths; with both set the SMTP server offers STARTTLS. */
  smtpTlsCert: string | undefined
  smtpTlsKey: string | undefined
  /** With both set the SMTP server requires AUTH (for a forwarding relay). */
  smtpAuthUser: string | undefined
  smtpAuthPassword: string | undefined
  outboundSmtpUrl: string | undefined
  /** Retries of a temporarily failed outbound send, with exponential backoff from outboundRetryDelaySeconds. */
  outboundRetryLimit: number
  outboundRetryDelaySeconds: number
  /** Consecutive temporary failures of one inbox's relay that open its circuit, and how long it stays open. */
  outboundBreakerFailures: number
  outboundBreakerCooldownSeconds: number
  /** How long a signed public link to an outbound attachment (an MMS's MediaUrl) works. */
  mediaLinkTtlSeconds: number
  /** Soft bounces (mailbox full, spam block…) in a row within the window that pause sending to an address, and for how long. */
  emailSoftBounceLimit: number
  emailSoftBounceWindowHours: number
  emailSoftBouncePauseHours: number
  /** How often each IMAP mailbox is polled when IDLE brings no news (IDLE normally delivers new mail at once). */
  imapPollIntervalSeconds: number
  /** Wait before trying a mailbox again after its server refused our login (slower than other retries, so we do not hammer it). */
  imapAuthRetrySeconds: number
  adminToken: string | undefined
  secretKey: string | undefined
  bodyLimit: number
  loginRateLimit: number
  apiRateLimit: number
  sessionTtlHours: number
  logLevel: z.infer<typeof envSchema>['LOG_LEVEL']
  trustProxy: boolean
  /** Largest inbound webhook body (any content type), in bytes. */
  webhookBodyLimit: number
  /** Webhook requests per minute per client address and provider. */
  webhookRateLimit: number
  /** Inbound SMS per minute from one number to one inbox; more are refused with 429 (a flood or a loop). */
  smsInboundRateLimit: number
  /** A callback request without `dueAt` (the IVR option, or the API) is due this many minutes after it was made. */
  callbackDefaultDelayMinutes: number
  /** An agent with no live realtime connection for this long is set offline by routing. */
  presenceGraceSeconds: number
}

export class ConfigError extends Error {}

/** Parses the environment; throws ConfigError naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // Treat empty strings as unset, as shells and .env files often export VAR=.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''))
  const parsed = envSchema.safeParse(cleaned)
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`)
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`)
  }
  const e = parsed.data
  return {
    port: e.PORT,
    host: e.HOST,
    publicUrl: e.PUBLIC_URL,
    dataDir: path.resolve(e.DATA_DIR),
    databaseUrl: e.DATABASE_URL,
    databasePoolSize: e.DATABASE_POOL_SIZE,
    databasePreparedStatements: e.DATABASE_PREPARED_STATEMENTS,
    pgliteThread: e.PGLITE_THREAD,
    eventsRetentionDays: e.EVENTS_RETENTION_DAYS,
    smtpPort: e.SMTP_PORT,
    smtpHost: e.SMTP_HOST,
    smtpMaxSize: e.SMTP_MAX_SIZE,
    smtpTlsCert: e.SMTP_TLS_CERT,
    smtpTlsKey: e.SMTP_TLS_KEY,
    smtpAuthUser: e.SMTP_AUTH_USER,
    smtpAuthPassword: e.SMTP_AUTH_PASSWORD,
    outboundSmtpUrl: e.OUTBOUND_SMTP_URL,
    outboundRetryLimit: e.OUTBOUND_RETRY_LIMIT,
    outboundRetryDelaySeconds: e.OUTBOUND_RETRY_DELAY_SECONDS,
    outboundBreakerFailures: e.OUTBOUND_BREAKER_FAILURES,
    outboundBreakerCooldownSeconds: e.OUTBOUND_BREAKER_COOLDOWN_SECONDS,
    mediaLinkTtlSeconds: e.MEDIA_LINK_TTL_SECONDS,
    emailSoftBounceLimit: e.EMAIL_SOFT_BOUNCE_LIMIT,
    emailSoftBounceWindowHours: e.EMAIL_SOFT_BOUNCE_WINDOW_HOURS,
    emailSoftBouncePauseHours: e.EMAIL_SOFT_BOUNCE_PAUSE_HOURS,
    imapPollIntervalSeconds: e.IMAP_POLL_INTERVAL_SECONDS,
    imapAuthRetrySeconds: e.IMAP_AUTH_RETRY_SECONDS,
    adminToken: e.OMNIDESK_ADMIN_TOKEN,
    secretKey: e.OMNIDESK_SECRET_KEY,
    bodyLimit: e.BODY_LIMIT,
    loginRateLimit: e.LOGIN_RATE_LIMIT,
    apiRateLimit: e.API_RATE_LIMIT,
    sessionTtlHours: e.SESSION_TTL_HOURS,
    logLevel: e.LOG_LEVEL,
    trustProxy: e.TRUST_PROXY,
    webhookBodyLimit: e.WEBHOOK_BODY_LIMIT,
    webhookRateLimit: e.WEBHOOK_RATE_LIMIT,
    smsInboundRateLimit: e.SMS_INBOUND_RATE_LIMIT,
    callbackDefaultDelayMinutes: e.CALLBACK_DEFAULT_DELAY_MINUTES,
    presenceGraceSeconds: e.PRESENCE_GRACE_SECONDS,
  }
}
