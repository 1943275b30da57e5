import { type Actor, authorize } from '../../platform/auth/actor.ts'
import type { Platform } from '../../platform/platform.ts'
import * as repo from './search.repository.ts'
import { conversationNumberOf, type SearchResult, toPrefixQuery } from './search.types.ts'

const title = (number: string | number, subject: string | null) => `#${number}${subject ? ` ${subject}` : ''}`

/** One search box across cases (subject, number), messages and notes (text) and contacts (name, identities). */
export function createSearchService(p: Platform) {
  return {
    async search(actor: Actor, input: { q: string; limit: number }): Promise<{ items: SearchResult[]; nextCursor: null }> {
      authorize(actor, 'conversations:read')
      authorize(actor, 'contacts:read')
      const query = toPrefixQuery(input.q)
      const number = conversationNumberOf(input.q)
      if (!query && number === null) return { items: [], nextCursor: null }
      const ws = actor.workspaceId
      const { conversations, messages, contacts } = await p.tx(actor, async (trx) => ({
        conversations: await repo.searchConversations(trx, ws, query, number, input.limit),
        messages: query ? await repo.searchMessages(trx, ws, query, input.limit) : [],
        contacts: query ? await repo.searchContacts(trx, ws, query, input.limit) : [],
      }))
      const items: SearchResult[] = [
        ...conversations.map((c) => ({
          type: 'conversation' as const,
          id: c.id,
          conversationId: c.id,
          contactId: c.contact_id,
          title: title(c.number, c.subject),
          snippet: c.subject ?? '',
          rank: Number(c.rank),
          at: c.updated_at.toISOString(),
        })),
        ...messages.map((m) => ({
          type: 'message' as const,
          id: m.id,
          conversationId: m.conversation_id,
          contactId: m.contact_id,
          title: title(m.number, m.subject),
          snippet: m.snippet,
          rank: Number(m.rank),
          at: m.created_at.toISOString(),
        })),
        ...contacts.map((k) => ({
          type: 'contact' as const,
          id: k.id,
          conversationId: null,
          contactId: k.id,
          title: k.name ?? k.identities?.[0] ?? 'Unnamed contact',
          snippet: (k.identities ?? []).join(', '),
          rank: Number(k.rank),
          at: k.updated_at.toISOString(),
        })),
      ]
      items.sort((a, b) => b.rank - a.rank || (a.at < b.at ? 1 : a.at > b.at ? -1 : 0))
      return { items: items.slice(0, input.limit), nextCursor: null }
    },
  }
}
export type SearchService = ReturnType<typeof createSearchService>
