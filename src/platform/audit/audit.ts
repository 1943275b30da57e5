import { sql } from 'kysely'
import type { Actor } from '../auth/actor.ts'
import { canonicalJson, sha256Hex } from '../crypto.ts'
import type { Tx } from '../db/tenant.ts'
import type { Row } from '../db/schema.ts'

export const GENESIS_HASH = '0'.repeat(64)

export interface AuditEntry {
  action: string
  entityType: string
  entityId?: string | null
  /** Before/after of changed fields, or other facts worth keeping. */
  changes?: Record<string, unknown> | null
}

/** The fields a hash covers, in one canonical form (see `hashOf`). */
function hashOf(fields: {
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
}): string {
  return sha256Hex(canonicalJson(fields))
}

/**
 * The chain heads this transaction appended, per workspace. Once a transaction
 * holds a workspace's audit lock (until it ends) no one else can append there,
 * so its own last entry is the head and need not be locked and read again.
 * Sound because a transaction never rolls back part of itself: the app uses no
 * savepoints, and a failed statement aborts the whole transaction.
 */
const headsAppendedBy = new WeakMap<Tx, Map<string, { seq: string; hash: string }>>()

/**
 * Appends one entry to the workspace's audit chain, inside the caller's
 * transaction, so the record commits or rolls back with the change it records.
 * An advisory lock per workspace serialises appends so the chain never forks.
 */
export async function recordAudit(trx: Tx, actor: Actor, entry: AuditEntry): Promise<void> {
  const workspaceId = actor.workspaceId
  let heads = headsAppendedBy.get(trx)
  let last = heads?.get(workspaceId)
  if (!last) {
    await sql`select pg_advisory_xact_lock(hashtextextended(${`audit:${workspaceId}`}, 0))`.execute(trx)
    last = await trx
      .selectFrom('audit_events')
      .select(['seq', 'hash'])
      .where('workspace_id', '=', workspaceId)
      .orderBy('seq', 'desc')
      .limit(1)
      .executeTakeFirst()
  }
  const seq = String(Number(last?.seq ?? 0) + 1)
  const createdAt = new Date()
  const fields = {
    workspaceId,
    seq,
    actorType: actor.kind,
    actorId: actor.tokenId && actor.kind === 'token' ? `${actor.userId}/${actor.tokenId}` : actor.userId,
    actorLabel: actor.label,
    action: entry.action,
    entityType: entry.entityType,
    entityId: entry.entityId ?? null,
    changes: entry.changes ?? null,
    ip: actor.ip ?? null,
    requestId: actor.requestId ?? null,
    createdAt,
    prevHash: last?.hash ?? GENESIS_HASH,
  }
  const hash = hashOf(fields)
  await trx
    .insertInto('audit_events')
    .values({
      workspace_id: workspaceId,
      seq,
      actor_type: fields.actorType,
      actor_id: fields.actorId,
      actor_label: fields.actorLabel,
      action: fields.action,
      entity_type: fields.entityType,
      entity_id: fields.entityId,
      changes: fields.changes === null ? null : JSON.stringify(fields.changes),
      ip: fields.ip,
      request_id: fields.requestId,
      created_at: createdAt,
      prev_hash: fields.prevHash,
      hash,
    })
    .execute()
  if (!heads) headsAppendedBy.set(trx, (heads = new Map()))
  heads.set(workspaceId, { seq, hash })
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
      .where('seq', '>', String(after))
      .orderBy('seq')
      .limit(1000)
      .execute()
    if (rows.length === 0) return { intact: true, checked, firstBrokenSeq: null, reason: null }
    for (const r of rows) {
      const broken = (reason: string): ChainReport => ({ intact: false, checked, firstBrokenSeq: r.seq, reason })
      if (Number(r.seq) !== expectedSeq) return broken(`expected entry ${expectedSeq}, found ${r.seq} (an entry is missing)`)
      if (r.prev_hash !== prevHash) return broken('link to the previous entry does not match')
      const hash = hashOf({
        workspaceId: r.workspace_id,
        seq: r.seq,
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
        prevHash: r.prev_hash,
      })
      if (hash !== r.hash) return broken('content does not match its hash (the entry was altered)')
      prevHash = r.hash
      expectedSeq++
      checked++
      after = Number(r.seq)
    }
  }
}
