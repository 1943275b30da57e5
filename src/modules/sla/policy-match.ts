import type { Policy, PolicyMatch } from './sla.types.ts'

/** What a policy's match reads of a case. */
export interface MatchableCase {
  priority: string
  channel: string
  inboxId: string
  categoryId: string | null
  tags: string[]
}

/** Every condition given must hold: one of its values (tags: all of them). An empty match takes every case. */
export function matches(match: PolicyMatch, c: MatchableCase): boolean {
  if (match.priority && !match.priority.includes(c.priority as never)) return false
  if (match.channel && !match.channel.includes(c.channel)) return false
  if (match.inboxId && !match.inboxId.includes(c.inboxId)) return false
  if (match.categoryId && (!c.categoryId || !match.categoryId.includes(c.categoryId))) return false
  if (match.tags && !match.tags.every((t) => c.tags.includes(t))) return false
  return true
}

/** Ordered policies: the first active one that matches wins. */
export function firstMatch(policies: readonly Policy[], c: MatchableCase): Policy | null {
  return policies.find((p) => p.active && matches(p.match, c)) ?? null
}
