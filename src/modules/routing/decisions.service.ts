import { type Actor, authorize } from '../../platform/auth/actor.ts'
import { recordAudit } from '../../platform/audit/audit.ts'
import { page } from '../../platform/http/cursor.ts'
import { notFound } from '../../platform/errors.ts'
import type { Platform } from '../../platform/platform.ts'
import { type DecisionFilters, decisionsOfConversation, listDecisions } from './decisions.repository.ts'
import * as repo from './routing.repository.ts'
import { type Decision, toDecision } from './routing.types.ts'

/** Reading the decision record, and the workspace's routing settings. */
export function createDecisionsService(p: Platform) {
  return {
    async ofConversation(actor: Actor, conversationId: string, q: { limit: number; cursor?: string | undefined }): Promise<{ items: Decision[]; nextCursor: string | null }> {
      authorize(actor, 'conversations:read')
      const after = p.cursors.decode(q.cursor, 2)
      return p.tx(actor, async (trx) => {
        const c = await trx.selectFrom('conversations').select('id').where('workspace_id', '=', actor.workspaceId).where('id', '=', conversationId).executeTakeFirst()
        if (!c) throw notFound('Conversation')
        const { items, nextCursor } = page(await decisionsOfConversation(trx, actor.workspaceId, conversationId, { limit: q.limit, after }), q.limit, (r) => p.cursors.encode([r.created_key, r.id]))
        return { items: items.map(toDecision), nextCursor }
      })
    },

    async list(actor: Actor, q: DecisionFilters & { limit: number; cursor?: string | undefined }) {
      authorize(actor, 'conversations:read')
      const after = p.cursors.decode(q.cursor, 2) as [string, string] | null
      return p.tx(actor, async (trx) => {
        if (q.queueId && !(await repo.findQueue(trx, actor.workspaceId, q.queueId))) throw notFound('Queue')
        const { cursor: _cursor, ...filters } = q
        const rows = await listDecisions(trx, actor.workspaceId, { ...filters, after })
        const { items, nextCursor } = page(rows, q.limit, (last) => p.cursors.encode([last.created_key, last.id]))
        return { items: items.map(toDecision), nextCursor }
      })
    },

    async settings(actor: Actor) {
      authorize(actor, 'workspace:read')
      return p.tx(actor, (trx) => repo.settings(trx, actor.workspaceId))
    },

    async saveSettings(actor: Actor, s: { transferNoteRequired: boolean }) {
      authorize(actor, 'workspace:write')
      return p.tx(actor, async (trx) => {
        const before = await repo.settings(trx, actor.workspaceId)
        await repo.saveSettings(trx, actor.workspaceId, s)
        await recordAudit(trx, actor, { action: 'routing.settings-updated', entityType: 'workspace', entityId: actor.workspaceId, changes: { before, after: s } })
        return s
      })
    },
  }
}

export type DecisionsService = ReturnType<typeof createDecisionsService>
