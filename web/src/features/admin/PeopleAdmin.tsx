import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { type FormEvent, useState } from 'react'
import { api, unwrap } from '../../api/client'
import { errorText } from '../../app/errors'
import { useMe } from '../auth/session'
import { useT } from '../../i18n'
import { AdminPage, QueryState, when } from './admin.shared'

const roles = ['owner', 'admin', 'supervisor', 'agent', 'auditor'] as const
type Role = (typeof roles)[number]

/** Users and roles: add a user, change a role, deactivate. The API refuses what the signed-in role may not do. */
export function UsersAdmin() {
  const t = useT()
  const qc = useQueryClient()
  const users = useQuery({ queryKey: ['admin', 'users'], queryFn: () => unwrap(api.GET('/api/v1/users', { params: { query: { limit: 100 } } })) })
  const [form, setForm] = useState({ email: '', name: '', role: 'agent' as Role, password: '' })
  const refresh = () => void qc.invalidateQueries({ queryKey: ['admin', 'users'] })
  const create = useMutation({
    mutationFn: () => unwrap(api.POST('/api/v1/users', { body: { email: form.email, name: form.name, role: form.role, ...(form.password && { password: form.password }) } })),
    onSuccess: () => {
      setForm({ email: '', name: '', role: 'agent', password: '' })
      refresh()
    },
  })
  const patch = useMutation({
    mutationFn: (v: { id: string; role?: Role; active?: boolean }) => unwrap(api.PATCH('/api/v1/users/{id}', { params: { path: { id: v.id } }, body: { ...(v.role && { role: v.role }), ...(v.active !== undefined && { active: v.active }) } })),
    onSettled: refresh,
  })
  const submit = (e: FormEvent) => {
    e.preventDefault()
    create.mutate()
  }
  return (
    <AdminPage title={t('admin.users.title')}>
      <section className="card" aria-labelledby="add-user">
        <h2 id="add-user">{t('admin.users.add')}</h2>
        <form className="admin-form" onSubmit={submit}>
          <label>{t('admin.users.email')}<input type="email" required value={form.email} onChange={(e) => setForm({ ...form, email: e.target.value })} /></label>
          <label>{t('admin.common.name')}<input required value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} /></label>
          <label>
            {t('admin.users.role')}
            <select value={form.role} onChange={(e) => setForm({ ...form, role: e.target.value as Role })}>
              {roles.map((r) => <option key={r} value={r}>{r}</option>)}
            </select>
          </label>
          <label>{t('admin.users.password')}<input type="password" autoComplete="new-password" minLength={12} value={form.password} onChange={(e) => setForm({ ...form, password: e.target.value })} /></label>
          <button type="submit" disabled={create.isPending}>{t('admin.users.add')}</button>
        </form>
        {create.isError && <p role="alert" className="error">{errorText(t, create.error)}</p>}
      </section>
      <QueryState error={users.error ?? patch.error} pending={users.isPending} />
      <table className="admin-table">
        <thead><tr><th>{t('admin.common.name')}</th><th>{t('admin.users.email')}</th><th>{t('admin.users.role')}</th><th>{t('admin.users.active')}</th></tr></thead>
        <tbody>
          {users.data?.items.map((u) => (
            <tr key={u.id}>
              <td>{u.name}</td>
              <td>{u.email}</td>
              <td>
                <select aria-label={t('admin.users.roleOf', { name: u.name })} value={u.role} onChange={(e) => patch.mutate({ id: u.id, role: e.target.value as Role })}>
                  {roles.map((r) => <option key={r} value={r}>{r}</option>)}
                </select>
              </td>
              <td><input type="checkbox" aria-label={t('admin.users.activeOf', { name: u.name })} checked={u.active} onChange={(e) => patch.mutate({ id: u.id, active: e.target.checked })} /></td>
            </tr>
          ))}
        </tbody>
      </table>
    </AdminPage>
  )
}

/** API tokens: the secret is shown once, right after creation. */
export function TokensAdmin() {
  const t = useT()
  const qc = useQueryClient()
  const { me } = useMe()
  const tokens = useQuery({ queryKey: ['admin', 'tokens'], queryFn: () => unwrap(api.GET('/api/v1/tokens')) })
  const [name, setName] = useState('')
  const [secret, setSecret] = useState('')
  const refresh = () => void qc.invalidateQueries({ queryKey: ['admin', 'tokens'] })
  const create = useMutation({
    mutationFn: () => unwrap(api.POST('/api/v1/tokens', { body: { name } })),
    onSuccess: (res) => {
      setSecret(res.secret)
      setName('')
      refresh()
    },
  })
  const revoke = useMutation({ mutationFn: (id: string) => unwrap(api.DELETE('/api/v1/tokens/{id}', { params: { path: { id } } })), onSettled: refresh })
  return (
    <AdminPage title={t('admin.tokens.title')}>
      <form className="admin-form card" onSubmit={(e) => { e.preventDefault(); setSecret(''); create.mutate() }}>
        <label>{t('admin.common.name')}<input required value={name} onChange={(e) => setName(e.target.value)} /></label>
        <button type="submit" disabled={create.isPending}>{t('admin.tokens.add')}</button>
        {create.isError && <p role="alert" className="error">{errorText(t, create.error)}</p>}
      </form>
      {secret && (
        <p role="status" className="card">{t('admin.tokens.secret')} <code className="secret-box">{secret}</code></p>
      )}
      <QueryState error={tokens.error ?? revoke.error} pending={tokens.isPending} />
      <table className="admin-table">
        <thead><tr><th>{t('admin.common.name')}</th><th>{t('admin.tokens.prefix')}</th><th>{t('admin.tokens.lastUsed')}</th><th>{t('admin.common.actions')}</th></tr></thead>
        <tbody>
          {tokens.data?.items.map((k) => (
            <tr key={k.id}>
              <td>{k.name}{k.userId !== me.userId ? <span className="meta"> · {k.userId}</span> : null}</td>
              <td><code>{k.prefix}…</code></td>
              <td>{k.lastUsedAt ? when(k.lastUsedAt) : t('admin.tokens.never')}</td>
              <td>{k.revokedAt ? t('admin.tokens.revoked') : <button type="button" onClick={() => revoke.mutate(k.id)}>{t('admin.tokens.revoke', { name: k.name })}</button>}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </AdminPage>
  )
}

/** Workspace settings: name, time zone, default language. */
export function WorkspaceAdmin() {
  const t = useT()
  const qc = useQueryClient()
  const ws = useQuery({ queryKey: ['admin', 'workspace'], queryFn: () => unwrap(api.GET('/api/v1/workspace')) })
  const [edit, setEdit] = useState<{ name: string; timeZone: string; defaultLocale: string } | null>(null)
  const form = edit ?? (ws.data ? { name: ws.data.name, timeZone: ws.data.timeZone, defaultLocale: ws.data.defaultLocale } : null)
  const save = useMutation({
    mutationFn: () => unwrap(api.PATCH('/api/v1/workspace', { body: form ?? {} })),
    onSuccess: () => {
      setEdit(null)
      void qc.invalidateQueries({ queryKey: ['admin', 'workspace'] })
    },
  })
  return (
    <AdminPage title={t('admin.workspace.title')}>
      <QueryState error={ws.error} pending={ws.isPending} />
      {form && (
        <form className="admin-form column card" onSubmit={(e) => { e.preventDefault(); save.mutate() }}>
          <label>{t('admin.workspace.name')}<input required value={form.name} onChange={(e) => setEdit({ ...form, name: e.target.value })} /></label>
          <label>{t('admin.workspace.timeZone')}<input required value={form.timeZone} onChange={(e) => setEdit({ ...form, timeZone: e.target.value })} /></label>
          <label>{t('admin.workspace.locale')}<input required value={form.defaultLocale} onChange={(e) => setEdit({ ...form, defaultLocale: e.target.value })} /></label>
          {save.isError && <p role="alert" className="error">{errorText(t, save.error)}</p>}
          {save.isSuccess && !edit && <p role="status">{t('admin.common.saved')}</p>}
          <button type="submit" disabled={save.isPending}>{t('common.save')}</button>
        </form>
      )}
    </AdminPage>
  )
}
