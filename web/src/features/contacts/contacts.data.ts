import { useQuery } from '@tanstack/react-query'
import { api, type Contact, unwrap } from '../../api/client'

export const useContactCases = (contactId: string) =>
  useQuery({
    queryKey: ['conversations-of-contact', contactId],
    queryFn: () => unwrap(api.GET('/api/v1/conversations', { params: { query: { contactId, limit: 50 } } })),
  })

export const useMergeHistory = (contactId: string) =>
  useQuery({ queryKey: ['merges', contactId], queryFn: () => unwrap(api.GET('/api/v1/contacts/{id}/merges', { params: { path: { id: contactId } } })) })

/** What merging `source` into `target` will do, computed the way the server does it: the target's values win. */
export function mergePreview(target: Contact, source: Contact) {
  const conflicts = Object.keys(source.attributes).filter((k) => k in target.attributes && JSON.stringify(target.attributes[k]) !== JSON.stringify(source.attributes[k]))
  const added = Object.keys(source.attributes).filter((k) => !(k in target.attributes))
  return { identities: source.identities, conflicts, added, name: target.name ?? source.name }
}
