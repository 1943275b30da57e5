import { type ReactNode } from 'react'
import { errorText } from '../../app/errors'
import { useT } from '../../i18n'
import './admin.css'

/** Frame of an admin screen: one h1, then its sections. */
export function AdminPage({ title, children }: { title: string; children: ReactNode }) {
  return (
    <main id="main" className="page admin-page">
      <h1>{title}</h1>
      {children}
    </main>
  )
}

/** An API refusal or a loading line, next to what caused it. */
export function QueryState({ error, pending }: { error: unknown; pending?: boolean }) {
  const t = useT()
  if (error) return <p role="alert" className="error">{errorText(t, error)}</p>
  if (pending) return <p role="status">{t('common.loading')}</p>
  return null
}

export const when = (iso: string | null | undefined) => (iso ? new Date(iso).toLocaleString() : '—')
