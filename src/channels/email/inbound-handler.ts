import { type Actor, systemActor } from '../../platform/auth/actor.ts'
import { AppError } from '../../platform/errors.ts'
import { appendEvent } from '../../platform/events/events.ts'
import type { Row } from '../../platform/db/schema.ts'
import type { Platform } from '../../platform/platform.ts'
import { type ConversationsService, htmlToText, type InboundAttachment, sanitizeHtml } from '../../modules/conversations/index.ts'
import { applyBounceInTx, softBouncePolicy } from './bounce-handler.ts'
import { type ClassificationResult, classifyEmail } from './classify.ts'
import * as repo from './email.repository.ts'
import type { ThreadingDecision } from './email.types.ts'
import type { ParsedAttachment, ParsedEmail } from './parse.ts'
import { extractReplyText } from './reply-text.ts'
import { decideThreading, lockThreadReadSettings } from './threading.ts'

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
 * Acts on one parsed inbound mail: automated mail is labelled and ignored
 * (bounces and receipts update the address's deliverability: bounce-handler.ts), customer mail becomes a
 * message through conversations.ingestInbound. Writes the outcome on the row.
 */
export function createInboundHandler(deps: HandlerDeps) {
  async function ignore(row: Row<'inbound_emails'>, parsed: ParsedEmail, c: ClassificationResult): Promise<void> {
    const ws = row.workspace_id
    const actor = systemActor(ws, 'email')
    await deps.tx(ws, async (trx) => {
      const changed = await applyBounceInTx(trx, actor, softBouncePolicy(deps.config), row.id, parsed, c)
      await repo.updateInbound(trx, ws, row.id, {
        status: 'ignored',
        classification: c.classification,
        classification_details: JSON.stringify({ ...c.details, ...changed }),
        reason: `${c.classification.replace('_', ' ')}: ${c.details.signal}`,
        from_address: parsed.from?.address ?? null,
        subject: parsed.subject,
        processed_at: new Date(),
        last_error: null,
      })
      await appendEvent(trx, actor, { type: 'email.ignored', payload: { inboundEmailId: row.id, classification: c.classification, signal: c.details.signal } })
    })
  }

  async function ingest(row: Row<'inbound_emails'>, parsed: ParsedEmail | null, c: ClassificationResult, parseError: string | null): Promise<void> {
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
    const discardStored = () =>
      Promise.all(stored.map((f) => deps.blobs.delete(f.blobKey).catch((err: unknown) => deps.logger.warn({ err, inboundEmailId: row.id }, 'could not delete an unused attachment blob'))))
    let result
    try {
      for (const [i, a] of (parsed?.attachments ?? []).entries()) {
        const filename = attachmentFilename(a, i)
        const blob = await deps.blobs.put(a.content, { workspaceId: ws, filename })
        stored.push({ filename, contentType: a.contentType, size: blob.size, blobKey: blob.key, contentId: a.contentId, inline: a.inline })
      }
      // One transaction: the thread decision, contact, conversation, message and the row's outcome
      // commit together, so a crash leaves the row `received` and nothing else written.
      result = await retryOnDeadlock(() => deps.tx(ws, async (trx) => {
      // Mails of one thread decide one after another (email.repository.ts lockThreadKeysReadSettings).
      const threadKeys = [row.message_id_header, ...(parsed?.inReplyTo ?? []), ...(parsed?.references ?? [])].filter((id): id is string => !!id)
      const settings = await lockThreadReadSettings(trx, ws, row.inbox_id, threadKeys)
      const threading: ThreadingDecision = parsed
        ? await decideThreading(trx, deps.box, row, parsed, contact.email ?? null, settings)
        : { matched: null, reason: 'message could not be parsed: new conversation' }
      const ingested = await deps.conversations.ingestInboundInTx(trx, actor, {
        inboxId: row.inbox_id,
        contact,
        conversationId: threading.conversationId,
        subject: parsed?.subject ?? undefined,
        text,
        ...(html && { html }),
        providerMessageId: row.message_id_header ?? row.dedupe_key,
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
      })
      await repo.updateInbound(trx, ws, row.id, {
        status: 'processed',
        classification: c.classification,
        classification_details: JSON.stringify(c.details),
        reason: null,
        from_address: parsed?.from?.address ?? contact.email ?? null,
        subject: parsed?.subject ?? null,
        conversation_id: ingested.conversation.id,
        message_id: ingested.message.id,
        threading: JSON.stringify({ ...threading, ...(ingested.continued && { matched: 'continuity', reason: ingested.continued }), outcome: ingested.outcome, ...(ingested.conversation.followUpOf && ingested.outcome === 'follow-up' && { followUpOf: ingested.conversation.followUpOf }) }),
        processed_at: new Date(),
        last_error: null,
      })
      return ingested
      }))
    } catch (err) {
      await discardStored()
      // A 4xx is the request's fault (bad address, inactive inbox…): retrying gives the same answer.
      if (err instanceof AppError && err.status < 500) throw new PermanentFailure(`${err.code}: ${err.message}`)
      throw err
    }
    if (result.outcome === 'duplicate') await discardStored()
  }

  return {
    /** Handles a claimed row. `parsed` is null when parsing failed (only released rows get here). */
    async handle(row: Row<'inbound_emails'>, parsed: ParsedEmail | null, parseError: string | null): Promise<void> {
      const released = row.released_at !== null
      const c: ClassificationResult = released
        ? { classification: 'customer', details: { signal: 'released by an agent', ...(parsed && { automaticClassification: classifyEmail(parsed, { from: row.envelope_from }) }) } }
        : classifyEmail(parsed as ParsedEmail, { from: row.envelope_from })
      if (c.classification !== 'customer' && parsed) return ignore(row, parsed, c)
      return ingest(row, parsed, c, parseError)
    },
  }
}
