import type { Platform } from '../../platform/platform.ts'
import * as repo from './email.repository.ts'
import type { InboundToStore, RecipientInbox, StoredInbound } from './email.repository.ts'
import { createGroupCommit } from './group-commit.ts'
import { dedupeKeyOf } from './parse.ts'
import type { RecentRaw } from './recent-raw.ts'

export type StoreDeps = Pick<Platform, 'db' | 'blobs' | 'logger'>

export interface StoreResult {
  /** Ids of new inbound_emails rows. */
  stored: string[]
  /** Recipient inboxes that already had this message (same dedupe key). */
  duplicates: number
  /** Recipient inboxes deactivated since they were resolved: nothing stored for them. */
  inactive: number
}

/** `Support+Tag@Acme.test` → `support@acme.test` (plus-addressing routes to the base address). */
export function baseAddress(address: string): string {
  const a = address.trim().toLowerCase()
  const at = a.lastIndexOf('@')
  if (at <= 0) return a
  const local = a.slice(0, at)
  const plus = local.indexOf('+')
  return `${plus > 0 ? local.slice(0, plus) : local}${a.slice(at)}`
}

/** Messages written by one statement at most (a few KiB of parameters each). */
export const MAX_GROUP = 64

/**
 * The durable half of inbound mail, shared by every way mail arrives (SMTP
 * and IMAP): routes recipients to inboxes and stores the raw bytes and one
 * row per recipient inbox. When `store` resolves, the message is safe.
 *
 * The rows are written by group commit (group-commit.ts): messages whose data
 * is complete while an earlier write is in flight are written together by the
 * next statement. On the embedded database that statement shares the one
 * session with the inbound processor's transactions; one statement for all
 * waiting mails, instead of one each, keeps acceptance from queueing behind
 * them mail after mail.
 */
export function createInboundStore(deps: StoreDeps, hooks: { onStored?: () => void; recent?: RecentRaw } = {}) {
  const rows = createGroupCommit<InboundToStore, StoredInbound[]>((messages) => repo.storeInboundGroupAnyWorkspace(deps.db, messages), {
    maxItems: MAX_GROUP,
    keys: (m) => m.inboxIds.map((inboxId) => `${m.workspaceId} ${inboxId} ${m.dedupeKey}`),
  })
  return {
    /** The active email inbox an address belongs to (exact address, else its plus-stripped base). */
    async resolveRecipient(address: string): Promise<RecipientInbox | null> {
      const exact = address.trim().toLowerCase()
      const base = baseAddress(exact)
      // One statement, no transaction: a read needs none (this runs for every RCPT).
      const found = await repo.findEmailInboxesByAddressAnyWorkspace(deps.db, [...new Set([exact, base])])
      return found.find((f) => f.address === exact) ?? found.find((f) => f.address === base) ?? null
    },

    /**
     * Stores the message for each recipient inbox that is still active; throws
     * if anything could not be made durable. `inboxes` come from
     * resolveRecipient (at RCPT); an inbox deactivated since is counted in
     * `inactive`, and nothing is stored for it.
     */
    async store(input: { raw: Buffer; envelopeFrom: string | null; envelopeTo: string[]; inboxes: RecipientInbox[] }): Promise<StoreResult> {
      const { messageIdHeader, dedupeKey } = dedupeKeyOf(input.raw)
      const byWorkspace = new Map<string, Set<string>>()
      for (const r of input.inboxes) {
        const set = byWorkspace.get(r.workspaceId) ?? new Set<string>()
        set.add(r.inboxId)
        byWorkspace.set(r.workspaceId, set)
      }
      const result: StoreResult = { stored: [], duplicates: 0, inactive: 0 }
      // One blob per workspace keeps each workspace's data separable (export, deletion).
      for (const [workspaceId, inboxIds] of byWorkspace) {
        const blob = await deps.blobs.put(input.raw, { workspaceId, filename: 'message.eml' })
        // The active check and the rows, committed before the 250 (with whatever other mail is waiting).
        const stored = await rows.submit({
          workspaceId,
          inboxIds: [...inboxIds],
          rawBlobKey: blob.key,
          rawSha256: blob.sha256,
          size: blob.size,
          messageIdHeader,
          dedupeKey,
          envelopeFrom: input.envelopeFrom,
          envelopeTo: input.envelopeTo,
        })
        const fresh = stored.flatMap((r) => (r.id === null ? [] : [r.id]))
        result.stored.push(...fresh)
        result.duplicates += stored.length - fresh.length
        result.inactive += inboxIds.size - stored.length
        // The processor takes it up from memory (it is durable in the blob store already).
        if (fresh.length > 0) hooks.recent?.keep(blob.key, input.raw)
        if (fresh.length === 0) await deps.blobs.delete(blob.key).catch((err: unknown) => deps.logger.warn({ err }, 'could not delete the blob of a message stored for no inbox'))
      }
      if (result.stored.length > 0) hooks.onStored?.()
      return result
    },
  }
}
export type InboundStore = ReturnType<typeof createInboundStore>
