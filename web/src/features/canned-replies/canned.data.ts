import { useQuery } from '@tanstack/react-query'
import { api, type Schemas, unwrap } from '../../api/client'
import type { paths } from '../../api/schema'
import { i18next } from '../../i18n'
import { cannedEn } from './canned.en'

i18next.addResourceBundle('en', 'translation', { canned: cannedEn }, true, true)

export type CannedReply = Schemas['CannedReply']
type Rendered = paths['/api/v1/canned-replies/{id}/render']['post']['responses'][200]['content']['application/json']
export type TemplateVariable = Rendered['missing'][number]

/** The variables the server fills in (typed from its schema: a variable it adds or drops fails the type check here). */
export const templateVariables = [
  'contact.name',
  'contact.firstName',
  'contact.email',
  'contact.phone',
  'agent.name',
  'agent.firstName',
  'agent.email',
  'conversation.number',
  'conversation.subject',
  'conversation.status',
  'conversation.channel',
] as const satisfies readonly TemplateVariable[]
const everyVariable: Exclude<TemplateVariable, (typeof templateVariables)[number]> extends never ? true : false = true
void everyVariable

export const cannedKey = (query = '') => ['canned-replies', query] as const

export const useCannedReplies = (query = '') =>
  useQuery({ queryKey: cannedKey(query), queryFn: () => unwrap(api.GET('/api/v1/canned-replies', { params: { query: query ? { query } : {} } })), staleTime: 30_000 })

export const renderReply = (id: string, conversationId: string) =>
  unwrap(api.POST('/api/v1/canned-replies/{id}/render', { params: { path: { id } }, body: { conversationId } }))
