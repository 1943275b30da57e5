import { AppError } from '../errors.ts'
import type { SecretBox } from '../crypto.ts'

/** The longest cursor accepted in a query string; anything longer is a 400 INVALID_CURSOR before it is decoded. */
export const MAX_CURSOR_LENGTH = 1024

/**
 * Opaque, signed pagination cursors: base64url JSON of the sort key of the last
 * item plus an HMAC, so a tampered or foreign cursor is a clear 400, never an
 * odd query.
 *
 * Services `encode`/`decode` the sort key. At the HTTP edge
 * (input-guards.ts) every `nextCursor` is also `bind`-ed to the list it came
 * from (route, path parameters, filters, workspace) with a second HMAC, and
 * `unbind` checks that binding before the service sees the cursor: a cursor
 * of one list given to another is a 400 INVALID_CURSOR.
 */
export interface CursorCodec {
  encode(values: readonly (string | number)[]): string
  decode(cursor: string | undefined, arity: number): string[] | null
  /** Adds the identity of the list the cursor belongs to. */
  bind(cursor: string, listId: string): string
  /** Checks and removes the binding; throws INVALID_CURSOR if the cursor belongs to another list or was altered. */
  unbind(cursor: string, listId: string): string
}

const invalidCursor = () => new AppError('INVALID_CURSOR', 'The cursor is not valid for this list; start again from the first page')

export function createCursorCodec(box: SecretBox): CursorCodec {
  const binding = (cursor: string, listId: string) => box.sign(`cursor-list\n${listId}\n${cursor}`)
  return {
    encode(values) {
      const body = Buffer.from(JSON.stringify(values)).toString('base64url')
      return `${body}.${box.sign(body)}`
    },
    decode(cursor, arity) {
      if (cursor === undefined) return null
      const invalid = invalidCursor()
      const [body, sig] = cursor.split('.')
      if (!body || !sig || box.sign(body) !== sig) throw invalid
      let values: unknown
      try {
        values = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'))
      } catch {
        throw invalid
      }
      if (!Array.isArray(values) || values.length !== arity) throw invalid
      return values.map(String)
    },
    bind(cursor, listId) {
      return `${cursor}.${binding(cursor, listId)}`
    },
    unbind(cursor, listId) {
      if (cursor.length > MAX_CURSOR_LENGTH) throw invalidCursor()
      const dot = cursor.lastIndexOf('.')
      const inner = cursor.slice(0, dot)
      if (dot <= 0 || binding(inner, listId) !== cursor.slice(dot + 1)) throw invalidCursor()
      return inner
    },
  }
}

/** Splits a page fetched with limit+1 rows into items and the next cursor. */
export function page<T>(rows: T[], limit: number, cursorOf: (last: T) => string): { items: T[]; nextCursor: string | null } {
  if (rows.length <= limit) return { items: rows, nextCursor: null }
  const items = rows.slice(0, limit)
  return { items, nextCursor: cursorOf(items[items.length - 1] as T) }
}
