import { type Actor, authorize } from '../../platform/auth/actor.ts'
import { chainPending } from '../../platform/audit/appender.ts'
import { verifyChain, type ChainReport } from '../../platform/audit/audit.ts'
import { withSystem, withTenant } from '../../platform/db/tenant.ts'
import type { Row } from '../../platform/db/schema.ts'
import { page } from '../../platform/http/cursor.ts'
import type { Platform } from '../../platform/platform.ts'

export interface AuditEvent {
  id: string
  seq: string
  actor: { type: string; id: string | null; label: string | null }
  action: string
  entityType: string
  entityId: string | null
  changes: unknown
  ip: string | null
  requestId: string | null
  createdAt: string
  hash: string
}

/** Only linked entries are listed (the query filters on seq), so seq and hash are set. */
const toAuditEvent = (r: Row<'audit_events'>): AuditEvent => ({
  id: r.id,
  seq: r.seq as string,
  actor: { type: r.actor_type, id: r.actor_id, label: r.actor_label },
  action: r.action,
  entityType: r.entity_type,
  entityId: r.entity_id,
  changes: r.changes,
  ip: r.ip,
  requestId: r.request_id,
  createdAt: r.created_at.toISOString(),
  hash: r.hash as string,
})

export function createAuditService(p: Platform) {
  /**
   * Readers see the chain complete: entries committed before the read are
   * linked first (usually already done by the background appender).
   */
  const linkCommitted = () => chainPending(p.db, { wait: true })

  return {
    async list(actor: Actor, q: { limit: number; cursor?: string | undefined; entityType?: string | undefined; entityId?: string | undefined; action?: string | undefined }) {
      authorize(actor, 'audit:read')
      const before = p.cursors.decode(q.cursor, 1)
      await linkCommitted()
      const rows = await p.tx(actor, (trx) => {
        let query = trx.selectFrom('audit_events').selectAll().where('workspace_id', '=', actor.workspaceId).where('seq', 'is not', null)
        if (q.entityType) query = query.where('entity_type', '=', q.entityType)
        if (q.entityId) query = query.where('entity_id', '=', q.entityId)
        if (q.action) query = query.where('action', '=', q.action)
        if (before) query = query.where('seq', '<', before[0] as string)
        return query.orderBy('seq', 'desc').limit(q.limit + 1).execute()
      })
      return page(rows.map(toAuditEvent), q.limit, (e) => p.cursors.encode([e.seq]))
    },

    async verify(actor: Actor): Promise<ChainReport> {
      authorize(actor, 'audit:read')
      await linkCommitted()
      return p.tx(actor, (trx) => verifyChain(trx, actor.workspaceId))
    },

    /** Every workspace's chain, for `npm run audit:verify`. */
    async verifyAll(): Promise<Array<ChainReport & { workspaceId: string; name: string }>> {
      await linkCommitted()
      const workspaces = await withSystem(p.db, (trx) => trx.selectFrom('workspaces').select(['id', 'name']).orderBy('created_at').execute())
      const reports = []
      for (const w of workspaces) reports.push({ workspaceId: w.id, name: w.name, ...(await withTenant(p.db, w.id, (trx) => verifyChain(trx, w.id))) })
      return reports
    },
  }
}
export type AuditService = ReturnType<typeof createAuditService>
