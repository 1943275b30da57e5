import type { User } from '../../api/client'

/** The `@word` being typed just before the caret, or null. */
export function mentionAt(text: string, caret: number): { start: number; query: string } | null {
  const m = /(^|[\s(])@([\p{L}\p{N}._+-]*)$/u.exec(text.slice(0, caret))
  if (!m) return null
  return { start: caret - (m[2] as string).length - 1, query: (m[2] as string).toLowerCase() }
}

/**
 * How a note names a colleague so that the server notifies them
 * (src/modules/notifications: `@handle`, the part of the email before the @,
 * when only one user has it; otherwise the whole email).
 */
export function mentionOf(user: Pick<User, 'email'>, users: Array<Pick<User, 'email'>>): string {
  const handle = (e: string) => e.split('@')[0]?.toLowerCase() ?? ''
  const h = handle(user.email)
  return users.filter((u) => handle(u.email) === h).length === 1 ? `@${h}` : `@${user.email}`
}

/** Active colleagues whose name or email starts (any word) with the query; a few at most. */
export function suggestUsers(users: User[], query: string, limit = 6): User[] {
  return users
    .filter((u) => u.active !== false)
    .filter((u) => !query || u.email.toLowerCase().startsWith(query) || u.name.toLowerCase().split(/\s+/).some((w) => w.startsWith(query)))
    .slice(0, limit)
}

/** `@` suggestions of colleagues, for internal notes. */
export function mentionSource(users: User[]) {
  return {
    find: mentionAt,
    items: (query: string) => suggestUsers(users, query),
    key: (u: User) => u.id,
    replacement: (u: User) => `${mentionOf(u, users)} `,
  }
}
