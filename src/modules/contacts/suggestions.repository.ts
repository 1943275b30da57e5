import { sql } from 'kysely'
import type { Tx } from '../../platform/db/tenant.ts'
import type { Row } from '../../platform/db/schema.ts'

/** Merge suggestion rows. Every function takes the workspace and filters on it. */

/**
 * Inserts an open suggestion for the pair unless one is open already (either
 * order): returns the new row, or null when one existed.
 */
export async function insertOpenSuggestion(trx: Tx, workspaceId: string, a: string, b: string, evidence: Record<string, unknown>): Promise<Row<'contact_merge_suggestions'> | null> {
  const r = await sql<Row<'contact_merge_suggestions'>>`
    INSERT INTO contact_merge_suggestions (workspace_id, contact_a_id, contact_b_id, evidence)
    VALUES (${workspaceId}, ${a}, ${b}, ${JSON.stringify(evidence)})
    ON CONFLICT (workspace_id, least(contact_a_id, contact_b_id), greatest(contact_a_id, contact_b_id)) WHERE status = 'open' DO NOTHING
    RETURNING *`.execute(trx)
  return r.rows[0] ?? null
}

export function findOpenSuggestionOfPair(trx: Tx, workspaceId: string, a: string, b: string) {
  return trx
    .selectFrom('contact_merge_suggestions')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('status', '=', 'open')
    .where((eb) => eb.or([eb.and([eb('contact_a_id', '=', a), eb('contact_b_id', '=', b)]), eb.and([eb('contact_a_id', '=', b), eb('contact_b_id', '=', a)])]))
    .executeTakeFirst()
}

export function findSuggestion(trx: Tx, workspaceId: string, id: string, opts: { forUpdate?: boolean } = {}) {
  let q = trx.selectFrom('contact_merge_suggestions').selectAll().where('workspace_id', '=', workspaceId).where('id', '=', id)
  if (opts.forUpdate) q = q.forUpdate()
  return q.executeTakeFirst()
}

export function listSuggestions(trx: Tx, workspaceId: string, opts: { status: string; contactId?: string | undefined; limit: number; after: [string, string] | null }) {
  let q = trx.selectFrom('contact_merge_suggestions').selectAll().where('workspace_id', '=', workspaceId).where('status', '=', opts.status)
  const contactId = opts.contactId
  if (contactId) q = q.where((eb) => eb.or([eb('contact_a_id', '=', contactId), eb('contact_b_id', '=', contactId)]))
  if (opts.after) {
    const [createdAt, id] = opts.after
    q = q.where((eb) => eb.or([eb('created_at', '<', new Date(createdAt)), eb.and([eb('created_at', '=', new Date(createdAt)), eb('id', '<', id)])]))
  }
  return q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(opts.limit + 1).execute()
}

export function decideSuggestion(trx: Tx, workspaceId: string, id: string, v: { status: 'accepted' | 'rejected'; mergeId: string | null; decidedBy: string | null }) {
  return trx
    .updateTable('contact_merge_suggestions')
    .set({ status: v.status, merge_id: v.mergeId, decided_by: v.decidedBy, decided_at: new Date() })
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow()
}
