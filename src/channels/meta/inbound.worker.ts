import { createHash } from 'node:crypto'
import { type Actor, systemActor } from '../../platform/auth/actor.ts'
import { AppError } from '../../platform/errors.ts'
import type { JobInfo } from '../../platform/jobs/jobs.ts'
import type { Platform } from '../../platform/platform.ts'
import type { ResolvedInbox } from '../channel.ts'
import { type InboundItem, type InboundMediaRef, type InboundMessageItem, itemKey } from './inbound.types.ts'
import type { ProviderFailure } from './provider-http.ts'
import { setTemplateStatus } from '../whatsapp/templates.repository.ts'
import { applyStatusByProviderId, applyWatermark, latestConversationOf } from './status.repository.ts'

/** Largest file accepted from a customer (the same cap as agents' attachments). */
export const MAX_INBOUND_MEDIA_BYTES = 10 * 1024 * 1024

export const MESSAGING_INBOUND_QUEUE = 'channel-messaging-inbound'

export interface MessagingInboundJob {
  workspaceId: string
  inboxId: string
  item: InboundItem
}

/** How a channel fetches a file it was told about (media id or URL) with the inbox's credentials. */
export type MediaFetcher = (inbox: ResolvedInbox, media: InboundMediaRef) => Promise<{ ok: true; data: Buffer; contentType: string; filename: string } | ProviderFailure>

/** What the worker needs of the conversations module (its `ingestInbound`). */
export interface IngestPort {
  ingestInbound(
    actor: Actor,
    input: {
      inboxId: string
      contact: { name?: string | undefined; phone?: string | undefined }
      conversationId?: string | undefined
      text?: string | undefined
      providerMessageId?: string | undefined
      metadata?: Record<string, unknown> | undefined
      reopenWindowDays?: number | undefined
      threading?: { rule: string | null; reason: string } | undefined
      attachments?: Array<{ filename: string; contentType: string; size: number; blobKey: string }> | undefined
    },
  ): Promise<{ duplicate: boolean; conversation: { id: string }; message: { id: string } }>
}

export interface MessagingInboundDeps {
  conversations: IngestPort
  resolveInbox(inboxId: string): Promise<ResolvedInbox | null>
  mediaFetchers: Partial<Record<string, MediaFetcher>>
  /** Messages a minute one sender may have stored at once (FLOOD_PER_MINUTE when unset). */
  floodPerMinute?: number
  /** Called with each item's outcome, for the inbox's health. */
  onOutcome?(inboxId: string, ok: boolean, error?: string): void
}

/** A job id derived from the inbox and the item, so a replayed webhook adds no job (pg-boss ignores a repeated id). */
export function jobIdFor(inboxId: string, item: InboundItem): string {
  const h = createHash('sha256').update(`${inboxId}\n${itemKey(item)}`).digest('hex')
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`
}

/**
 * A flood from one sender (a script, a stuck client) must not starve everyone
 * else's messages: past FLOOD_PER_MINUTE messages a minute from one sender on
 * one inbox, that sender's further messages are queued to run later, spread
 * out at that rate (2 s apart at 30 a minute). Nothing is dropped. Kept per process.
 */
export const FLOOD_PER_MINUTE = 30

export function floodGate(perMinute = FLOOD_PER_MINUTE, now = () => Date.now()) {
  const windows = new Map<string, { start: number; count: number }>()
  return {
    /** Seconds to hold this sender's next message back (0: at once). */
    delayFor(key: string): number {
      const t = now()
      let w = windows.get(key)
      if (!w || t - w.start >= 60_000) {
        w = { start: t, count: 0 }
        windows.set(key, w)
        if (windows.size > 10_000) for (const [k, v] of windows) if (t - v.start >= 60_000) windows.delete(k)
      }
      w.count++
      return w.count <= perMinute ? 0 : Math.ceil(((w.count - perMinute) / perMinute) * 60)
    },
  }
}

/** A status can overtake our own record of the send: retried a few times before it is dropped. */
class NotYetKnown extends Error {}

const DAY = 7

/**
 * The job side of messaging webhooks: each verified item is stored here,
 * after the provider got its 200. Messages go through the conversations
 * module's intake (idempotent on the provider's message id), with their media
 * fetched into the blob store first; statuses update the outbound message.
 */
export function createMessagingInbound(p: Platform, deps: MessagingInboundDeps) {
  async function storeMedia(inbox: ResolvedInbox, item: InboundMessageItem) {
    const stored: Array<{ filename: string; contentType: string; size: number; blobKey: string }> = []
    const skipped: Array<{ kind: string; reason: string }> = []
    const fetcher = deps.mediaFetchers[inbox.channel]
    try {
      for (const media of item.media) {
        if (!fetcher) {
          skipped.push({ kind: media.kind, reason: 'this channel cannot fetch media' })
          continue
        }
        if (media.size !== undefined && media.size > MAX_INBOUND_MEDIA_BYTES) {
          skipped.push({ kind: media.kind, reason: `MEDIA_TOO_LARGE: ${media.size} bytes; the limit is ${MAX_INBOUND_MEDIA_BYTES}` })
          continue
        }
        const got = await fetcher(inbox, media)
        if (!got.ok) {
          // A temporary failure retries the whole job; a permanent one keeps the message without the file, saying why.
          if (got.retryable) throw new Error(`${got.code}: ${got.message}`)
          skipped.push({ kind: media.kind, reason: `${got.code}: ${got.message}` })
          continue
        }
        const put = await p.blobs.put(got.data, { workspaceId: inbox.workspaceId, filename: got.filename })
        stored.push({ filename: got.filename, contentType: got.contentType, size: put.size, blobKey: put.key })
      }
    } catch (err) {
      await Promise.all(stored.map((s) => p.blobs.delete(s.blobKey).catch(() => undefined)))
      throw err
    }
    return { stored, skipped }
  }

  async function ingest(inbox: ResolvedInbox, item: InboundMessageItem) {
    const ws = inbox.workspaceId
    const actor = systemActor(ws, `${inbox.channel} webhook`)
    const identityValue = item.from.identityKind === 'whatsapp' ? `+${item.from.value.replace(/^\+/, '')}` : item.from.value
    const conversationId = await p.tx(ws, (trx) => latestConversationOf(trx, ws, inbox.id, item.from.identityKind, identityValue))
    const { stored, skipped } = await storeMedia(inbox, item)
    // ingestInbound hands `contact` to the contacts module's resolver, which also takes channel identities.
    const contact = { name: item.from.name, ...(item.from.phone && { phone: item.from.phone }), identities: [{ kind: item.from.identityKind, value: item.from.value }] }
    const input = {
      inboxId: inbox.id,
      contact,
      text: item.text,
      providerMessageId: item.providerMessageId,
      // `sender`: how to answer when the identity could not be stored (a number the phone library does not know yet).
      metadata: { ...item.metadata, receivedAt: item.sentAt, sender: { kind: item.from.identityKind, value: item.from.value }, ...(skipped.length > 0 && { mediaSkipped: skipped }) },
      ...(conversationId
        ? { conversationId, reopenWindowDays: DAY, threading: { rule: 'channel-identity', reason: `the customer's latest conversation in this ${inbox.channel} inbox` } }
        : {}),
      attachments: stored,
    }
    try {
      const result = await deps.conversations.ingestInbound(actor, input).catch((err: unknown) => {
        if (!(err instanceof AppError) || err.code !== 'VALIDATION_FAILED' || !String(err.message).includes('contact')) throw err
        // The provider vouches for the sender; keep the message with a contact known by name only rather than lose it.
        p.logger.warn({ inboxId: inbox.id, err: err.message }, 'inbound sender identity refused by validation; stored without it')
        return deps.conversations.ingestInbound(actor, { ...input, contact: { name: item.from.name } })
      })
      if (result.duplicate) await Promise.all(stored.map((s) => p.blobs.delete(s.blobKey).catch(() => undefined)))
    } catch (err) {
      await Promise.all(stored.map((s) => p.blobs.delete(s.blobKey).catch(() => undefined)))
      throw err
    }
  }

  async function handle(data: MessagingInboundJob, job: JobInfo): Promise<void> {
    const inbox = await deps.resolveInbox(data.inboxId)
    if (!inbox || inbox.workspaceId !== data.workspaceId) return // deleted or deactivated since: nothing to store it in
    const item = data.item
    const ws = inbox.workspaceId
    try {
      if (item.kind === 'message') await ingest(inbox, item)
      else if (item.kind === 'status') {
        const n = await p.tx(ws, (trx) => applyStatusByProviderId(trx, ws, inbox.id, inbox.channel, item.providerMessageId, item.status, item.error ?? null, item.at))
        if (n === 'unknown') {
          if (job.retryCount < job.retryLimit) throw new NotYetKnown(`no outbound message with provider id ${item.providerMessageId} yet`)
          p.logger.warn({ inboxId: inbox.id, providerMessageId: item.providerMessageId }, 'provider status for an unknown message dropped')
        }
      } else if (item.kind === 'template-status') {
        await p.tx(ws, (trx) => setTemplateStatus(trx, ws, inbox.id, item.name, item.language, item.status))
      } else if (inbox.channel === 'messenger' || inbox.channel === 'instagram') {
        const channel = inbox.channel
        await p.tx(ws, (trx) => applyWatermark(trx, ws, inbox.id, channel, item.recipient, item.status, item.watermark, item.providerMessageIds))
      }
      deps.onOutcome?.(inbox.id, true)
    } catch (err) {
      if (!(err instanceof NotYetKnown)) deps.onOutcome?.(inbox.id, false, err instanceof Error ? err.message : String(err))
      throw err
    }
  }

  const flood = floodGate(deps.floodPerMinute)
  return {
    /** Enqueues the items of one verified webhook; a replay of the same items adds nothing. */
    async enqueue(inbox: ResolvedInbox, items: InboundItem[]): Promise<void> {
      for (const item of items) {
        const delay = item.kind === 'message' ? flood.delayFor(`${inbox.id}\n${item.from.value}`) : 0
        if (delay > 0) p.logger.warn({ inboxId: inbox.id, delaySeconds: delay }, 'one sender is flooding this inbox: their message is queued for later')
        await p.jobs.send(MESSAGING_INBOUND_QUEUE, { workspaceId: inbox.workspaceId, inboxId: inbox.id, item } satisfies MessagingInboundJob, {
          id: jobIdFor(inbox.id, item),
          ...(delay > 0 && { startAfterSeconds: delay }),
          retryLimit: 6,
          retryDelaySeconds: 2,
          retryBackoff: true,
        })
      }
    },
    async start(): Promise<void> {
      // Up to 20 items a poll: a burst of messages must not wait one poll interval each.
      await p.jobs.work<MessagingInboundJob>(MESSAGING_INBOUND_QUEUE, handle, { batchSize: 20 })
    },
    /** Runs one item now, as the worker would (tests, and the CLI when jobs are off). */
    handle,
  }
}
export type MessagingInbound = ReturnType<typeof createMessagingInbound>
