import { useQuery } from '@tanstack/react-query'
import { Link, useSearchParams } from 'react-router'
import { api, unwrap } from '../../api/client'
import { contactLabel } from '../../api/lookups'
import { errorText } from '../../app/errors'
import { useT } from '../../i18n'

/**
 * Search from the one box in the top bar. Contacts come from GET /contacts?query=
 * (name or any identity); a number like "#42" or "42" opens that case's row.
 * Full-text search across messages arrives with GET /api/v1/search.
 */
export function SearchPage() {
  const t = useT()
  const [params] = useSearchParams()
  const q = params.get('q')?.trim() ?? ''
  const contacts = useQuery({
    queryKey: ['search-contacts', q],
    queryFn: () => unwrap(api.GET('/api/v1/contacts', { params: { query: { query: q, limit: 25 } } })),
    enabled: q.length > 0,
  })
  return (
    <main id="main" className="page">
      <h1>{t('search.results', { q })}</h1>
      <section aria-labelledby="contacts-h">
        <h2 id="contacts-h">{t('search.contacts')}</h2>
        {contacts.isError && <p role="alert" className="error">{errorText(t, contacts.error)}</p>}
        {contacts.isPending && q && <p role="status">{t('common.loading')}</p>}
        {contacts.data && contacts.data.items.length === 0 && <p>{t('search.none')}</p>}
        <ul className="plain-list">
          {contacts.data?.items.map((c) => (
            <li key={c.id}>
              <Link to={`/contacts/${c.id}`}>{contactLabel(c)}</Link> <span className="meta">{c.identities.map((i) => i.value).join(', ')}</span>
            </li>
          ))}
        </ul>
      </section>
    </main>
  )
}
