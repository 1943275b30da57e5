import { useQueryClient } from '@tanstack/react-query'
import { type FormEvent, useId, useState } from 'react'
import { api, ApiError, unwrap } from '../../api/client'
import { useT } from '../../i18n'
import { errorText } from '../../app/errors'
import { meKey } from './session'

/** The workspaces the last sign-in's email and password open, kept for this tab (switching workspace). */
export const workspacesKey = 'omnidesk.workspaces'
const lastKey = 'omnidesk.sign-in'
type Choice = { id: string; name: string }
export function rememberedWorkspaces(): Choice[] {
  try {
    const list = JSON.parse(sessionStorage.getItem(workspacesKey) ?? '[]') as unknown
    return Array.isArray(list) ? list.filter((w): w is Choice => typeof w?.id === 'string' && typeof w?.name === 'string') : []
  } catch {
    return []
  }
}

/**
 * The sign-in form. When the email and password open several workspaces the
 * API answers AMBIGUOUS_LOGIN with them, and the form asks which; "Switch
 * workspace" in the top bar signs out and comes back here with the email
 * filled in and another workspace chosen.
 */
export function SignIn() {
  const t = useT()
  const qc = useQueryClient()
  const last = JSON.parse(sessionStorage.getItem(lastKey) ?? '{}') as { email?: string; workspaceId?: string }
  const [email, setEmail] = useState(last.email ?? '')
  const [password, setPassword] = useState('')
  const [workspaces, setWorkspaces] = useState<Choice[]>(rememberedWorkspaces)
  // After a switch, the first workspace that is not the one just left.
  const [workspaceId, setWorkspaceId] = useState(() => workspaces.find((w) => w.id !== last.workspaceId)?.id ?? workspaces[0]?.id ?? '')
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  const errorId = useId()

  async function submit(e: FormEvent) {
    e.preventDefault()
    setBusy(true)
    setError(null)
    try {
      const chosen = workspaces.length > 1 ? workspaceId : ''
      const res = await unwrap(api.POST('/api/v1/auth/login', { body: { email, password, ...(chosen && { workspaceId: chosen }) } }))
      sessionStorage.setItem(lastKey, JSON.stringify({ email, workspaceId: res.user.workspaceId }))
      await qc.invalidateQueries({ queryKey: meKey })
    } catch (err) {
      if (err instanceof ApiError && err.code === 'AMBIGUOUS_LOGIN') {
        const list = ((err.details as { workspaces?: Choice[] } | undefined)?.workspaces ?? []).filter((w) => typeof w?.id === 'string')
        sessionStorage.setItem(workspacesKey, JSON.stringify(list))
        setWorkspaces(list)
        setWorkspaceId(list[0]?.id ?? '')
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
                <option key={w.id} value={w.id}>
                  {w.name}
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
