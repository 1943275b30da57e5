import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { useState } from 'react'
import { Link } from 'react-router'
import { api, type Contact, type MergeSuggestion, unwrap } from '../../api/client'
import { contactLabel, useContact } from '../../api/lookups'
import { errorText } from '../../app/errors'
import { useT } from '../../i18n'
import { mergePreview } from '../contacts/contacts.data'
import { AdminPage, QueryState, when } from './admin.shared'

const statuses = ['open', 'accepted', 'rejected'] as const

/**
 * Merge suggestions from unverified evidence (an email typed in a chat's
 * pre-chat form, an unsigned widget identity): each with its evidence, both
 * contacts side by side and the merged result, to accept (B is merged into
 * A; undo from A's customer panel) or reject.
 */
export function SuggestionsAdmin() {
  const t = useT()
  const [status, setStatus] = useState<(typeof statuses)[number]>('open')
  const list = useQuery({ queryKey: ['merge-suggestions', status], queryFn: () => unwrap(api.GET('/api/v1/merge-suggestions', { params: { query: { status, limit: 50 } } })) })
  return (
    <AdminPage title={t('admin.suggestions.title')}>
      <p className="meta">{t('admin.suggestions.help')}</p>
      <label>
        {t('admin.suggestions.show')}
        <select value={status} onChange={(e) => setStatus(e.target.value as typeof status)}>
          {statuses.map((s) => <option key={s} value={s}>{t(`admin.suggestions.status.${s}`)}</option>)}
        </select>
      </label>
      <QueryState error={list.error} pending={list.isPending} />
      {list.data?.items.length === 0 && <p role="status">{t('admin.suggestions.none')}</p>}
      {list.data?.items.map((s) => <SuggestionCard key={s.id} suggestion={s} />)}
    </AdminPage>
  )
}

function SuggestionCard({ suggestion: s }: { suggestion: MergeSuggestion }) {
  const t = useT()
  const qc = useQueryClient()
  const a = useContact(s.contactAId)
  const b = useContact(s.contactBId)
  const decide = useMutation({
    mutationFn: (accept: boolean) =>
      accept
        ? unwrap(api.POST('/api/v1/merge-suggestions/{id}/accept', { params: { path: { id: s.id } }, body: {} })).then((r) => r.suggestion)
        : unwrap(api.POST('/api/v1/merge-suggestions/{id}/reject', { params: { path: { id: s.id } } })),
    onSuccess: async () => {
      // Stale, not refetched: the card keeps showing the two as they were when decided (B has no identities left once merged).
      await qc.invalidateQueries({ queryKey: ['contact'], refetchType: 'none' })
      await qc.invalidateQueries({ queryKey: ['merges'] })
      await qc.invalidateQueries({ queryKey: ['conversations-of-contact'] })
      // The customer panels' notices; this list keeps the decided card until the next visit.
      await qc.invalidateQueries({ queryKey: ['merge-suggestions', 'of'] })
    },
  })
  const decided = decide.data ?? (s.status === 'open' ? null : s)
  const [ca, cb] = [a.data, b.data]
  const headingId = `suggestion-${s.id}`
  const e = s.evidence
  return (
    <section className="card" aria-labelledby={headingId}>
      <h2 id={headingId}>{t('admin.suggestions.pair', { a: contactLabel(ca), b: contactLabel(cb) })}</h2>
      <dl className="attributes">
        <div><dt>{t('admin.suggestions.source')}</dt><dd>{e.source}</dd></div>
        {e.identity && <div><dt>{t('admin.suggestions.claimed')}</dt><dd>{e.identity.kind}: {e.identity.value}</dd></div>}
        {e.detail && <div><dt>{t('admin.suggestions.detail')}</dt><dd>{e.detail}</dd></div>}
        {e.conversationId && <div><dt>{t('admin.suggestions.case')}</dt><dd><Link to={`/cases/${e.conversationId}`}>{t('admin.suggestions.openCase')}</Link></dd></div>}
        <div><dt>{t('admin.suggestions.suggested')}</dt><dd>{when(s.createdAt)}</dd></div>
      </dl>
      <QueryState error={a.error ?? b.error} pending={a.isPending || b.isPending} />
      {ca && cb && (
        <div className="suggestion-grid">
          <ContactColumn title={t('admin.suggestions.keeps', { name: contactLabel(ca) })} contact={ca} />
          <ContactColumn title={t('admin.suggestions.mergedIn', { name: contactLabel(cb) })} contact={cb} />
          <MergedColumn target={ca} source={cb} />
        </div>
      )}
      {decide.isError && <p role="alert" className="error">{errorText(t, decide.error)}</p>}
      {decided ? (
        <p role="status">
          {t(`admin.suggestions.decided.${decided.status}`)}{' '}
          {decided.status === 'accepted' && <Link to={`/contacts/${s.contactAId}`}>{t('admin.suggestions.undoAt', { name: contactLabel(ca) })}</Link>}
        </p>
      ) : (
        <div>
          <button type="button" className="primary" disabled={decide.isPending || !ca || !cb} onClick={() => decide.mutate(true)}>
            {t('admin.suggestions.accept', { a: contactLabel(ca), b: contactLabel(cb) })}
          </button>{' '}
          <button type="button" disabled={decide.isPending} onClick={() => decide.mutate(false)}>
            {t('admin.suggestions.reject', { a: contactLabel(ca), b: contactLabel(cb) })}
          </button>
        </div>
      )}
    </section>
  )
}

function ContactColumn({ title, contact }: { title: string; contact: Contact }) {
  return (
    <div>
      <h3>{title}</h3>
      <ContactFacts name={contact.name} identities={contact.identities.map((i) => `${i.kind}: ${i.value}`)} attributes={contact.attributes} />
    </div>
  )
}

/** What the merged contact will be: the target's name and attribute values win, identities are joined. */
function MergedColumn({ target, source }: { target: Contact; source: Contact }) {
  const t = useT()
  const p = mergePreview(target, source)
  const attributes = { ...Object.fromEntries(p.added.map((k) => [k, source.attributes[k]])), ...target.attributes }
  return (
    <div role="region" aria-label={t('admin.suggestions.result')}>
      <h3>{t('admin.suggestions.result')}</h3>
      <ContactFacts name={p.name} identities={[...target.identities, ...source.identities].map((i) => `${i.kind}: ${i.value}`)} attributes={attributes} />
      {p.conflicts.length > 0 && <p className="meta">{t('admin.suggestions.conflicts', { keys: p.conflicts.join(', ') })}</p>}
    </div>
  )
}

function ContactFacts({ name, identities, attributes }: { name: string | null; identities: string[]; attributes: Record<string, unknown> }) {
  const t = useT()
  return (
    <dl className="attributes">
      <div><dt>{t('admin.common.name')}</dt><dd>{name ?? '—'}</dd></div>
      {identities.map((i) => <div key={i}><dt>{t('contact.identities')}</dt><dd>{i}</dd></div>)}
      {Object.entries(attributes).map(([k, v]) => <div key={k}><dt>{k}</dt><dd>{typeof v === 'string' ? v : JSON.stringify(v)}</dd></div>)}
    </dl>
  )
}
