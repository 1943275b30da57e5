import type { RoutableCase } from './routing.repository.ts'
import type { QueueMatch } from './routing.types.ts'

/**
 * Whether a case meets a queue's entry rules (pure). Every rule given must
 * hold; within one rule any listed value will do. A queue without rules
 * takes every case. The case's language is its `language` custom field, else
 * the contact's `language` attribute.
 */
export function matchesQueue(match: QueueMatch, c: RoutableCase): boolean {
  const conv = c.conversation
  if (match.inboxIds?.length && !match.inboxIds.includes(conv.inbox_id)) return false
  if (match.channels?.length && !match.channels.includes(conv.channel as never)) return false
  if (match.categoryIds?.length && (!conv.category_id || !match.categoryIds.includes(conv.category_id))) return false
  if (match.priorities?.length && !match.priorities.includes(conv.priority as never)) return false
  if (match.languages?.length) {
    const language = String(conv.custom_fields.language ?? c.contactAttributes.language ?? '').toLowerCase()
    if (!match.languages.some((l) => language === l || language.startsWith(`${l}-`))) return false
  }
  if (match.tags?.length) {
    const tags = c.tags.map((t) => t.toLowerCase())
    if (!match.tags.some((t) => tags.includes(t.toLowerCase()))) return false
  }
  if (match.contactAttributes) {
    for (const [key, want] of Object.entries(match.contactAttributes)) if (c.contactAttributes[key] !== want) return false
  }
  return true
}
