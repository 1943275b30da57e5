import type { Actor } from '../auth/actor.ts'
import { canonicalJson, sha256Hex } from '../crypto.ts'
import type { Tx } from '../db/tenant.ts'
import type { Row } from '../db/schema.ts'
import { deferAudit } from '../events/deferred-writes.ts'

export const GENESIS_HASH = '0'.repeat(64)

export interface AuditEntry {
  action: string
  entityType: string
  entityId?: string | null
  /** Before/after of changed fields, or other facts worth keeping. */
  changes?: Record<string, unknown> | null
}

/** The fields a hash covers, in one canonical form. */
export interface HashedFields {
  workspaceId: string
  seq: string
  actorType: string
  actorId: string | null
  actorLabel: string | null
  action: string
  entityType: string
  entityId: string | null
  changes: unknown
  ip: string | null
  requestId: string | null
  createdAt: Date
  prevHash: string
}

export function hashOf(fields: HashedFields): string {
  return sha256Hex(canonicalJson(fields))
}

/** The hash of a stored entry as it would be linked at `seq` after `prevHash`. */
export function hashOfRow(r: Row<'audit_events'>, seq: string, prevHash: string): string {
  return hashOf({
    workspaceId: r.workspace_id,
    seq,
    actorType: r.actor_type,
    actorId: r.actor_id,
    actorLabel: r.actor_label,
    action: r.action,
    entityType: r.entity_type,
    entityId: r.entity_id,
    changes: r.changes,
    ip: r.ip,
    requestId: r.request_id,
    createdAt: r.created_at,
    prevHash,
  })
}

/**
 * Records one audit entry inside the caller's transaction, so it commits or
 * rolls back with the change it records. The entry is inserted unlinked (no
 * seq, prev_hash, hash) and takes no lock: the audit appender
 * (`appender.ts`) links committed entries into the workspace's hash chain
 * afterwards, in batches, so the chain is not a queue every write waits in.
 */
export async function recordAudit(trx: Tx, actor: Actor, entry: AuditEntry): Promise<void> {
  const row = {
    workspace_id: actor.workspaceId,
    actor_type: actor.kind,
    actor_id: actor.tokenId && actor.kind === 'token' ? `${actor.userId}/${actor.tokenId}` : actor.userId,
    actor_label: actor.label,
    action: entry.action,
    entity_type: entry.entityType,
    entity_id: entry.entityId ?? null,
    changes: entry.changes == null ? null : JSON.stringify(entry.changes),
    ip: actor.ip ?? null,
    request_id: actor.requestId ?? null,
    // Millisecond precision on purpose: the hash covers created_at as a JS Date reads it back.
    created_at: new Date(),
  }
  // In a transaction of `p.tx`, written with its events just before commit (events/deferred-writes.ts).
  if (!deferAudit(trx, row)) await trx.insertInto('audit_events').values(row).execute()
}

export interface ChainReport {
  intact: boolean
  checked: number
  /** The first entry whose hash or link does not match, when the chain is broken. */
  firstBrokenSeq: string | null
  reason: string | null
}

/** Recomputes every hash of one workspace's chain, in order, in pages. */
export async function verifyChain(trx: Tx, workspaceId: string): Promise<ChainReport> {
  let prevHash = GENESIS_HASH
  let expectedSeq = 1
  let checked = 0
  let after = 0
  for (;;) {
    const rows: Row<'audit_events'>[] = await trx
      .selectFrom('audit_events')
      .selectAll()
      .where('workspace_id', '=', workspaceId)
      .where('seq', '>', String(after)) // unlinked entries (seq NULL) are not part of the chain yet
      .orderBy('seq')
      .limit(1000)
      .execute()
    if (rows.length === 0) return { intact: true, checked, firstBrokenSeq: null, reason: null }
    for (const r of rows) {
      const broken = (reason: string): ChainReport => ({ intact: false, checked, firstBrokenSeq: r.seq, reason })
      if (Number(r.seq) !== expectedSeq) return broken(`expected entry ${expectedSeq}, found ${r.seq} (an entry is missing)`)
      if (r.prev_hash !== prevHash) return broken('link to the previous entry does not match')
      const hash = hashOfRow(r, r.seq as string, r.prev_hash as string)
      if (hash !== r.hash) return broken('content does not match its hash (the entry was altered)')
      prevHash = r.hash as string
      expectedSeq++
      checked++
      after = Number(r.seq)
    }
  }
}
