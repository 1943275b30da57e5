import { type Actor, systemActor } from '../../platform/auth/actor.ts'
import { AppError } from '../../platform/errors.ts'
import { appendEvent } from '../../platform/events/events.ts'
import type { Row } from '../../platform/db/schema.ts'
import type { Tx } from '../../platform/db/tenant.ts'
import type { Platform } from '../../platform/platform.ts'
import { type ConversationsService, htmlToText, type InboundAttachment, providerMessageLockKey, sanitizeHtml } from '../../modules/conversations/index.ts'
import { applyBounceInTx, softBouncePolicy } from './bounce-handler.ts'
import { type ClassificationResult, classifyEmail } from './classify.ts'
import * as repo from './email.repository.ts'
import type { ThreadingDecision } from './email.types.ts'
import type { ParsedAttachment, ParsedEmail } from './parse.ts'
import { extractReplyText } from './reply-text.ts'
import { decideThreading, lockThreadReadSettings, type ThreadingSettings } from './threading.ts'

export type HandlerDeps = Pick<Platform, 'tx' | 'box' | 'blobs' | 'logger' | 'config'> & {
  conversations: Pick<ConversationsService, 'ingestInboundInTx'>
}

/** PostgreSQL's deadlock_detected and serialization_failure: the transaction may simply run again. */
const RETRYABLE_SQLSTATES = new Set(['40P01', '40001'])
const TX_RETRIES = 5

/** Runs a transaction again when PostgreSQL aborted it for a deadlock (concurrent mails of one workspace). */
async function retryOnDeadlock<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn()
    } catch (err) {
      const code = (err as { code?: unknown }).code
      if (attempt >= TX_RETRIES || typeof code !== 'string' || !RETRYABLE_SQLSTATES.has(code)) throw err
    }
  }
}

/** A failure that retrying cannot fix: the row goes to quarantine at once. */
export class PermanentFailure extends Error {}

const FULL_TEXT_LIMIT = 256 * 1024

const extensions: Record<string, string> = {
  'message/rfc822': 'eml',
  'message/global': 'eml',
  'application/pdf': 'pdf',
  'image/png': 'png',
  'image/jpeg': 'jpg',
  'image/gif': 'gif',
  'image/webp': 'webp',
  'text/plain': 'txt',
  'text/html': 'html',
  'text/calendar': 'ics',
}

/**
 * The name an attachment is stored and downloaded under: the sender's (its
 * last path segment: some clients send `C:\…\file.pdf`), else one made
 * from its position and type (`attachment-2.png`, `message-3.eml`).
 */
export function attachmentFilename(a: Pick<ParsedAttachment, 'filename' | 'contentType'>, index: number): string {
  const given = a.filename?.split(/[/\\]/).pop()?.trim().slice(0, 255)
  if (given) return given
  const type = a.contentType.split(';')[0]?.trim() ?? ''
  return `${extensions[type] === 'eml' ? 'message' : 'attachment'}-${index + 1}.${extensions[type] ?? 'bin'}`
}

/** Who sent it: From, else Reply-To, else the envelope sender. */
function senderOf(parsed: ParsedEmail | null, envelopeFrom: string | null): { name?: string; email?: string } | null {
  const a = parsed?.from ?? parsed?.replyTo ?? null
  if (a) return { ...(a.name && { name: a.name }), email: a.address }
  return envelopeFrom ? { email: envelopeFrom } : null
}

/**
 * One inbound mail made ready for its transaction: what needs no database
 * (classification, text, its attachments' files) is done; `write` does the
 * rest inside the caller's transaction, after the caller took the thread
 * locks of every mail the transaction writes (threading.ts lockThreadReadSettings).
 */
export interface PlannedMail {
  row: Row<'inbound_emails'>
  /** The Message-IDs whose thread locks the transaction must hold before `write`. */
  threadKeys: string[]
  /** The intake's provider message id lock (conversations' providerMessageLockKey), taken after the thread locks; null: none. */
  providerKey: string | null
  /**
   * The thread decision, contact, conversation and message (or, for automated
   * mail, its label); returns the row's outcome, which the caller writes with
   * the others of its transaction (repo.recordOutcomes) before it commits.
   */
  write(trx: Tx, settings: ThreadingSettings): Promise<repo.InboundOutcome>
  /** After the transaction rolled back: deletes the files written for it. */
  discard(): Promise<void>
  /** After the transaction committed. */
  committed(): Promise<void>
}

/**
 * Acts on parsed inbound mail: automated mail is labelled and ignored
 * (bounces and receipts update the address's deliverability: bounce-handler.ts), customer mail becomes a
 * message through conversations.ingestInboundInTx. Writes the outcome on the row in the same transaction.
 * `handle` writes one mail in a transaction of its own; `plan` + `writeBatch`
 * write several of one workspace in one transaction (inbound-processor.ts).
 */
export function createInboundHandler(deps: HandlerDeps) {
  function planIgnore(row: Row<'inbound_emails'>, parsed: ParsedEmail, c: ClassificationResult): PlannedMail {
    const ws = row.workspace_id
    const actor = systemActor(ws, 'email')
    return {
      row,
      threadKeys: [],
      providerKey: null,
      async write(trx) {
        const changed = await applyBounceInTx(trx, actor, softBouncePolicy(deps.config), row.id, parsed, c)
        await appendEvent(trx, actor, { type: 'email.ignored', payload: { inboundEmailId: row.id, classification: c.classification, signal: c.details.signal } })
        return {
          id: row.id,
          status: 'ignored',
          classification: c.classification,
          classificationDetails: { ...c.details, ...changed },
          reason: `${c.classification.replace('_', ' ')}: ${c.details.signal}`,
          fromAddress: parsed.from?.address ?? null,
          subject: parsed.subject,
          filed: null,
          processedAt: new Date(),
        }
      },
      discard: async () => {},
      committed: async () => {},
    }
  }

  async function planIngest(row: Row<'inbound_emails'>, parsed: ParsedEmail | null, c: ClassificationResult, parseError: string | null): Promise<PlannedMail> {
    const ws = row.workspace_id
    const actor: Actor = systemActor(ws, 'email')
    const released = row.released_at !== null
    const contact = senderOf(parsed, row.envelope_from) ?? (released ? { name: 'Unknown sender' } : null)
    if (!contact) throw new PermanentFailure('no sender address (no From, Reply-To or envelope sender)')
    const fullText = parsed ? (parsed.text?.trim() ? parsed.text : parsed.html ? htmlToText(parsed.html) : '') : ''
    const reply = extractReplyText(fullText)
    const attachments = (parsed?.attachments ?? []).map((a) => ({ filename: a.filename, contentType: a.contentType, size: a.size, contentId: a.contentId, inline: a.inline }))
    const text =
      reply.text ||
      (parseError ? `(This message could not be parsed: ${parseError}. The raw message is kept.)` : attachments.length > 0 ? `(no text; ${attachments.length} attachment${attachments.length > 1 ? 's' : ''}: ${attachments.map((a) => a.filename ?? a.contentType).join(', ')})` : '(empty message)')
    const html = parsed?.html ? sanitizeHtml(parsed.html) : ''
    // Files are written before the transaction (a file cannot roll back) and deleted again
    // when no message references them: a failure, or a duplicate (the message was already written).
    const stored: InboundAttachment[] = []
    const discard = async () => {
      await Promise.all(stored.map((f) => deps.blobs.delete(f.blobKey).catch((err: unknown) => deps.logger.warn({ err, inboundEmailId: row.id }, 'could not delete an unused attachment blob'))))
    }
    try {
      for (const [i, a] of (parsed?.attachments ?? []).entries()) {
        const filename = attachmentFilename(a, i)
        const blob = await deps.blobs.put(a.content, { workspaceId: ws, filename })
        stored.push({ filename, contentType: a.contentType, size: blob.size, blobKey: blob.key, contentId: a.contentId, inline: a.inline })
      }
    } catch (err) {
      await discard()
      throw err
    }
    let duplicate = false
    const providerMessageId = row.message_id_header ?? row.dedupe_key
    // Parsed mail: the intake's duplicate check is the provider key taken with the thread locks and a part of the threading statement.
    const dedupe = parsed ? { inboxId: row.inbox_id, providerMessageId } : undefined
    return {
      row,
      threadKeys: [row.message_id_header, ...(parsed?.inReplyTo ?? []), ...(parsed?.references ?? [])].filter((id): id is string => !!id),
      providerKey: dedupe ? providerMessageLockKey(ws, dedupe.inboxId, dedupe.providerMessageId) : null,
      async write(trx, settings) {
        const decided = parsed ? await decideThreading(trx, deps.box, row, parsed, contact.email ?? null, settings, dedupe) : null
        const threading: ThreadingDecision = decided?.decision ?? { matched: null, reason: 'message could not be parsed: new conversation' }
        const ingested = await deps.conversations.ingestInboundInTx(trx, actor, {
          inboxId: row.inbox_id,
          contact,
          conversationId: threading.conversationId,
          subject: parsed?.subject ?? undefined,
          text,
          ...(html && { html }),
          providerMessageId,
          // Unchecked (a duplicate, or unparsed mail): the intake locks and finds it itself.
          ...(decided && !decided.duplicate && { providerMessageIdChecked: true }),
          reopenWindowDays: settings.reopenWindowDays,
          threading: { rule: threading.matched, reason: threading.reason },
          // A new mail (no thread) continues an open case only from another channel: email's own rules decide between mails.
          ...(threading.matched === null && { continuity: 'other-channels' as const }),
          metadata: {
            email: {
              inboundEmailId: row.id,
              messageIdHeader: row.message_id_header,
              inReplyTo: parsed?.inReplyTo ?? [],
              references: parsed?.references ?? [],
              fullText: fullText.length > FULL_TEXT_LIMIT ? fullText.slice(0, FULL_TEXT_LIMIT) : fullText,
              quoteStripped: reply.quoted,
              signatureStripped: reply.signature,
              from: parsed?.from ?? null,
              to: parsed?.to ?? [],
              cc: parsed?.cc ?? [],
              date: parsed?.date ?? null,
              attachments,
              classification: c.classification,
              threading: threading.reason,
            },
          },
          attachments: stored,
          // The outcome below needs the conversation's id and link only: its tags and SLA are not read.
        }, { details: false })
        duplicate = ingested.outcome === 'duplicate'
        return {
          id: row.id,
          status: 'processed',
          classification: c.classification,
          classificationDetails: c.details,
          reason: null,
          fromAddress: parsed?.from?.address ?? contact.email ?? null,
          subject: parsed?.subject ?? null,
          filed: {
            conversationId: ingested.conversation.id,
            messageId: ingested.message.id,
            threading: { ...threading, ...(ingested.continued && { matched: 'continuity', reason: ingested.continued }), outcome: ingested.outcome, ...(ingested.conversation.followUpOf && ingested.outcome === 'follow-up' && { followUpOf: ingested.conversation.followUpOf }) },
          },
          processedAt: new Date(),
        }
      },
      discard,
      committed: async () => {
        if (duplicate) await discard()
      },
    }
  }

  /** Prepares a claimed row for its transaction. `parsed` is null when parsing failed (only released rows get here). */
  async function plan(row: Row<'inbound_emails'>, parsed: ParsedEmail | null, parseError: string | null): Promise<PlannedMail> {
    const released = row.released_at !== null
    const c: ClassificationResult = released
      ? { classification: 'customer', details: { signal: 'released by an agent', ...(parsed && { automaticClassification: classifyEmail(parsed, { from: row.envelope_from }) }) } }
      : classifyEmail(parsed as ParsedEmail, { from: row.envelope_from })
    if (c.classification !== 'customer' && parsed) return planIgnore(row, parsed, c)
    return planIngest(row, parsed, c, parseError)
  }

  /**
   * Writes planned mails of one workspace in one transaction, in order; any
   * failure rolls back all of them (their files are discarded) and is thrown;
   * a transaction PostgreSQL aborted for a deadlock is run again first.
   * `lockTimeoutMs`: see repo.lockThreadKeysReadSettings.
   */
  async function writeBatch(workspaceId: string, plans: PlannedMail[], opts: { lockTimeoutMs?: number } = {}): Promise<void> {
    if (plans.some((m) => m.row.workspace_id !== workspaceId)) throw new Error('writeBatch: every mail must belong to the workspace')
    try {
      await retryOnDeadlock(() =>
        deps.tx(workspaceId, async (trx) => {
          // Every thread lock of the batch first, in one sorted order, then their provider keys (rank 1 of the lock order).
          const providerKeys = plans.flatMap((m) => (m.providerKey ? [m.providerKey] : []))
          const settingsOf = await lockThreadReadSettings(trx, workspaceId, plans.map((m) => m.row.inbox_id), plans.flatMap((m) => m.threadKeys), { ...opts, thenKeys: providerKeys })
          const outcomes: repo.InboundOutcome[] = []
          for (const m of plans) outcomes.push(await m.write(trx, settingsOf(m.row.inbox_id)))
          // The rows' outcomes in one statement; they commit with everything above or not at all.
          await repo.recordOutcomes(trx, workspaceId, outcomes)
        }),
      )
    } catch (err) {
      await Promise.all(plans.map((m) => m.discard()))
      throw err
    }
    await Promise.all(plans.map((m) => m.committed()))
  }

  return {
    plan,
    writeBatch,
    /** Handles a claimed row in a transaction of its own. `parsed` is null when parsing failed (only released rows get here). */
    async handle(row: Row<'inbound_emails'>, parsed: ParsedEmail | null, parseError: string | null): Promise<void> {
      const planned = await plan(row, parsed, parseError)
      try {
        await writeBatch(row.workspace_id, [planned])
      } catch (err) {
        // A 4xx is the request's fault (bad address, inactive inbox…): retrying gives the same answer.
        if (err instanceof AppError && err.status < 500) throw new PermanentFailure(`${err.code}: ${err.message}`)
        throw err
      }
    },
  }
}
