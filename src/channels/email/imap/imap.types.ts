import { z } from 'zod'
import { emailConfigSchema } from '../config.ts'

/** The IMAP settings as stored in the inbox's public config: the password lives encrypted in its secrets. */
const imapPublicSchema = emailConfigSchema.shape.imap.unwrap().omit({ password: true })

/** One mailbox the poller watches: an email inbox with `config.imap`, credentials decrypted. */
export interface Mailbox {
  workspaceId: string
  inboxId: string
  /** The inbox's address: the envelope recipient recorded for fetched mail. */
  address: string
  host: string
  port: number
  secure: boolean
  user: string
  /** null when the inbox's secrets could not be read (changed instance key) or were never set. */
  password: string | null
  /** The first is watched with IDLE; the rest are polled. Never empty. */
  folders: string[]
  /** The backfill point of a first sync; null: only mail arriving from then on. */
  backfillSince: Date | null
}

/** The folders to fetch from, in order: `folder` (default INBOX) first, then `folders`, without repeats. */
export function foldersOf(imap: { folder?: string | undefined; folders?: string[] | undefined }): string[] {
  const list = [imap.folder ?? (imap.folders && imap.folders.length > 0 ? undefined : 'INBOX'), ...(imap.folders ?? [])].filter((f): f is string => f !== undefined)
  return [...new Set(list)]
}

/** The mailbox of an inbox row, or null when its IMAP settings do not parse (reported by the caller). */
export function toMailbox(row: { id: string; workspace_id: string; config: Record<string, unknown> }, password: string | null): Mailbox | null {
  const parsed = imapPublicSchema.safeParse(row.config.imap)
  if (!parsed.success) return null
  const imap = parsed.data
  return {
    workspaceId: row.workspace_id,
    inboxId: row.id,
    address: String(row.config.address ?? '').toLowerCase(),
    host: imap.host,
    port: imap.port,
    secure: imap.secure,
    user: imap.user,
    password,
    folders: foldersOf(imap),
    backfillSince: imap.backfillSince ? new Date(imap.backfillSince) : null,
  }
}

/**
 * `pending`: not fetched yet; `ok`: the last attempt fetched; `failing`: the
 * server could not be reached or refused a command (retried with exponential
 * backoff); `auth_failed`: the server refused the login (an alert was raised;
 * retried slowly until the settings change).
 */
export const mailboxStatuses = ['pending', 'ok', 'failing', 'auth_failed'] as const
export type MailboxStatus = (typeof mailboxStatuses)[number]

export const imapFolderStateSchema = z
  .object({
    folder: z.string(),
    /** The folder's UIDVALIDITY when its checkpoint was taken (a string: it may exceed 2^53 in theory). */
    uidValidity: z.string(),
    /** Mail up to this UID is stored (or predates the sync start); fetching resumes after it. */
    lastUid: z.number().int(),
    /** Messages fetched and stored, and of those how many were already there (same Message-ID: SMTP copy, re-fetch). */
    fetched: z.number().int(),
    duplicates: z.number().int(),
    /** How often UIDVALIDITY changed and the folder was synced again from the backfill point. */
    resyncs: z.number().int(),
    updatedAt: z.string(),
  })
  .meta({ id: 'ImapFolderState' })

/** The health of one IMAP mailbox (an email inbox with IMAP settings), as the API shows it. */
export const imapMailboxSchema = z
  .object({
    inboxId: z.uuid(),
    inboxName: z.string(),
    address: z.string(),
    active: z.boolean(),
    host: z.string(),
    port: z.number().int(),
    user: z.string(),
    folders: z.array(z.string()),
    backfillSince: z.string().nullable(),
    status: z.enum(mailboxStatuses),
    lastSuccessAt: z.string().nullable(),
    lastAttemptAt: z.string().nullable(),
    /** The last failure, for people: never holds the password. */
    lastError: z.string().nullable(),
    lastErrorAt: z.string().nullable(),
    consecutiveFailures: z.number().int(),
    /** When the poller tries again after a failure; null while healthy. */
    nextAttemptAt: z.string().nullable(),
    checkpoints: z.array(imapFolderStateSchema),
  })
  .meta({ id: 'ImapMailbox' })
export type ImapMailbox = z.infer<typeof imapMailboxSchema>
