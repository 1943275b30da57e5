import { useQueryClient } from '@tanstack/react-query'
import { type FormEvent, useId, useState } from 'react'
import { api, ApiError, unwrap } from '../../api/client'
import { useT } from '../../i18n'
import { errorText } from '../../app/errors'
import { meKey } from './session'

/**
 * The sign-in form. An email that belongs to several workspaces gets a
 * workspace choice (the API answers AMBIGUOUS_LOGIN with their ids); signing
 * in again with another choice is how an agent switches workspace.
 */
export function SignIn() {
  const t = useT()
  const qc = useQueryClient()
  const [email, setEmail] = useState('')
  const [password, setPassword] = useState('')
  const [workspaces, setWorkspaces] = useState<string[]>(() => JSON.parse(sessionStorage.getItem('omnidesk.workspaces') ?? '[]') as string[])
  const [workspaceId, setWorkspaceId] = useState('')
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  const errorId = useId()

  async function submit(e: FormEvent) {
    e.preventDefault()
    setBusy(true)
    setError(null)
    try {
      await unwrap(api.POST('/api/v1/auth/login', { body: { email, password, ...(workspaceId && { workspaceId }) } }))
      await qc.invalidateQueries({ queryKey: meKey })
    } catch (err) {
      if (err instanceof ApiError && err.code === 'AMBIGUOUS_LOGIN') {
        const ids = ((err.details as { workspaceIds?: string[] } | undefined)?.workspaceIds ?? []).filter((x) => typeof x === 'string')
        sessionStorage.setItem('omnidesk.workspaces', JSON.stringify(ids))
        setWorkspaces(ids)
        setWorkspaceId(ids[0] ?? '')
        setError(t('signIn.chooseWorkspace'))
      } else setError(errorText(t, err))
    } finally {
      setBusy(false)
    }
  }

  return (
    <main id="main" className="sign-in">
      <form onSubmit={submit} className="card sign-in-form" aria-describedby={error ? errorId : undefined}>
        <h1>{t('signIn.title')}</h1>
        <label>
          {t('signIn.email')}
          <input type="email" name="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} />
        </label>
        <label>
          {t('signIn.password')}
          <input type="password" name="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
        </label>
        {workspaces.length > 1 && (
          <label>
            {t('signIn.workspace')}
            <select value={workspaceId} onChange={(e) => setWorkspaceId(e.target.value)}>
              {workspaces.map((w) => (
                <option key={w} value={w}>
                  {w}
                </option>
              ))}
            </select>
          </label>
        )}
        {error && (
          <p id={errorId} role="alert" className="error">
            {error}
          </p>
        )}
        <button type="submit" className="primary" disabled={busy}>
          {t('signIn.submit')}
        </button>
      </form>
    </main>
  )
}
