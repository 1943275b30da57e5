import { useQuery, useQueryClient } from '@tanstack/react-query'
import { useState } from 'react'
import { Link } from 'react-router'
import { api, type Contact, unwrap } from '../../api/client'
import { caseTitle, contactLabel, useContact } from '../../api/lookups'
import { errorText } from '../../app/errors'
import { useMe } from '../auth/session'
import { useT } from '../../i18n'
import { ContactAttributes } from './ContactAttributes'
import { mergePreview, useContactCases, useMergeHistory } from './contacts.data'
import { SuggestionNotice } from './SuggestionNotice'

/** The customer beside a case (or on their own page): profile, a pending merge suggestion, identities, attributes, previous cases, merge and undo. */
export function CustomerPanel({ contactId, currentCaseId }: { contactId: string; currentCaseId?: string }) {
  const t = useT()
  const contact = useContact(contactId)
  const cases = useContactCases(contactId)
  const { me } = useMe()
  // Merging is a supervisor's permission (contacts:merge); agents do not see it.
  const mayMerge = ['owner', 'admin', 'supervisor'].includes(me.role)
  const c = contact.data
  if (contact.isError) return <p role="alert" className="error">{errorText(t, contact.error)}</p>
  if (!c) return <p role="status">{t('common.loading')}</p>
  return (
    <section className="customer card" aria-labelledby={`customer-${c.id}`}>
      <h2 id={`customer-${c.id}`}>
        <Link to={`/contacts/${c.id}`}>{contactLabel(c)}</Link>
      </h2>
      <SuggestionNotice contactId={c.id} mayMerge={mayMerge} />
      <h3>{t('contact.identities')}</h3>
      <ul className="plain-list">
        {c.identities.map((i) => (
          <li key={i.id}>
            <span className="meta">{t(`identity.${i.kind}`, { defaultValue: i.kind })}:</span> {i.value}
            {i.undeliverable && <span className="badge warning"> {t('contact.undeliverable')}</span>}
          </li>
        ))}
      </ul>
      <ContactAttributes contact={c} mayEdit={me.role !== 'auditor'} />
      <h3>{currentCaseId ? t('contact.otherCases') : t('contact.cases')}</h3>
      <ul className="plain-list">
        {cases.data?.items
          .filter((x) => x.id !== currentCaseId)
          .map((x) => (
            <li key={x.id}>
              <Link to={`/cases/${x.id}`}>{caseTitle(x)}</Link>{' '}
              <span className="meta">
                #{x.number} · {t(`status.${x.status}`)} · {t(`channels.${x.channel}`, { defaultValue: x.channel })}
              </span>
            </li>
          ))}
      </ul>
      {mayMerge && <Merge target={c} />}
    </section>
  )
}

function Merge({ target }: { target: Contact }) {
  const t = useT()
  const qc = useQueryClient()
  const [query, setQuery] = useState('')
  const [submitted, setSubmitted] = useState('')
  const [source, setSource] = useState<Contact | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [done, setDone] = useState<string | null>(null)
  const history = useMergeHistory(target.id)
  const found = useQuery({
    queryKey: ['search-contacts', submitted],
    queryFn: () => unwrap(api.GET('/api/v1/contacts', { params: { query: { query: submitted, limit: 10 } } })),
    enabled: submitted.length > 0,
  })
  const refresh = async () => {
    await qc.invalidateQueries({ queryKey: ['contact'] })
    await qc.invalidateQueries({ queryKey: ['merges'] })
    await qc.invalidateQueries({ queryKey: ['conversations-of-contact'] })
    await qc.invalidateQueries({ queryKey: ['conversations'] })
  }

  async function merge() {
    if (!source) return
    setError(null)
    try {
      const res = await unwrap(api.POST('/api/v1/contacts/{id}/merge', { params: { path: { id: target.id } }, body: { sourceContactId: source.id } }))
      setDone(res.merge.id)
      setSource(null)
      await refresh()
    } catch (err) {
      setError(errorText(t, err))
    }
  }
  async function undo(mergeId: string) {
    setError(null)
    try {
      await unwrap(api.POST('/api/v1/contact-merges/{id}/undo', { params: { path: { id: mergeId } } }))
      setDone(null)
      await refresh()
    } catch (err) {
      setError(errorText(t, err))
    }
  }
  const preview = source ? mergePreview(target, source) : null
  const sourceCases = useContactCases(source?.id ?? '', Boolean(source))
  const undoable = history.data?.items.filter((m) => m.targetContactId === target.id && !m.undoneAt) ?? []

  return (
    <div className="merge">
      <h3>{t('merge.title')}</h3>
      <form
        role="search"
        onSubmit={(e) => {
          e.preventDefault()
          setSubmitted(query.trim())
        }}
      >
        <label>
          {t('merge.find')}
          <input type="search" value={query} onChange={(e) => setQuery(e.target.value)} />
        </label>
        <button type="submit">{t('merge.search')}</button>
      </form>
      {found.data && (
        <ul className="plain-list">
          {found.data.items
            .filter((x) => x.id !== target.id)
            .map((x) => (
              <li key={x.id}>
                <button type="button" className="link" onClick={() => setSource(x)}>
                  {t('merge.pick', { name: contactLabel(x) })}
                </button>{' '}
                <span className="meta">{x.identities.map((i) => i.value).join(', ')}</span>
              </li>
            ))}
        </ul>
      )}
      {source && preview && (
        <div className="merge-preview" role="region" aria-label={t('merge.preview')}>
          <p>{t('merge.summary', { source: contactLabel(source), target: contactLabel(target) })}</p>
          <ul>
            {preview.identities.map((i) => (
              <li key={i.id}>{t('merge.moves', { value: i.value })}</li>
            ))}
            {sourceCases.data && <li>{t('merge.movesCases', { count: sourceCases.data.items.length, more: sourceCases.data.nextCursor ? '+' : '' })}</li>}
            {preview.conflicts.map((k) => (
              <li key={k}>{t('merge.conflict', { key: k })}</li>
            ))}
          </ul>
          <button type="button" className="primary" onClick={() => void merge()}>
            {t('merge.confirm')}
          </button>{' '}
          <button type="button" onClick={() => setSource(null)}>
            {t('common.cancel')}
          </button>
        </div>
      )}
      {done && (
        <p role="status">
          {t('merge.done')}{' '}
          <button type="button" onClick={() => void undo(done)}>
            {t('merge.undo')}
          </button>
        </p>
      )}
      {!done && undoable.length > 0 && (
        <ul className="plain-list">
          {undoable.map((m) => (
            <li key={m.id}>
              {t('merge.earlier', { at: new Date(m.createdAt).toLocaleString() })}{' '}
              <button type="button" onClick={() => void undo(m.id)}>
                {t('merge.undo')}
              </button>
            </li>
          ))}
        </ul>
      )}
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
    </div>
  )
}
