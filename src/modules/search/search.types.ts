import { z } from 'zod'

export const searchResultTypes = ['conversation', 'message', 'contact'] as const
export type SearchResultType = (typeof searchResultTypes)[number]

/** One hit of the desk's search box: what it is, where it leads, and a plain-text snippet. */
export const searchResultSchema = z
  .object({
    type: z.enum(searchResultTypes),
    /** The conversation, message or contact id. */
    id: z.uuid(),
    /** The conversation to open (conversations and messages). */
    conversationId: z.uuid().nullable(),
    contactId: z.uuid().nullable(),
    /** `#42 Printer on fire` for cases and messages, the name (or first identity) for contacts. */
    title: z.string(),
    /** Plain text around the match (never HTML). */
    snippet: z.string(),
    /** Higher is better; comparable across types. */
    rank: z.number(),
    at: z.string(),
  })
  .meta({ id: 'SearchResult' })
export type SearchResult = z.infer<typeof searchResultSchema>

/**
 * The words of a search box as a prefix tsquery for the 'simple' configuration:
 * letters and digits only (so nothing the user types is tsquery syntax), each a
 * prefix, all required. Null when nothing searchable is left.
 */
export function toPrefixQuery(input: string, maxWords = 8): string | null {
  const words = (input.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []).slice(0, maxWords)
  return words.length ? words.map((w) => `${w}:*`).join(' & ') : null
}

/** `#42` or `42`: a conversation number. */
export function conversationNumberOf(input: string): number | null {
  const m = /^#?(\d{1,12})$/.exec(input.trim())
  return m ? Number(m[1]) : null
}
