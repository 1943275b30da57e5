import { isDeepStrictEqual } from 'node:util'
import { type Actor, authorize } from '../../platform/auth/actor.ts'
import { recordAudit } from '../../platform/audit/audit.ts'
import type { Tx } from '../../platform/db/tenant.ts'
import type { Row } from '../../platform/db/schema.ts'
import { AppError } from '../../platform/errors.ts'
import type { Platform } from '../../platform/platform.ts'
import { emit } from './conversations.events.ts'
import * as repo from './conversations.repository.ts'
import { type ConversationsDeps, checkAssignPermission, loadConversation, nowFor, presentConversation, statusChangeSet, validateAssignmentInTx } from './conversations.shared.ts'
import { assertTransition, type Conversation, type ConversationPatch, type ConversationStatus, isReopen } from './conversations.types.ts'

type Change = { before: unknown; after: unknown }

export function createUpdater(p: Platform, deps: ConversationsDeps) {
  /**
   * Applies a patch to a locked conversation: validates every field, runs the
   * status state machine and the taxonomy's required fields (before solving,
   * and before a transfer), writes the row, tags, events and one audit entry
   * with before/after of the changed fields. A patch that changes nothing
   * writes nothing.
   */
  async function changeInTx(trx: Tx, actor: Actor, before: Row<'conversations'>, patch: ConversationPatch, opts: { assignmentChecked?: boolean } = {}): Promise<Row<'conversations'>> {
    const ws = actor.workspaceId
    const set: repo.ConversationSet = {}
    const changes: Record<string, Change> = {}
    const note = (field: string, b: unknown, a: unknown) => (changes[field] = { before: b, after: a })

    if (patch.priority !== undefined && patch.priority !== before.priority) {
      set.priority = patch.priority
      note('priority', before.priority, patch.priority)
    }
    if (patch.subject !== undefined && patch.subject !== before.subject) {
      set.subject = patch.subject
      note('subject', before.subject, patch.subject)
    }
    if (patch.categoryId !== undefined && patch.categoryId !== before.category_id) {
      if (patch.categoryId) await deps.taxonomy.assertCategoryInTx(trx, ws, patch.categoryId)
      set.category_id = patch.categoryId
      note('categoryId', before.category_id, patch.categoryId)
    }
    let customFields = before.custom_fields
    if (patch.customFields !== undefined) {
      const entries = Object.entries(patch.customFields)
      const removed = entries.filter(([, v]) => v === null).map(([k]) => k)
      const valid = await deps.taxonomy.validateCustomFieldsInTx(trx, ws, Object.fromEntries(entries.filter(([, v]) => v !== null)))
      const next = Object.fromEntries(Object.entries({ ...before.custom_fields, ...valid }).filter(([k]) => !removed.includes(k)))
      if (!isDeepStrictEqual(next, before.custom_fields)) {
        set.custom_fields = JSON.stringify(next)
        note('customFields', before.custom_fields, next)
        customFields = next
      }
    }
    const tagsBefore = (await repo.tagsOf(trx, ws, [before.id])).get(before.id) ?? []
    let tags = tagsBefore
    if (patch.tags !== undefined) {
      const next = [...new Set(patch.tags.length ? await deps.taxonomy.ensureTagsInTx(trx, ws, patch.tags) : [])].sort()
      if (!isDeepStrictEqual(next, tagsBefore)) {
        note('tags', tagsBefore, next)
        tags = next
      }
    }
    const assigneeId = patch.assigneeId === undefined ? before.assignee_id : patch.assigneeId
    const teamId = patch.teamId === undefined ? before.team_id : patch.teamId
    const reassigned = assigneeId !== before.assignee_id || teamId !== before.team_id
    if (reassigned) {
      if (!opts.assignmentChecked) checkAssignPermission(actor, before.assignee_id, assigneeId)
      await validateAssignmentInTx(trx, ws, { assigneeId: assigneeId === before.assignee_id ? undefined : assigneeId, teamId: teamId === before.team_id ? undefined : teamId })
      Object.assign(set, { assignee_id: assigneeId, team_id: teamId })
      if (assigneeId !== before.assignee_id) note('assigneeId', before.assignee_id, assigneeId)
      if (teamId !== before.team_id) note('teamId', before.team_id, teamId)
    }
    const from = before.status as ConversationStatus
    const to = patch.status ?? from
    if (to !== from) {
      assertTransition(from, to)
      Object.assign(set, statusChangeSet(before, to, nowFor(actor)))
      note('status', from, to)
    }

    // Required fields are judged on the state the conversation would have after this patch.
    const state = { categoryId: patch.categoryId === undefined ? before.category_id : patch.categoryId, customFields, tags, assigneeId, teamId }
    const required = async (action: 'solve' | 'transfer', what: string) => {
      const missing = await deps.taxonomy.missingRequirementsInTx(trx, ws, state, action)
      if (missing.length) throw new AppError('REQUIRED_FIELDS_MISSING', `Set ${missing.join(', ')} before ${what}`, { missing })
    }
    if (to === 'solved' && from !== 'solved') await required('solve', 'solving this conversation')
    // A transfer moves a case away from someone: a first assignment is not one.
    const transfer = (before.assignee_id !== null && assigneeId !== before.assignee_id) || (before.team_id !== null && teamId !== before.team_id)
    if (transfer) await required('transfer', 'transferring this conversation')

    if (Object.keys(changes).length === 0) return before
    const after = await repo.updateConversation(trx, ws, before.id, set, nowFor(actor))
    const tagsAdded = tags.filter((t) => !tagsBefore.includes(t))
    const tagsRemoved = tagsBefore.filter((t) => !tags.includes(t))
    await repo.addTags(trx, ws, before.id, tagsAdded)
    await repo.removeTags(trx, ws, before.id, tagsRemoved)

    if (to !== from) {
      await emit(trx, actor, after, 'conversation.status-changed', { from, to })
      if (isReopen(from, to)) await emit(trx, actor, after, 'conversation.reopened', { reopenCount: after.reopen_count, by: 'user' })
    }
    if (reassigned)
      await emit(trx, actor, after, 'conversation.assigned', { assigneeId, teamId, previousAssigneeId: before.assignee_id, previousTeamId: before.team_id })
    const other = Object.keys(changes).filter((f) => !['status', 'assigneeId', 'teamId'].includes(f))
    if (other.length)
      await emit(trx, actor, after, 'conversation.updated', { fields: other, ...(changes.tags && { tagsAdded, tagsRemoved }) })
    await recordAudit(trx, actor, {
      action: 'conversation.updated',
      entityType: 'conversation',
      entityId: before.id,
      changes: {
        before: Object.fromEntries(Object.entries(changes).map(([k, c]) => [k, c.before])),
        after: Object.fromEntries(Object.entries(changes).map(([k, c]) => [k, c.after])),
      },
    })
    return after
  }

  async function change(actor: Actor, id: string, patchOf: (tags: string[]) => ConversationPatch): Promise<Conversation> {
    return p.tx(actor, async (trx) => {
      const before = await loadConversation(trx, actor.workspaceId, id, { forUpdate: true })
      const tags = (await repo.tagsOf(trx, actor.workspaceId, [id])).get(id) ?? []
      const after = await changeInTx(trx, actor, before, patchOf(tags))
      return presentConversation(trx, actor.workspaceId, after)
    })
  }

  return {
    changeInTx,

    /**
     * For the routing module: (un)assigns inside its transaction, with the
     * usual validation, events and audit. Routing has already decided who may
     * do this (transfers by the assignee, accepted offers), so the
     * assign-any check is skipped.
     */
    async assignInTx(trx: Tx, actor: Actor, id: string, to: { assigneeId?: string | null; teamId?: string | null }): Promise<Row<'conversations'>> {
      const before = await loadConversation(trx, actor.workspaceId, id, { forUpdate: true })
      return changeInTx(trx, actor, before, to, { assignmentChecked: true })
    },

    async update(actor: Actor, id: string, patch: ConversationPatch): Promise<Conversation> {
      authorize(actor, 'conversations:write')
      return change(actor, id, () => patch)
    },

    async addTags(actor: Actor, id: string, names: string[]): Promise<Conversation> {
      authorize(actor, 'conversations:write')
      return change(actor, id, (tags) => ({ tags: [...tags, ...names] }))
    },

    async removeTag(actor: Actor, id: string, name: string): Promise<void> {
      authorize(actor, 'conversations:write')
      const key = name.trim().toLowerCase()
      await change(actor, id, (tags) => ({ tags: tags.filter((t) => t.toLowerCase() !== key) }))
    },
  }
}
