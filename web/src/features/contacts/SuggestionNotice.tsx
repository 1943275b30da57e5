import { useQuery } from '@tanstack/react-query'
import { Link } from 'react-router'
import { api, unwrap } from '../../api/client'
import { contactLabel, useContact } from '../../api/lookups'
import { useT } from '../../i18n'

/**
 * A pending merge suggestion about this contact: who the other contact is
 * and why. Supervisors get a link to review it; agents see that one waits.
 */
export function SuggestionNotice({ contactId, mayMerge }: { contactId: string; mayMerge: boolean }) {
  const t = useT()
  const open = useQuery({
    queryKey: ['merge-suggestions', 'of', contactId],
    queryFn: () => unwrap(api.GET('/api/v1/merge-suggestions', { params: { query: { contactId, status: 'open', limit: 5 } } })),
  })
  const first = open.data?.items[0]
  const otherId = first ? (first.contactAId === contactId ? first.contactBId : first.contactAId) : null
  const other = useContact(otherId)
  if (!first) return null
  return (
    <div className="suggestion-notice" role="note" aria-label={t('contact.suggestion.label')}>
      <p>
        {t('contact.suggestion.text', { name: contactLabel(other.data) })}
        {first.evidence.detail ? ` (${first.evidence.detail})` : ''}
      </p>
      {mayMerge ? <Link to="/admin/merge-suggestions">{t('contact.suggestion.review')}</Link> : <p className="meta">{t('contact.suggestion.agent')}</p>}
    </div>
  )
}
