import { type FormEvent, useState } from 'react'
import { useNavigate } from 'react-router'
import type { SavedView } from '../../api/client'
import { errorText } from '../../app/errors'
import { useT } from '../../i18n'
import { useMe } from '../auth/session'
import { paramsFromFilters } from '../inbox/FilterBar'
import type { Filters } from '../inbox/inbox.data'
import { splitFilters, useViewMutations, viewHref } from './views.data'

type Mode = 'idle' | 'save' | 'rename' | 'delete'

/**
 * Save the list's current filters and sort as a view, or, on a saved view,
 * save changes to it, rename it or delete it. `current` holds the filters as a
 * view stores them ("me", not the agent's id).
 */
export function SavedViewBar({ view, current }: { view: SavedView | null; current: Filters }) {
  const t = useT()
  const { me } = useMe()
  const navigate = useNavigate()
  const m = useViewMutations()
  const [mode, setMode] = useState<Mode>('idle')
  const [name, setName] = useState('')
  const [shared, setShared] = useState(false)
  const [error, setError] = useState<unknown>(null)
  const mayShare = ['owner', 'admin', 'supervisor'].includes(me.role)
  const wanted = splitFilters(current)
  const changed = view !== null && paramsFromFilters({ ...view.filters, sort: view.sort }).toString() !== paramsFromFilters({ ...wanted.filters, sort: wanted.sort }).toString()

  const open = (next: Mode) => {
    setError(null)
    setName(next === 'rename' && view ? view.name : '')
    setMode(next)
  }
  const run = async (action: () => Promise<unknown>) => {
    setError(null)
    try {
      await action()
      setMode('idle')
    } catch (err) {
      setError(err)
    }
  }
  const submit = (e: FormEvent) => {
    e.preventDefault()
    if (mode === 'save')
      void run(async () => {
        const created = await m.create.mutateAsync({ name: name.trim(), ...wanted, shared })
        navigate(viewHref(created))
      })
    if (mode === 'rename' && view) void run(() => m.update.mutateAsync({ id: view.id, name: name.trim() }))
    if (mode === 'delete' && view)
      void run(async () => {
        await m.remove.mutateAsync(view.id)
        navigate('/inbox/all')
      })
  }
  const busy = m.create.isPending || m.update.isPending || m.remove.isPending

  return (
    <div className="saved-view-bar">
      {mode === 'idle' && !view && (
        <button type="button" onClick={() => open('save')}>
          {t('views.saveAs')}
        </button>
      )}
      {mode === 'idle' && view && (
        <>
          {changed && (
            <button type="button" disabled={busy} onClick={() => void run(() => m.update.mutateAsync({ id: view.id, ...wanted }))}>
              {t('views.saveChanges')}
            </button>
          )}
          <button type="button" onClick={() => open('rename')}>
            {t('views.rename')}
          </button>
          <button type="button" onClick={() => open('delete')}>
            {t('views.delete')}
          </button>
        </>
      )}
      {mode !== 'idle' && (
        <form onSubmit={submit} className="inline-form" aria-label={t(`views.form.${mode}`)}>
          {mode === 'delete' ? (
            <span>{t('views.confirmDelete', { name: view?.name ?? '' })}</span>
          ) : (
            <label>
              {t('views.name')}
              <input type="text" required maxLength={100} value={name} onChange={(e) => setName(e.target.value)} autoFocus />
            </label>
          )}
          {mode === 'save' && mayShare && (
            <label>
              <input type="checkbox" checked={shared} onChange={(e) => setShared(e.target.checked)} /> {t('views.shared')}
            </label>
          )}
          <button type="submit" disabled={busy}>
            {t(`views.submit.${mode}`)}
          </button>
          <button type="button" onClick={() => setMode('idle')}>
            {t('common.cancel')}
          </button>
        </form>
      )}
      {error !== null && (
        <p role="alert" className="error">
          {errorText(t, error)}
        </p>
      )}
    </div>
  )
}
