import { useQuery } from '@tanstack/react-query'
import { Link, useSearchParams } from 'react-router'
import { api, type SearchResult, unwrap } from '../../api/client'
import { errorText } from '../../app/errors'
import { useT } from '../../i18n'

const groups = [
  ['conversation', 'search.cases'],
  ['message', 'search.messages'],
  ['contact', 'search.contacts'],
] as const

const hrefOf = (r: SearchResult) => (r.type === 'contact' ? `/contacts/${r.contactId ?? r.id}` : `/cases/${r.conversationId ?? ''}`)

/**
 * Search from the one box in the top bar: GET /api/v1/search finds cases (subject,
 * #number), messages and notes (text) and contacts (name, identities); the hits
 * are shown grouped, each a link to the case or the contact.
 */
export function SearchPage() {
  const t = useT()
  const [params] = useSearchParams()
  const q = params.get('q')?.trim() ?? ''
  const search = useQuery({
    queryKey: ['search', q],
    queryFn: () => unwrap(api.GET('/api/v1/search', { params: { query: { q, limit: 50 } } })),
    enabled: q.length > 0,
  })
  const items = search.data?.items ?? []
  return (
    <main id="main" className="page search-page">
      <h1>{t('search.results', { q })}</h1>
      {search.isError && <p role="alert" className="error">{errorText(t, search.error)}</p>}
      {search.isPending && q && <p role="status">{t('common.loading')}</p>}
      {search.data && items.length === 0 && <p>{t('search.none')}</p>}
      {groups.map(([type, label]) => {
        const hits = items.filter((r) => r.type === type)
        if (hits.length === 0) return null
        return (
          <section key={type} aria-labelledby={`search-${type}`}>
            <h2 id={`search-${type}`}>
              {t(label)} <span className="meta">({hits.length})</span>
            </h2>
            <ul className="plain-list search-hits">
              {hits.map((r) => (
                <li key={`${r.type}:${r.id}`}>
                  <Link to={hrefOf(r)}>{r.title}</Link>
                  {r.type !== 'conversation' && r.snippet && <span className="meta snippet">{r.snippet}</span>}
                </li>
              ))}
            </ul>
          </section>
        )
      })}
    </main>
  )
}
