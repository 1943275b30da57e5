import { type Actor, authorize } from '../../platform/auth/actor.ts'
import { recordAudit } from '../../platform/audit/audit.ts'
import { AppError, notFound } from '../../platform/errors.ts'
import { page } from '../../platform/http/cursor.ts'
import type { Platform } from '../../platform/platform.ts'
import type { Classification } from './classify.ts'
import * as repo from './email.repository.ts'
import { type InboundEmail, type InboundEmailSummary, type InboundStatus, toInboundEmail, toInboundEmailSummary } from './email.types.ts'

/** The inbound-mail log and quarantine: list, inspect, download raw, retry, release. */
export function createEmailService(p: Pick<Platform, 'tx' | 'blobs' | 'cursors'>, hooks: { onRequeued?: () => void } = {}) {
  async function requeue(actor: Actor, id: string, mode: 'retry' | 'release'): Promise<InboundEmail> {
    authorize(actor, 'inboxes:write')
    const ws = actor.workspaceId
    const row = await p.tx(actor, async (trx) => {
      const before = await repo.findInbound(trx, ws, id, { forUpdate: true })
      if (!before) throw notFound('Inbound email')
      const allowed: InboundStatus[] = mode === 'retry' ? ['quarantined'] : ['quarantined', 'ignored']
      if (!allowed.includes(before.status as InboundStatus))
        throw new AppError('UNPROCESSABLE', `Only ${allowed.join(' or ')} mail can be ${mode === 'retry' ? 'retried' : 'released'}; this one is ${before.status}`, { status: before.status })
      const after = await repo.updateInbound(trx, ws, id, {
        status: 'received',
        attempts: 0,
        next_attempt_at: null,
        processed_at: null,
        ...(mode === 'release' && { released_at: new Date() }),
      })
      await recordAudit(trx, actor, {
        action: mode === 'retry' ? 'inbound-email.retried' : 'inbound-email.released',
        entityType: 'inbound_email',
        entityId: id,
        changes: { before: { status: before.status, reason: before.reason, classification: before.classification }, after: { status: 'received' } },
      })
      return after
    })
    if (!row) throw notFound('Inbound email')
    hooks.onRequeued?.()
    return toInboundEmail(row)
  }

  return {
    async list(
      actor: Actor,
      q: { limit: number; cursor?: string | undefined; status?: InboundStatus | undefined; classification?: Classification | undefined },
    ): Promise<{ items: InboundEmailSummary[]; nextCursor: string | null }> {
      authorize(actor, 'inboxes:write') // raw mail of every inbox: admins only (see email.routes.ts)
      const after = p.cursors.decode(q.cursor, 2) as [string, string] | null
      const rows = await p.tx(actor, (trx) => repo.listInbound(trx, actor.workspaceId, { ...q, after }))
      const paged = page(rows, q.limit, (r) => p.cursors.encode([r.received_at.toISOString(), r.id]))
      return { items: paged.items.map(toInboundEmailSummary), nextCursor: paged.nextCursor }
    },

    async get(actor: Actor, id: string): Promise<InboundEmail> {
      authorize(actor, 'inboxes:write') // raw mail of every inbox: admins only (see email.routes.ts)
      const row = await p.tx(actor, (trx) => repo.findInbound(trx, actor.workspaceId, id))
      if (!row) throw notFound('Inbound email')
      return toInboundEmail(row)
    },

    /** The message exactly as received. */
    async raw(actor: Actor, id: string): Promise<Buffer> {
      authorize(actor, 'inboxes:write') // raw mail of every inbox: admins only (see email.routes.ts)
      const row = await p.tx(actor, (trx) => repo.findInbound(trx, actor.workspaceId, id))
      if (!row) throw notFound('Inbound email')
      return p.blobs.get(row.raw_blob_key)
    },

    /** Quarantined → received: processed again (after a fix, or a transient failure). */
    retry: (actor: Actor, id: string) => requeue(actor, id, 'retry'),

    /** Quarantined or ignored → received, and treated as a customer message whatever it looks like. */
    release: (actor: Actor, id: string) => requeue(actor, id, 'release'),
  }
}
export type EmailService = ReturnType<typeof createEmailService>
