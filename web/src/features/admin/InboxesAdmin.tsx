import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { type FormEvent, useState } from 'react'
import { api, unwrap } from '../../api/client'
import { errorText } from '../../app/errors'
import { useT } from '../../i18n'
import { AdminPage, QueryState, when } from './admin.shared'
import { configFieldErrors, HealthBadge, InboxEditor } from './InboxEdit'
import { type FormValues, type JsonSchema, SchemaForm, toConfig } from './SchemaForm'

/** Inboxes: every channel kind created and edited through a form generated from its settings schema; channel health, and IMAP mailboxes'. */
export function InboxesAdmin() {
  const t = useT()
  const qc = useQueryClient()
  const inboxes = useQuery({ queryKey: ['admin', 'inboxes'], queryFn: () => unwrap(api.GET('/api/v1/inboxes', { params: { query: { limit: 100 } } })) })
  const channels = useQuery({ queryKey: ['admin', 'channels'], queryFn: () => unwrap(api.GET('/api/v1/channels')) })
  const mailboxes = useQuery({ queryKey: ['admin', 'mailboxes'], queryFn: () => unwrap(api.GET('/api/v1/email/mailboxes')) })
  const [name, setName] = useState('')
  const [channel, setChannel] = useState('')
  const [values, setValues] = useState<FormValues>({})
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({})
  const [done, setDone] = useState('')
  const [editing, setEditing] = useState<string | null>(null)
  const schemaOf = (ch: string) => (channels.data?.items.find((c) => c.channel === ch)?.configSchema ?? {}) as JsonSchema
  const schema = schemaOf(channel)
  const edited = inboxes.data?.items.find((i) => i.id === editing)

  const create = useMutation({
    mutationFn: (config: Record<string, unknown>) =>
      unwrap(api.POST('/api/v1/inboxes', { body: { name, channel: channel as 'api', config } })),
    onSuccess: (inbox) => {
      setDone(t('admin.inboxes.created', { name: inbox.name }))
      setName('')
      setValues({})
      void qc.invalidateQueries({ queryKey: ['admin', 'inboxes'] })
    },
    // Field problems of the config go next to their field.
    onError: (err) => setFieldErrors(configFieldErrors(err)),
  })

  function submit(e: FormEvent) {
    e.preventDefault()
    setDone('')
    const { config, errors } = toConfig(schema, values)
    setFieldErrors(errors)
    if (Object.keys(errors).length === 0) create.mutate(config)
  }

  const health = new Map((mailboxes.data?.items ?? []).map((m) => [m.inboxId, m] as const))
  return (
    <AdminPage title={t('admin.inboxes.title')}>
      <section className="card" aria-labelledby="new-inbox">
        <h2 id="new-inbox">{t('admin.inboxes.add')}</h2>
        <form className="admin-form column" onSubmit={submit} noValidate={false}>
          <label>
            {t('admin.common.name')}
            <input value={name} onChange={(e) => setName(e.target.value)} required maxLength={200} />
          </label>
          <label>
            {t('admin.inboxes.channel')}
            <select value={channel} onChange={(e) => { setChannel(e.target.value); setValues({}); setFieldErrors({}) }} required>
              <option value="">—</option>
              {channels.data?.items.map((c) => (
                <option key={c.channel} value={c.channel}>{c.channel}</option>
              ))}
            </select>
          </label>
          {channel && (
            <fieldset>
              <legend>{t('admin.inboxes.settings', { channel })}</legend>
              <SchemaForm schema={schema} values={values} onChange={setValues} errors={fieldErrors} />
            </fieldset>
          )}
          {create.isError && <p role="alert" className="error">{errorText(t, create.error)}</p>}
          {done && <p role="status">{done}</p>}
          <button type="submit" disabled={create.isPending || !channel}>{t('admin.inboxes.add')}</button>
        </form>
      </section>
      {edited && channels.data && <InboxEditor key={edited.id} inbox={edited} schema={schemaOf(edited.channel)} onClose={() => setEditing(null)} />}
      <section aria-labelledby="inbox-list">
        <h2 id="inbox-list">{t('admin.inboxes.title')}</h2>
        <QueryState error={inboxes.error ?? channels.error} pending={inboxes.isPending} />
        <table className="admin-table">
          <thead>
            <tr><th>{t('admin.common.name')}</th><th>{t('admin.inboxes.channel')}</th><th>{t('admin.inboxes.health')}</th><th>{t('admin.common.actions')}</th></tr>
          </thead>
          <tbody>
            {inboxes.data?.items.map((i) => {
              const h = health.get(i.id)
              return (
                <tr key={i.id}>
                  <td>{i.name}{i.channel === 'email' && typeof i.config.address === 'string' ? <span className="meta"> · {i.config.address}</span> : null}</td>
                  <td>{i.channel}</td>
                  <td>
                    {i.active ? t('admin.inboxes.active') : t('admin.inboxes.inactive')} · <HealthBadge inboxId={i.id} />
                    {h && (
                      <span className={h.status === 'ok' ? 'status-ok' : 'status-bad'}>
                        {' '}· IMAP {h.status}{h.lastError ? `: ${h.lastError}` : ''} ({when(h.lastSuccessAt)})
                      </span>
                    )}
                  </td>
                  <td><button type="button" onClick={() => setEditing(i.id)}>{t('admin.inboxes.edit', { name: i.name })}</button></td>
                </tr>
              )
            })}
          </tbody>
        </table>
      </section>
    </AdminPage>
  )
}
