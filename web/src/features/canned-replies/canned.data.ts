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
