import { type Actor, authorize } from '../../platform/auth/actor.ts'
import { AppError, notFound } from '../../platform/errors.ts'
import { page } from '../../platform/http/cursor.ts'
import type { Platform } from '../../platform/platform.ts'
import * as repo from './conversations.repository.ts'
import { type ConversationsDeps, loadConversation, presentConversation } from './conversations.shared.ts'
import type { Tx } from '../../platform/db/tenant.ts'
import type { Row } from '../../platform/db/schema.ts'
import { type ConversationFilters, type ConversationListItem, type RowExtras, toConversation } from './conversations.types.ts'
import * as messages from './messages.repository.ts'
import { referencedContentIds, resolveInlineImages } from './inline-images.ts'
import { slaSummariesOf } from './sla-hook.ts'
import { type Message, type TimelineItem, timelineEventTypes, toMessage, toTimelineEvent } from './messages.types.ts'

type Paging = { limit: number; cursor?: string | undefined }

/** One entry of the merged timeline stream, with its sort key. */
type Entry =
  | { kind: 'event'; at: string; id: string; row: messages.EventListRow }
  | { kind: 'message'; at: string; id: string; row: messages.MessageListRow }

/**
 * Timeline order: time, then events before messages of the same instant (a
 * channel switch written with the reply that caused it reads before it), then id.
 */
function compareEntries(a: Entry, b: Entry): number {
  if (a.at !== b.at) return a.at < b.at ? -1 : 1
  if (a.kind !== b.kind) return a.kind === 'event' ? -1 : 1
  if (a.kind === 'event') {
    const d = BigInt(a.id) - BigInt(b.id)
    return d < 0n ? -1 : d > 0n ? 1 : 0
  }
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0
}

export function createQueries(p: Platform, deps: Pick<ConversationsDeps, 'views' | 'contacts'>) {
  /** What list rows show besides the conversation: two queries per page, whatever its length. */
  async function extrasOf(trx: Tx, workspaceId: string, rows: Array<Row<'conversations'>>): Promise<Map<string, RowExtras>> {
    const contacts = await deps.contacts.summariesInTx(trx, workspaceId, rows.map((r) => r.contact_id))
    const last = await repo.lastMessagesOf(trx, workspaceId, rows.map((r) => r.id))
    return new Map(rows.map((r) => [r.id, { contact: contacts.get(r.contact_id) ?? null, lastMessage: last.get(r.id) ?? null }]))
  }

  return {
    /** One conversation, with what its inbox row shows (so a live update can replace the row). */
    async get(actor: Actor, id: string): Promise<ConversationListItem> {
      authorize(actor, 'conversations:read')
      return p.tx(actor, async (trx) => {
        const row = await loadConversation(trx, actor.workspaceId, id)
        const extras = await extrasOf(trx, actor.workspaceId, [row])
        return { ...(await presentConversation(trx, actor.workspaceId, row)), contact: null, lastMessage: null, ...extras.get(row.id) }
      })
    },

    /**
     * Filtered and sorted (most recently active first by default); `view`
     * applies a saved view's filters and sort, which explicit parameters
     * override. `assigneeId: 'me'` is the actor. `nextCursor` pages on.
     */
    async list(actor: Actor, q: ConversationFilters & Paging & { view?: string | undefined }) {
      authorize(actor, 'conversations:read')
      const { view, limit, cursor, ...given } = q
      let filters: ConversationFilters = given
      if (view) {
        if (!deps.views) throw new AppError('UNPROCESSABLE', 'Saved views are not available')
        const saved = await deps.views.resolveView(actor, view)
        const explicit = Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined))
        filters = { ...saved.filters, sort: saved.sort, ...explicit }
      }
      if (filters.assigneeId === 'me') {
        if (!actor.userId) throw new AppError('VALIDATION_FAILED', 'assigneeId "me" needs a user', [{ field: 'querystring.assigneeId', message: 'this token has no user' }])
        filters = { ...filters, assigneeId: actor.userId }
      }
      const sort = filters.sort ?? 'recent'
      const c = p.cursors.decode(cursor, 4)
      // A cursor from another order (a view whose sort changed) is not resumable.
      if (c && c[0] !== sort) throw new AppError('INVALID_CURSOR', 'The cursor is not valid for this list; start again from the first page')
      const after = c ? ([c[1], c[2], c[3]] as [string, string, string]) : null
      const { rows, tags, sla, extras } = await p.tx(actor, async (trx) => {
        const rows = await repo.listConversations(trx, actor.workspaceId, { ...filters, sort }, { limit, after })
        const shown = rows.slice(0, limit)
        const ids = shown.map((r) => r.id)
        return {
          rows,
          tags: await repo.tagsOf(trx, actor.workspaceId, ids),
          sla: await slaSummariesOf(trx, actor.workspaceId, ids),
          extras: await extrasOf(trx, actor.workspaceId, shown),
        }
      })
      const { items, nextCursor } = page(rows, limit, (r) => p.cursors.encode([sort, r.cursor_k1, r.cursor_k2 ?? '', r.id]))
      return {
        items: items.map((r): ConversationListItem => ({ ...toConversation(r, tags.get(r.id) ?? [], sla.get(r.id) ?? null), contact: null, lastMessage: null, ...extras.get(r.id) })),
        nextCursor,
      }
    },

    /** Oldest first, as a conversation reads. */
    async listMessages(actor: Actor, id: string, q: Paging): Promise<{ items: Message[]; nextCursor: string | null }> {
      authorize(actor, 'conversations:read')
      const c = p.cursors.decode(q.cursor, 2)
      const after = c ? { at: c[0] as string, id: c[1] as string } : null
      const { rows, files } = await p.tx(actor, async (trx) => {
        await loadConversation(trx, actor.workspaceId, id)
        const rows = await messages.listMessages(trx, actor.workspaceId, id, { limit: q.limit, after })
        return { rows, files: await messages.attachmentsOf(trx, actor.workspaceId, rows.map((r) => r.id)) }
      })
      const { items, nextCursor } = page(rows, q.limit, (r) => p.cursors.encode([r.cursor_at, r.id]))
      return { items: items.map((r) => toMessage(r, files.get(r.id) ?? [])), nextCursor }
    },

    /**
     * Messages and conversation events (status changes, assignments, channel
     * switches, reopenings, merges) merged in time order. The cursor is the
     * last entry's (time, kind, id), so both streams resume exactly there.
     */
    async timeline(actor: Actor, id: string, q: Paging): Promise<{ items: TimelineItem[]; nextCursor: string | null }> {
      authorize(actor, 'conversations:read')
      const c = p.cursors.decode(q.cursor, 3)
      if (c && c[1] !== 'event' && c[1] !== 'message') throw new AppError('INVALID_CURSOR', 'The cursor is not valid; start again from the first page')
      const [at, kind, lastId] = (c ?? []) as [string, 'event' | 'message', string]
      const ws = actor.workspaceId
      const { entries, files } = await p.tx(actor, async (trx) => {
        await loadConversation(trx, ws, id)
        // Events of the cursor's instant precede its messages, hence the inclusive/exclusive bounds.
        const events = await messages.listConversationEvents(trx, ws, id, timelineEventTypes, { limit: q.limit, after: !c ? null : kind === 'event' ? { at, id: lastId } : { at } })
        const msgs = await messages.listMessages(trx, ws, id, { limit: q.limit, after: !c ? null : kind === 'message' ? { at, id: lastId } : { at, inclusive: true } })
        const entries: Entry[] = [
          ...events.map((row) => ({ kind: 'event' as const, at: row.cursor_at, id: row.id, row })),
          ...msgs.map((row) => ({ kind: 'message' as const, at: row.cursor_at, id: row.id, row })),
        ].sort(compareEntries)
        const shown = entries.slice(0, q.limit).filter((e) => e.kind === 'message').map((e) => e.id)
        return { entries, files: await messages.attachmentsOf(trx, ws, shown) }
      })
      const { items, nextCursor } = page(entries, q.limit, (e) => p.cursors.encode([e.at, e.kind, e.id]))
      return {
        items: items.map((e) =>
          e.kind === 'event' ? toTimelineEvent(e.row) : { kind: 'message' as const, at: e.row.created_at.toISOString(), message: toMessage(e.row, files.get(e.id) ?? []) },
        ),
        nextCursor,
      }
    },

    /**
     * A message's sanitised HTML (null for a plain-text message), for the agent
     * app's email view, with its inline (`cid:`) pictures filled in.
     */
    async getMessageHtml(actor: Actor, conversationId: string, messageId: string): Promise<string | null> {
      authorize(actor, 'conversations:read')
      const { row, inline } = await p.tx(actor, async (trx) => {
        const found = await messages.findMessage(trx, actor.workspaceId, conversationId, messageId)
        const cids = found?.html ? referencedContentIds(found.html) : []
        return { row: found, inline: cids.length ? await messages.inlineAttachments(trx, actor.workspaceId, messageId, cids) : [] }
      })
      if (!row) throw notFound('Message')
      if (row.html === null || inline.length === 0) return row.html
      const parts = await Promise.all(inline.map(async (a) => ({ contentId: a.content_id, contentType: a.content_type, content: await p.blobs.get(a.blob_key) })))
      return resolveInlineImages(row.html, parts)
    },

    /** An attachment's bytes, only through the conversation and message it belongs to. */
    async getAttachment(actor: Actor, conversationId: string, messageId: string, attachmentId: string) {
      authorize(actor, 'conversations:read')
      const row = await p.tx(actor, (trx) => messages.findAttachment(trx, actor.workspaceId, conversationId, messageId, attachmentId))
      if (!row) throw notFound('Attachment')
      return { filename: row.filename, contentType: row.content_type, size: Number(row.size), content: await p.blobs.get(row.blob_key) }
    },
  }
}
