import { type Actor, authorize, can, requireUser } from '../../platform/auth/actor.ts'
import { recordAudit } from '../../platform/audit/audit.ts'
import type { Row } from '../../platform/db/schema.ts'
import { forbidden, notFound } from '../../platform/errors.ts'
import type { Platform } from '../../platform/platform.ts'
import type { ConversationFilters, ConversationSort } from '../conversations/index.ts'
import * as repo from './views.repository.ts'
import { type NewView, type SavedView, toListFilters, toView, type ViewPatch } from './views.types.ts'

/** Visible: the actor's own views and shared ones. Anything else is a 404, as if it did not exist. */
const visible = (actor: Actor, r: Row<'saved_views'> | undefined): r is Row<'saved_views'> => Boolean(r && (r.shared || r.owner_id === actor.userId))

/** Changing a shared view (or sharing one) needs desk:share; a personal view only its owner changes. */
function assertMayChange(actor: Actor, r: Row<'saved_views'>, sharing: boolean): void {
  if (r.shared || sharing) {
    if (!can(actor, 'desk:share')) throw forbidden(`Your role (${actor.role}) may not change shared views`)
  } else if (r.owner_id !== actor.userId) throw notFound('View')
}

/** Saved inbox views: filters and a sort, personal or shared with the workspace. */
export function createViewsService(p: Platform) {
  return {
    async list(actor: Actor): Promise<SavedView[]> {
      authorize(actor, 'conversations:read')
      return (await p.tx(actor, (trx) => repo.listViews(trx, actor.workspaceId, actor.userId))).map(toView)
    },

    async get(actor: Actor, id: string): Promise<SavedView> {
      authorize(actor, 'conversations:read')
      const row = await p.tx(actor, (trx) => repo.findView(trx, actor.workspaceId, id))
      if (!visible(actor, row)) throw notFound('View')
      return toView(row)
    },

    /** For GET /conversations?view= (the conversations module's ViewsPort). */
    async resolveView(actor: Actor, id: string): Promise<{ filters: ConversationFilters; sort: ConversationSort }> {
      const view = await this.get(actor, id)
      return { filters: toListFilters(view), sort: view.sort }
    },

    async create(actor: Actor, input: NewView): Promise<SavedView> {
      authorize(actor, 'conversations:read')
      if (input.shared) authorize(actor, 'desk:share')
      const ownerId = requireUser(actor)
      return p.tx(actor, async (trx) => {
        const row = await repo.insertView(trx, actor.workspaceId, { ownerId, name: input.name, filters: input.filters ?? {}, sort: input.sort ?? 'recent', shared: input.shared ?? false })
        await recordAudit(trx, actor, { action: 'view.created', entityType: 'saved_view', entityId: row.id, changes: { after: { name: row.name, filters: row.filters, sort: row.sort, shared: row.shared } } })
        return toView(row)
      })
    },

    async update(actor: Actor, id: string, patch: ViewPatch): Promise<SavedView> {
      authorize(actor, 'conversations:read')
      return p.tx(actor, async (trx) => {
        const before = await repo.findView(trx, actor.workspaceId, id)
        if (!visible(actor, before)) throw notFound('View')
        assertMayChange(actor, before, patch.shared === true)
        const row = await repo.updateView(trx, actor.workspaceId, id, patch)
        await recordAudit(trx, actor, {
          action: 'view.updated',
          entityType: 'saved_view',
          entityId: id,
          changes: { before: { name: before.name, filters: before.filters, sort: before.sort, shared: before.shared }, after: { name: row.name, filters: row.filters, sort: row.sort, shared: row.shared } },
        })
        return toView(row)
      })
    },

    async delete(actor: Actor, id: string): Promise<void> {
      authorize(actor, 'conversations:read')
      await p.tx(actor, async (trx) => {
        const before = await repo.findView(trx, actor.workspaceId, id)
        if (!visible(actor, before)) throw notFound('View')
        assertMayChange(actor, before, false)
        await repo.deleteView(trx, actor.workspaceId, id)
        await recordAudit(trx, actor, { action: 'view.deleted', entityType: 'saved_view', entityId: id, changes: { before: { name: before.name, shared: before.shared } } })
      })
    },
  }
}
export type ViewsService = ReturnType<typeof createViewsService>
