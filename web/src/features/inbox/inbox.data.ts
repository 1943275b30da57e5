import { type InfiniteData, type QueryClient, useInfiniteQuery } from '@tanstack/react-query'
import { useCallback } from 'react'
import { api, type Conversation, type ConversationFilters, unwrap } from '../../api/client'
import { useRealtimeEvents } from '../../realtime/hooks'
import type { RealtimeEvent } from '../../realtime/realtime'

export type Filters = Omit<ConversationFilters, 'limit' | 'cursor'>
type Page = { items: Conversation[]; nextCursor: string | null }
const PAGE = 100

export const conversationsKey = (f: Filters) => ['conversations', f] as const

/** The inbox list: pages of 100, most recently active first, fetched as the agent scrolls. */
export function useConversationList(filters: Filters) {
  return useInfiniteQuery({
    queryKey: conversationsKey(filters),
    queryFn: ({ pageParam }) => unwrap(api.GET('/api/v1/conversations', { params: { query: { ...filters, limit: PAGE, ...(pageParam && { cursor: pageParam }) } } })),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last: Page) => last.nextCursor ?? undefined,
  })
}

/** Whether a conversation belongs in a list with these filters (the server's filters, applied to one case). */
export function matches(c: Conversation, f: Filters): boolean {
  if (f.status && c.status !== f.status) return false
  if (f.priority && c.priority !== f.priority) return false
  if (f.assigneeId && (f.assigneeId === 'none' ? c.assigneeId !== null : c.assigneeId !== f.assigneeId)) return false
  if (f.teamId && (f.teamId === 'none' ? c.teamId !== null : c.teamId !== f.teamId)) return false
  if (f.inboxId && c.inboxId !== f.inboxId) return false
  if (f.contactId && c.contactId !== f.contactId) return false
  if (f.tag && !c.tags.includes(f.tag)) return false
  return true
}

/**
 * Puts a fresh copy of a conversation into every cached list: moved to the top
 * when it belongs there (the lists are most-recently-active first), removed where
 * it no longer matches. No refetch of the 10,000 rows already loaded.
 */
export function upsertConversation(qc: QueryClient, c: Conversation): void {
  qc.setQueryData(['conversation', c.id], c)
  for (const [key, data] of qc.getQueriesData<InfiniteData<Page, string | undefined>>({ queryKey: ['conversations'] })) {
    if (!data) continue
    const filters = (key[1] ?? {}) as Filters
    const without = data.pages.map((p) => ({ ...p, items: p.items.filter((x) => x.id !== c.id) }))
    const existed = without.some((p, i) => p.items.length !== data.pages[i]?.items.length)
    if (!matches(c, filters)) {
      if (existed) qc.setQueryData(key, { ...data, pages: without })
      continue
    }
    const first = without[0]
    if (!first) continue
    without[0] = { ...first, items: [c, ...first.items] }
    qc.setQueryData(key, { ...data, pages: without })
  }
}

/** Keeps every list and case live from the realtime stream. */
export function useLiveConversations(qc: QueryClient): void {
  const onEvent = useCallback(
    (e: RealtimeEvent) => {
      if (!e.conversationId) return
      const id = e.conversationId
      void qc.invalidateQueries({ queryKey: ['timeline', id] })
      unwrap(api.GET('/api/v1/conversations/{id}', { params: { path: { id } } }))
        .then((c) => upsertConversation(qc, c))
        .catch(() => undefined) // gone or not visible to this role: nothing to show
    },
    [qc],
  )
  useRealtimeEvents(onEvent)
}
