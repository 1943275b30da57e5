import { type InfiniteData, type QueryClient, useInfiniteQuery } from '@tanstack/react-query'
import { useCallback, useEffect, useRef } from 'react'
import { api, type Conversation, type ConversationFilters, type ConversationListItem, unwrap } from '../../api/client'
import { useRealtimeEvents } from '../../realtime/hooks'
import type { RealtimeEvent } from '../../realtime/realtime'
import { compareIn } from './list-order'

export type Filters = Omit<ConversationFilters, 'limit' | 'cursor' | 'view'>
type Page = { items: ConversationListItem[]; nextCursor: string | null }
type Pages = InfiniteData<Page, string | undefined>
const PAGE = 100

export const conversationsKey = (f: Filters) => ['conversations', f] as const

/** The inbox list: pages of 100 in the filters' sort (most recently active first by default), fetched as the agent scrolls. */
export function useConversationList(filters: Filters, enabled = true) {
  return useInfiniteQuery({
    queryKey: conversationsKey(filters),
    enabled,
    queryFn: ({ pageParam }) => unwrap(api.GET('/api/v1/conversations', { params: { query: { ...filters, limit: PAGE, ...(pageParam && { cursor: pageParam }) } } })),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last: Page) => last.nextCursor ?? undefined,
  })
}

/**
 * The rows of the loaded pages, each case once: a case that moved live to the
 * top may come again in a page fetched later (its place in the order changed
 * after the earlier pages were read); the first place wins.
 */
export function rowsOf(data: { pages: Page[] } | undefined): ConversationListItem[] {
  const seen = new Set<string>()
  const rows: ConversationListItem[] = []
  for (const p of data?.pages ?? [])
    for (const c of p.items) {
      if (seen.has(c.id)) continue
      seen.add(c.id)
      rows.push(c)
    }
  return rows
}

/** Whether a conversation belongs in a list with these filters (the server's filters, applied to one case). */
export function matches(c: Conversation, f: Filters): boolean {
  if (f.status && c.status !== f.status) return false
  if (f.priority && c.priority !== f.priority) return false
  if (f.channel && c.channel !== f.channel) return false
  if (f.assigneeId && (f.assigneeId === 'none' ? c.assigneeId !== null : c.assigneeId !== f.assigneeId)) return false
  if (f.teamId && (f.teamId === 'none' ? c.teamId !== null : c.teamId !== f.teamId)) return false
  if (f.categoryId && (f.categoryId === 'none' ? c.categoryId !== null : c.categoryId !== f.categoryId)) return false
  if (f.inboxId && c.inboxId !== f.inboxId) return false
  if (f.contactId && c.contactId !== f.contactId) return false
  if (f.tag && !c.tags.map((t) => t.toLowerCase()).includes(f.tag.trim().toLowerCase())) return false
  return true
}

const listCaches = (qc: QueryClient) => qc.getQueriesData<Pages>({ queryKey: ['conversations'] })

/** A cached row of this case in any list (for the contact and last message a PATCH response does not carry). */
function cachedRow(qc: QueryClient, id: string): ConversationListItem | undefined {
  for (const [, data] of listCaches(qc)) for (const p of data?.pages ?? []) for (const x of p.items) if (x.id === id) return x
  return undefined
}

/** `pages` with `row` at its place in the list's order; left out when that place is beyond the pages loaded so far. */
function placed(pages: Page[], row: ConversationListItem, f: Filters): Page[] {
  const sort = f.sort ?? 'recent'
  for (let i = 0; i < pages.length; i++) {
    const p = pages[i] as Page
    const at = p.items.findIndex((x) => compareIn(sort, row, x) < 0)
    if (at >= 0) return pages.map((q, j) => (j === i ? { ...p, items: [...p.items.slice(0, at), row, ...p.items.slice(at)] } : q))
  }
  const last = pages[pages.length - 1]
  if (!last || last.nextCursor !== null) return pages
  return [...pages.slice(0, -1), { ...last, items: [...last.items, row] }]
}

/**
 * Puts a fresh copy of a conversation into every cached list, at its place in
 * that list's order, or removes it where it no longer matches. No refetch of
 * the 10,000 rows already loaded. A PATCH response (no contact, no last
 * message) keeps those of the row it replaces; a case no list has yet is
 * fetched once with them.
 */
export function upsertConversation(qc: QueryClient, c: Conversation | ConversationListItem): void {
  qc.setQueryData(['conversation', c.id], c)
  const known = cachedRow(qc, c.id)
  if (!('contact' in c) && !known) {
    void unwrap(api.GET('/api/v1/conversations/{id}', { params: { path: { id: c.id } } }))
      .then((full) => upsertConversation(qc, full))
      .catch(() => undefined)
    return
  }
  const row: ConversationListItem = { contact: known?.contact ?? null, lastMessage: known?.lastMessage ?? null, ...c }
  for (const [key, data] of listCaches(qc)) {
    if (!data) continue
    const filters = (key[1] ?? {}) as Filters
    const without = data.pages.map((p) => ({ ...p, items: p.items.filter((x) => x.id !== c.id) }))
    const existed = without.some((p, i) => p.items.length !== data.pages[i]?.items.length)
    if (!matches(row, filters)) {
      if (existed) qc.setQueryData(key, { ...data, pages: without })
      continue
    }
    qc.setQueryData(key, { ...data, pages: placed(without, row, filters) })
  }
}

/**
 * Keeps every list and case live from the realtime stream. Events of one case
 * arriving together (a reply, its delivery update, a status change) cost one
 * fetch of the case: ids are collected for a moment, then fetched once each.
 */
export function useLiveConversations(qc: QueryClient): void {
  const pending = useRef(new Set<string>())
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined)
  useEffect(() => () => clearTimeout(timer.current), [])
  const onEvent = useCallback(
    (e: RealtimeEvent) => {
      if (!e.conversationId) return
      pending.current.add(e.conversationId)
      if (timer.current) return
      timer.current = setTimeout(() => {
        timer.current = undefined
        const ids = [...pending.current]
        pending.current.clear()
        for (const id of ids) {
          void qc.invalidateQueries({ queryKey: ['timeline', id] })
          unwrap(api.GET('/api/v1/conversations/{id}', { params: { path: { id } } }))
            .then((c) => upsertConversation(qc, c))
            .catch(() => undefined) // gone, or not visible to this role: nothing to show
        }
      }, 150)
    },
    [qc],
  )
  useRealtimeEvents(onEvent)
}
