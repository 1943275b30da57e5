import { useQueryClient } from '@tanstack/react-query'
import { type FormEvent, useId, useState } from 'react'
import { api, ApiError, unwrap } from '../../api/client'
import { errorText } from '../../app/errors'
import { useT } from '../../i18n'
import { useMe } from '../auth/session'
import '../conversation/case-tools.css'
import { type CannedReply, useCannedReplies } from './canned.data'

type Draft = { name: string; shortcut: string; body: string; shared: boolean }
const empty: Draft = { name: '', shortcut: '', body: '', shared: false }
/** Roles holding desk:share (docs/roles.md): they may create and change shared replies. */
const sharers = ['owner', 'admin', 'supervisor']

/** Your canned replies and the shared ones: create, edit, delete. */
export function CannedRepliesPage() {
  const t = useT()
  const { me } = useMe()
  const qc = useQueryClient()
  const replies = useCannedReplies()
  const [editing, setEditing] = useState<CannedReply | null>(null)
  const [draft, setDraft] = useState<Draft>(empty)
  const [error, setError] = useState<unknown>(null)
  const [done, setDone] = useState<string | null>(null)
  const formId = useId()
  const mayShare = sharers.includes(me.role)
  const mayChange = (r: CannedReply) => (r.shared ? mayShare : r.ownerId === me.userId)
  const fieldError = (field: string) => (error instanceof ApiError ? error.fields.find((f) => f.field === `body.${field}`)?.message : undefined)

  const refresh = () => qc.invalidateQueries({ queryKey: ['canned-replies'] })
  function edit(r: CannedReply | null) {
    setEditing(r)
    setDraft(r ? { name: r.name, shortcut: r.shortcut ?? '', body: r.body, shared: r.shared } : empty)
    setError(null)
    setDone(null)
  }

  async function save(e: FormEvent) {
    e.preventDefault()
    setError(null)
    setDone(null)
    const body = { name: draft.name, shortcut: draft.shortcut.trim() || null, body: draft.body, ...(mayShare && { shared: draft.shared }) }
    try {
      if (editing) await unwrap(api.PATCH('/api/v1/canned-replies/{id}', { params: { path: { id: editing.id } }, body }))
      else await unwrap(api.POST('/api/v1/canned-replies', { body }))
      edit(null)
      setDone(t('canned.saved'))
      await refresh()
    } catch (err) {
      setError(err)
    }
  }

  async function remove(r: CannedReply) {
    setError(null)
    try {
      await unwrap(api.DELETE('/api/v1/canned-replies/{id}', { params: { path: { id: r.id } } }))
      if (editing?.id === r.id) edit(null)
      setDone(t('canned.deleted'))
      await refresh()
    } catch (err) {
      setError(err)
    }
  }

  const field = (name: keyof Draft) => ({ id: `${formId}-${name}`, 'aria-invalid': Boolean(fieldError(name)) || undefined, 'aria-describedby': fieldError(name) ? `${formId}-${name}-error` : undefined })
  const problem = (name: string) =>
    fieldError(name) && (
      <p id={`${formId}-${name}-error`} className="error">
        {fieldError(name)}
      </p>
    )

  return (
    <main id="main" className="page canned-page">
      <h1>{t('canned.title')}</h1>
      <section aria-labelledby={`${formId}-list`}>
        <h2 id={`${formId}-list`}>{t('canned.yours')}</h2>
        {replies.isError && <p role="alert" className="error">{errorText(t, replies.error)}</p>}
        <table>
          <thead>
            <tr>
              <th scope="col">{t('canned.name')}</th>
              <th scope="col">{t('canned.shortcut')}</th>
              <th scope="col">{t('canned.kind')}</th>
              <th scope="col">{t('canned.actions')}</th>
            </tr>
          </thead>
          <tbody>
            {replies.data?.items.map((r) => (
              <tr key={r.id}>
                <td>{r.name}</td>
                <td>{r.shortcut ? `/${r.shortcut}` : '—'}</td>
                <td>{r.shared ? t('canned.shared') : t('canned.personal')}</td>
                <td>
                  {mayChange(r) && (
                    <>
                      <button type="button" onClick={() => edit(r)}>
                        {t('canned.editAction', { name: r.name })}
                      </button>{' '}
                      <button type="button" className="danger" onClick={() => void remove(r)}>
                        {t('canned.deleteAction', { name: r.name })}
                      </button>
                    </>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <form className="card stacked-form" aria-labelledby={`${formId}-title`} onSubmit={save}>
        <h2 id={`${formId}-title`}>{editing ? t('canned.edit', { name: editing.name }) : t('canned.new')}</h2>
        <label htmlFor={`${formId}-name`}>{t('canned.name')}</label>
        <input {...field('name')} required maxLength={100} value={draft.name} onChange={(e) => setDraft({ ...draft, name: e.target.value })} />
        {problem('name')}
        <label htmlFor={`${formId}-shortcut`}>{t('canned.shortcut')}</label>
        <input {...field('shortcut')} maxLength={32} value={draft.shortcut} onChange={(e) => setDraft({ ...draft, shortcut: e.target.value })} />
        {problem('shortcut')}
        <label htmlFor={`${formId}-body`}>{t('canned.body')}</label>
        <textarea {...field('body')} required rows={5} value={draft.body} onChange={(e) => setDraft({ ...draft, body: e.target.value })} />
        {replies.data && <p className="meta">{t('canned.variables', { list: replies.data.variables.map((v) => `{{${v}}}`).join(', ') })}</p>}
        {problem('body')}
        {mayShare && (
          <label className="toggle">
            <input type="checkbox" checked={draft.shared} onChange={(e) => setDraft({ ...draft, shared: e.target.checked })} />
            {t('canned.shareIt')}
          </label>
        )}
        {error != null && (
          <p role="alert" className="error">
            {errorText(t, error)}
          </p>
        )}
        {done && <p role="status">{done}</p>}
        <div className="row">
          <button type="submit" className="primary">
            {t('canned.save')}
          </button>
          {editing && (
            <button type="button" onClick={() => edit(null)}>
              {t('canned.cancelEdit')}
            </button>
          )}
        </div>
      </form>
    </main>
  )
}
