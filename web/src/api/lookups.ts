import { useQuery } from '@tanstack/react-query'
import { api, type Contact, type Conversation, unwrap } from './client'

/** Small, slowly changing workspace lists the views label things with. */
const long = { staleTime: 5 * 60_000 }

export const useUsers = () => useQuery({ queryKey: ['users'], queryFn: () => unwrap(api.GET('/api/v1/users', { params: { query: { limit: 100 } } })), ...long })
export const useTeams = () => useQuery({ queryKey: ['teams'], queryFn: () => unwrap(api.GET('/api/v1/teams')), ...long })
export const useInboxes = () => useQuery({ queryKey: ['inboxes'], queryFn: () => unwrap(api.GET('/api/v1/inboxes', { params: { query: { limit: 100 } } })), ...long })
export const useCategories = () => useQuery({ queryKey: ['categories'], queryFn: () => unwrap(api.GET('/api/v1/categories')), ...long })
export const useCustomFields = () => useQuery({ queryKey: ['custom-fields'], queryFn: () => unwrap(api.GET('/api/v1/custom-fields')), ...long })
export const useCaseRequirements = () => useQuery({ queryKey: ['case-requirements'], queryFn: () => unwrap(api.GET('/api/v1/settings/case-requirements')), ...long })

/** A contact (each read is audited by the server as contact.viewed, so it is cached for the session). */
export const useContact = (id: string | null | undefined) =>
  useQuery({
    queryKey: ['contact', id],
    queryFn: () => unwrap(api.GET('/api/v1/contacts/{id}', { params: { path: { id: id as string } } })),
    enabled: Boolean(id),
    staleTime: 10 * 60_000,
  })

export const useConversation = (id: string | undefined) =>
  useQuery({
    queryKey: ['conversation', id],
    queryFn: () => unwrap(api.GET('/api/v1/conversations/{id}', { params: { path: { id: id as string } } })),
    enabled: Boolean(id),
  })

export function contactLabel(c: Contact | undefined): string {
  if (!c) return '…'
  return c.name ?? c.identities[0]?.value ?? c.id.slice(0, 8)
}

export function caseTitle(c: Pick<Conversation, 'subject' | 'number'>): string {
  return c.subject ?? `#${c.number}`
}
