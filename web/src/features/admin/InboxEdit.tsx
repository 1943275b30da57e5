import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { type FormEvent, useEffect, useRef, useState } from 'react'
import { api, ApiError, type Inbox, unwrap } from '../../api/client'
import { errorText } from '../../app/errors'
import { useT } from '../../i18n'
import { QueryState, when } from './admin.shared'
import { type FormValues, type JsonSchema, SchemaForm, toConfig, toFormValues } from './SchemaForm'

/** The problems of a refused inbox config, by settings key (`body.config.phoneNumber` → `phoneNumber`). */
export function configFieldErrors(err: unknown): Record<string, string> {
  const out: Record<string, string> = {}
  if (err instanceof ApiError) for (const f of err.fields) if (f.field.startsWith('body.config.')) out[f.field.slice('body.config.'.length).split('.')[0] as string] = f.message
  return out
}

const useHealth = (inboxId: string) =>
  useQuery({ queryKey: ['admin', 'inbox-health', inboxId], queryFn: () => unwrap(api.GET('/api/v1/inboxes/{id}/health', { params: { path: { id: inboxId } } })), refetchInterval: 30_000 })

/** The channel health of one inbox, in a word (healthy, degraded, down). */
export function HealthBadge({ inboxId }: { inboxId: string }) {
  const t = useT()
  const health = useHealth(inboxId)
  if (!health.data) return null
  return <span className={health.data.state === 'healthy' ? 'status-ok' : 'status-bad'}>{t(`admin.inboxes.state.${health.data.state}`)}</span>
}

/**
 * Edits an inbox: name, active, and its settings through the form generated
 * from the channel's schema. Secrets are never shown: a set one reads "set"
 * and stays unless a new value is typed. A setting emptied is removed (null
 * in the merge patch). Below, the inbox's channel health and why.
 */
export function InboxEditor({ inbox, schema, onClose }: { inbox: Inbox; schema: JsonSchema; onClose: () => void }) {
  const t = useT()
  const qc = useQueryClient()
  const [name, setName] = useState(inbox.name)
  const [active, setActive] = useState(inbox.active)
  const [values, setValues] = useState<FormValues>(() => toFormValues(schema, inbox.config))
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({})
  const [saved, setSaved] = useState(false)
  const health = useHealth(inbox.id)
  const heading = useRef<HTMLHeadingElement>(null)
  useEffect(() => heading.current?.focus(), [inbox.id])

  const save = useMutation({
    mutationFn: (config: Record<string, unknown>) => unwrap(api.PATCH('/api/v1/inboxes/{id}', { params: { path: { id: inbox.id } }, body: { name, active, config } })),
    onSuccess: (updated) => {
      setSaved(true)
      setValues(toFormValues(schema, updated.config))
      void qc.invalidateQueries({ queryKey: ['admin', 'inboxes'] })
      void qc.invalidateQueries({ queryKey: ['admin', 'inbox-health', inbox.id] })
    },
    onError: (err) => setFieldErrors(configFieldErrors(err)),
  })

  function submit(e: FormEvent) {
    e.preventDefault()
    setSaved(false)
    const { config, errors } = toConfig(schema, values)
    setFieldErrors(errors)
    if (Object.keys(errors).length > 0) return
    // Settings that were stored and are now empty are removed; secrets left empty are kept.
    for (const key of Object.keys(inbox.config)) if (!(key in config) && schema.properties?.[key]) config[key] = null
    save.mutate(config)
  }

  const h = health.data
  return (
    <section className="card" aria-labelledby="edit-inbox">
      <h2 id="edit-inbox" ref={heading} tabIndex={-1}>{t('admin.inboxes.editTitle', { name: inbox.name })}</h2>
      <form className="admin-form column" onSubmit={submit}>
        <label>
          {t('admin.common.name')}
          <input value={name} onChange={(e) => setName(e.target.value)} required maxLength={200} />
        </label>
        <label className="toggle">
          <input type="checkbox" checked={active} onChange={(e) => setActive(e.target.checked)} />
          {t('admin.inboxes.activeLabel')}
        </label>
        <fieldset>
          <legend>{t('admin.inboxes.settings', { channel: inbox.channel })}</legend>
          <SchemaForm schema={schema} values={values} onChange={setValues} errors={fieldErrors} secretsSet={inbox.secretsSet} secretSetText={t('admin.inboxes.secretSet')} />
        </fieldset>
        {save.isError && <p role="alert" className="error">{errorText(t, save.error)}</p>}
        {saved && <p role="status">{t('admin.common.saved')}</p>}
        <div>
          <button type="submit" className="primary" disabled={save.isPending}>{t('common.save')}</button>{' '}
          <button type="button" onClick={onClose}>{t('admin.inboxes.close')}</button>
        </div>
      </form>
      <section aria-labelledby="inbox-health">
        <h3 id="inbox-health">{t('admin.inboxes.health')}</h3>
        <QueryState error={health.error} pending={health.isPending} />
        {h && (
          <>
            <p className={h.state === 'healthy' ? 'status-ok' : 'status-bad'}>{t(`admin.inboxes.state.${h.state}`)}</p>
            <ul className="plain-list">{h.reasons.map((r) => <li key={r}>{r}</li>)}</ul>
            <dl className="attributes">
              <div><dt>{t('admin.inboxes.lastSuccess')}</dt><dd>{when(h.lastSuccessAt)}</dd></div>
              <div><dt>{t('admin.inboxes.lastWebhook')}</dt><dd>{when(h.lastWebhookAt)}</dd></div>
              {h.lastError && <div><dt>{t('admin.inboxes.lastError')}</dt><dd>{h.lastError.code}: {h.lastError.message} ({when(h.lastError.at)})</dd></div>}
            </dl>
          </>
        )}
      </section>
    </section>
  )
}
