import type { Conversation, ConversationFilters } from '../../api/client'

export type Sort = NonNullable<ConversationFilters['sort']>
export const sorts: readonly Sort[] = ['recent', 'newest', 'oldest', 'priority', 'waiting']

const rank: Record<Conversation['priority'], number> = { urgent: 3, high: 2, normal: 1, low: 0 }
const cmp = (a: string | number, b: string | number) => (a < b ? -1 : a > b ? 1 : 0)

/**
 * The server's list orders (conversations.repository.ts, sortKeys), for one
 * case that changed live: negative when `a` comes before `b` in the list.
 */
export function compareIn(sort: Sort, a: Conversation, b: Conversation): number {
  switch (sort) {
    case 'newest':
      return -cmp(a.createdAt, b.createdAt) || -cmp(a.id, b.id)
    case 'oldest':
      return cmp(a.createdAt, b.createdAt) || cmp(a.id, b.id)
    case 'priority':
      return -cmp(rank[a.priority], rank[b.priority]) || -cmp(a.updatedAt, b.updatedAt) || -cmp(a.id, b.id)
    case 'waiting':
      return cmp(a.lastCustomerMessageAt ?? a.createdAt, b.lastCustomerMessageAt ?? b.createdAt) || cmp(a.id, b.id)
    default:
      return -cmp(a.updatedAt, b.updatedAt) || -cmp(a.id, b.id)
  }
}
