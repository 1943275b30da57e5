import { useQuery } from '@tanstack/react-query'
import { api, type Schemas, unwrap } from '../../api/client'
import { i18next } from '../../i18n'
import { cannedEn } from './canned.en'

i18next.addResourceBundle('en', 'translation', { canned: cannedEn }, true, true)

export type CannedReply = Schemas['CannedReply']
export const cannedKey = (query = '') => ['canned-replies', query] as const

export const useCannedReplies = (query = '') =>
  useQuery({ queryKey: cannedKey(query), queryFn: () => unwrap(api.GET('/api/v1/canned-replies', { params: { query: query ? { query } : {} } })), staleTime: 30_000 })

export const renderReply = (id: string, conversationId: string) =>
  unwrap(api.POST('/api/v1/canned-replies/{id}/render', { params: { path: { id } }, body: { conversationId } }))

/** The `/shortcut` being typed just before the caret (at the start of a word), or null. */
export function shortcutAt(text: string, caret: number): { start: number; query: string } | null {
  const m = /(^|\s)\/([\w-]*)$/.exec(text.slice(0, caret))
  if (!m) return null
  return { start: caret - (m[2] as string).length - 1, query: (m[2] as string).toLowerCase() }
}

/** `/shortcut` suggestions: canned replies whose shortcut starts with what is typed, filled in for the case. */
export function shortcutSource(replies: CannedReply[], conversationId: string, onMissing: (vars: string[]) => void) {
  return {
    find: shortcutAt,
    items: (query: string) => replies.filter((r) => r.shortcut?.toLowerCase().startsWith(query)).slice(0, 6),
    key: (r: CannedReply) => r.id,
    replacement: async (r: CannedReply) => {
      const rendered = await renderReply(r.id, conversationId)
      onMissing(rendered.missing)
      return rendered.text
    },
  }
}
