import type { ImapFlow } from 'imapflow'
import type { Platform } from '../../../platform/platform.ts'
import type { InboundStore } from '../inbound-store.ts'
import * as repo from './checkpoints.repository.ts'
import type { Mailbox } from './imap.types.ts'

export type SyncDeps = Pick<Platform, 'tx' | 'logger'> & { store: InboundStore }

export interface FolderSyncResult {
  folder: string
  /** Messages fetched and handed to the inbound store. */
  fetched: number
  /** Of those, already stored before (same Message-ID). */
  duplicates: number
}

/** Messages fetched per FETCH: bounds memory (each message is held whole until stored). */
const CHUNK = 10

/**
 * Fetches a folder's new mail into the inbound store, in UID order, moving the
 * checkpoint past each message only once the store has made it durable. So a
 * crash or disconnect at any point leaves the checkpoint at or before the last
 * stored message: at worst the next sync fetches a message again, and the
 * store's Message-ID dedupe absorbs it. Nothing is skipped: every UID above
 * the checkpoint is fetched, except, on a first sync (or after a UIDVALIDITY
 * change), mail that existed before and arrived before the backfill point.
 */
export async function syncFolder(deps: SyncDeps, client: ImapFlow, m: Mailbox, folder: string, shouldStop: () => boolean): Promise<FolderSyncResult> {
  const result: FolderSyncResult = { folder, fetched: 0, duplicates: 0 }
  // Read-only (EXAMINE): fetching never marks the customer's mail as read in their own client.
  const box = await client.mailboxOpen(folder, { readOnly: true })
  const uidValidity = String(box.uidValidity)
  const top = Math.max(0, box.uidNext - 1)
  const ws = m.workspaceId
  let cp = await deps.tx(ws, (trx) => repo.findCheckpoint(trx, ws, m.inboxId, folder))
  if (!cp || cp.uidValidity !== uidValidity) {
    const resync = cp !== null
    // After a UIDVALIDITY change without a configured backfill point, go back to when watching began.
    const since = m.backfillSince ?? (cp ? cp.watchingSince : null)
    if (cp)
      deps.logger.warn({ inboxId: m.inboxId, folder, was: cp.uidValidity, now: uidValidity, since }, 'IMAP UIDVALIDITY changed: syncing the folder again from the backfill point')
    const started = { folder, uidValidity, floorUid: top, lastUid: since ? 0 : top, since, resync }
    cp = await deps.tx(ws, (trx) => repo.startCheckpoint(trx, ws, m.inboxId, started))
  }
  const last = cp.lastUid
  const newer = ((await client.search({ uid: `${last + 1}:*` }, { uid: true })) || []).filter((u) => u > last)
  // UIDs up to the floor predate the sync start: only those since the backfill point are wanted.
  let older = new Set<number>()
  if (last < cp.floorUid && cp.since) older = new Set((await client.search({ uid: `${last + 1}:${cp.floorUid}`, since: cp.since }, { uid: true })) || [])
  const wanted = newer.filter((u) => u > cp.floorUid || older.has(u)).sort((a, b) => a - b)

  for (let i = 0; i < wanted.length && !shouldStop(); i += CHUNK) {
    const chunk = wanted.slice(i, i + CHUNK)
    const messages: Array<{ uid: number; source: Buffer }> = []
    for await (const msg of client.fetch(chunk.join(','), { uid: true, source: true }, { uid: true })) if (msg.source) messages.push({ uid: msg.uid, source: msg.source })
    messages.sort((a, b) => a.uid - b.uid)
    for (const msg of messages) {
      const stored = await deps.store.store({ raw: msg.source, envelopeFrom: null, envelopeTo: [m.address], inboxes: [{ workspaceId: ws, inboxId: m.inboxId, address: m.address }] })
      const counted = stored.stored.length > 0 ? 'new' : 'duplicate'
      await deps.tx(ws, (trx) => repo.advanceCheckpoint(trx, ws, m.inboxId, { folder, uidValidity, uid: msg.uid, counted }))
      result.fetched++
      if (counted === 'duplicate') result.duplicates++
    }
    // UIDs of the chunk the server no longer returned were expunged meanwhile: nothing left to fetch.
    const chunkTop = chunk[chunk.length - 1] as number
    await deps.tx(ws, (trx) => repo.advanceCheckpoint(trx, ws, m.inboxId, { folder, uidValidity, uid: chunkTop }))
  }
  // Everything wanted up to the floor is stored; the rest below it predates the backfill point.
  if (!shouldStop() && cp.lastUid < cp.floorUid) {
    const floor = cp.floorUid
    await deps.tx(ws, (trx) => repo.advanceCheckpoint(trx, ws, m.inboxId, { folder, uidValidity, uid: floor }))
  }
  return result
}
