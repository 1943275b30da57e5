import { AppError } from '../errors.ts'
import type { SecretBox } from '../crypto.ts'

/**
 * Opaque, signed pagination cursors: base64url JSON of the sort key of the last
 * item plus an HMAC, so a tampered or foreign cursor is a clear 400, never an
 * odd query.
 */
export interface CursorCodec {
  encode(values: readonly (string | number)[]): string
  decode(cursor: string | undefined, arity: number): string[] | null
}

export function createCursorCodec(box: SecretBox): CursorCodec {
  return {
    encode(values) {
      const body = Buffer.from(JSON.stringify(values)).toString('base64url')
      return `${body}.${box.sign(body)}`
    },
    decode(cursor, arity) {
      if (cursor === undefined) return null
      const invalid = new AppError('INVALID_CURSOR', 'The cursor is not valid; start again from the first page')
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
  }
}

/** Splits a page fetched with limit+1 rows into items and the next cursor. */
export function page<T>(rows: T[], limit: number, cursorOf: (last: T) => string): { items: T[]; nextCursor: string | null } {
  if (rows.length <= limit) return { items: rows, nextCursor: null }
  const items = rows.slice(0, limit)
  return { items, nextCursor: cursorOf(items[items.length - 1] as T) }
}
