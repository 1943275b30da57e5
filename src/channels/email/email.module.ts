import fs from 'node:fs'
import type { ModuleParts, Platform } from '../../platform/platform.ts'
import type { ConversationsService } from '../../modules/conversations/index.ts'
import { emailRoutes } from './email.routes.ts'
import { createEmailService } from './email.service.ts'
import { createInboundProcessor } from './inbound-processor.ts'
import { createInboundStore } from './inbound-store.ts'
import { createRecentRaw } from './recent-raw.ts'
import type { ParsedEmail } from './parse.ts'
import { createSmtpInbound } from './smtp-inbound.ts'
import { autoAcknowledgeListener } from './listeners/conversation-created.auto-acknowledge.ts'
import { refileInboundOnMessageMoved } from './listeners/message-moved.refile-inbound.ts'
import { imapRoutes } from './imap/imap.routes.ts'
import { createImapService } from './imap/imap.service.ts'
import { createImapPoller } from './imap/poller.ts'

export type { EmailService } from './email.service.ts'
export type { InboundEmail, InboundEmailSummary, InboundStatus, ThreadingDecision } from './email.types.ts'
export type { SmtpInbound } from './smtp-inbound.ts'
export type { InboundProcessor } from './inbound-processor.ts'
export type { InboundStore } from './inbound-store.ts'
export type { ImapPoller } from './imap/poller.ts'
export type { ImapMailbox } from './imap/imap.types.ts'
export { classifyEmail, classifications, type Classification, type ClassificationResult } from './classify.ts'
export { parseEmail, dedupeKeyOf, messageIdsIn, normaliseMessageId, type ParsedEmail } from './parse.ts'
export { extractReplyText } from './reply-text.ts'
export { generateMessageId, isOwnMessageId, OWN_MESSAGE_ID_MARKER, OWN_LOOP_HEADER } from './message-id.ts'

/** Workspaces whose mail is written at once on PostgreSQL (see createEmailModule). */
const POSTGRES_WRITERS = 4
/** How long a batch transaction waits for a lock on PostgreSQL before it writes its mails one by one (well below deadlock_timeout, 1 s). */
const POSTGRES_BATCH_LOCK_TIMEOUT_MS = 200

export interface EmailModuleDeps {
  conversations: Pick<ConversationsService, 'ingestInboundInTx' | 'addAutomaticMessageInTx'>
  /** Replaces the mail parser (tests inject failures). */
  parse?: (raw: Buffer) => Promise<ParsedEmail>
}

/**
 * The email channel, inbound half: the SMTP server (smtp), durable storage of
 * every accepted message, the processor that classifies mail and hands
 * customer mail to conversations, and the inbound-mail/quarantine API.
 * Collaborators come from `p` (db, tx, blobs, logger, config), so a test can
 * build the module with a failing blob store.
 */
export function createEmailModule(p: Platform, deps: EmailModuleDeps) {
  const recent = createRecentRaw()
  const processor = createInboundProcessor(
    { ...p, conversations: deps.conversations, recent, ...(deps.parse && { parse: deps.parse }) },
    // One process owns an embedded database, so claims found at start are a dead process's.
    // Each batch writes a workspace's mails in one transaction. PGlite is one session: one
    // transaction at a time (more would only queue on the pool), and nothing else can hold a lock
    // while it runs. PostgreSQL writes a few workspaces at once, and a batch transaction yields
    // (one mail per transaction instead) rather than wait long on a lock: inbound-processor.ts.
    p.database.backend === 'pglite' ? { soleOwner: true, concurrency: 1 } : { concurrency: POSTGRES_WRITERS, batchLockTimeoutMs: POSTGRES_BATCH_LOCK_TIMEOUT_MS },
  )
  const store = createInboundStore(p, { onStored: () => processor.kick(), recent })
  const { config } = p
  const tls = config.smtpTlsCert && config.smtpTlsKey ? { cert: fs.readFileSync(config.smtpTlsCert), key: fs.readFileSync(config.smtpTlsKey) } : undefined
  const auth = config.smtpAuthUser && config.smtpAuthPassword ? { user: config.smtpAuthUser, password: config.smtpAuthPassword } : undefined
  const smtp = createSmtpInbound(store, { maxSize: config.smtpMaxSize, tls, auth, name: config.publicUrl ? new URL(config.publicUrl).hostname : undefined }, p.logger.child({ component: 'smtp' }))
  const service = createEmailService(p, { onRequeued: () => processor.kick() })
  // IMAP mailboxes feed the same durable store as the SMTP server; start() begins polling.
  const imap = createImapPoller({ ...p, store }, { pollIntervalMs: config.imapPollIntervalSeconds * 1000, authRetryMs: config.imapAuthRetrySeconds * 1000 })
  const imapService = createImapService(p)
  const parts = {
    service,
    routes: async (app) => {
      await app.register(emailRoutes(service))
      await app.register(imapRoutes(imapService))
    },
    listeners: [imap.listener, refileInboundOnMessageMoved, autoAcknowledgeListener(deps)],
  } satisfies ModuleParts
  return { ...parts, smtp, processor, store, imap }
}
export type EmailModule = ReturnType<typeof createEmailModule>
