import { z } from 'zod'
import { humanText } from '../../platform/http/schemas.ts'
import { secret } from '../channel.ts'

const host = z.string().trim().min(1).max(255)
const port = z.number().int().min(1).max(65535)

/** An IMAP mailbox polled for inbound mail. */
export const imapSettingsSchema = z.strictObject({
  host,
  port,
  /** TLS from the start (993); false means STARTTLS on a plain port. */
  secure: z.boolean(),
  user: z.string().min(1).max(320),
  password: secret(),
  /** The folder watched with IDLE for near-real-time arrival (default INBOX). */
  folder: z.string().min(1).max(200).optional(),
  /** More folders to fetch from besides `folder` (e.g. a Gmail label); polled on the interval, not watched with IDLE. */
  folders: z.array(z.string().min(1).max(200)).max(20).optional(),
  /** On the first sync, also fetch mail received since this date (`2024-05-01` or an ISO timestamp); without it, only mail arriving from then on. */
  backfillSince: z.union([z.iso.date(), z.iso.datetime({ offset: true })]).optional(),
})

/** An SMTP relay for outbound mail; without one, mail goes out through the instance's own relay. */
export const smtpSettingsSchema = z.strictObject({
  host,
  port,
  secure: z.boolean(),
  user: z.string().min(1).max(320).optional(),
  password: secret().optional(),
})

/**
 * How inbound mail joins conversations (docs/channels/email.md, Threading).
 * Missing settings take these defaults when the mail is processed.
 */
export const emailThreadingSchema = z.strictObject({
  /** Same contact and normalised subject within this many days joins a still-open case; 0 turns the fallback off. */
  subjectFallbackDays: z.number().int().min(0).max(365).default(7),
  /** A reply reopens a solved case solved at most this many days ago; later (or when closed) a linked follow-up is opened. */
  reopenWindowDays: z.number().int().min(0).max(3650).default(14),
})
export type EmailThreading = z.infer<typeof emailThreadingSchema>

/**
 * An automatic acknowledgement sent when customer mail opens a new
 * conversation; never to automated senders, at most one per sender per
 * `perSenderMinutes` (default 60).
 */
export const autoAcknowledgeSchema = z.strictObject({
  enabled: z.boolean(),
  subject: humanText(300).optional(),
  text: z.string().trim().min(1).max(10_000),
  perSenderMinutes: z.number().int().min(1).max(7 * 24 * 60).optional(),
})

/**
 * An email inbox. `address` is the address it receives at, unique across the
 * whole instance (inbound routing looks it up without a workspace), stored lower-case.
 */
export const emailConfigSchema = z.strictObject({
  address: z.string().trim().toLowerCase().pipe(z.email('must be an email address').max(320)),
  displayName: humanText(200).optional(),
  imap: imapSettingsSchema.optional(),
  smtp: smtpSettingsSchema.optional(),
  autoAcknowledge: autoAcknowledgeSchema.optional(),
  threading: emailThreadingSchema.optional(),
})
export type EmailConfig = z.infer<typeof emailConfigSchema>
