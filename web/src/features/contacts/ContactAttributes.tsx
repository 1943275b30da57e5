import { useMutation, useQueryClient } from '@tanstack/react-query'
import { type FormEvent, useState } from 'react'
import { api, type Contact, unwrap } from '../../api/client'
import { errorText } from '../../app/errors'
import { useT } from '../../i18n'

const shown = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v))

/**
 * A contact's custom attributes, editable by anyone who may write contacts:
 * set a key (new or existing) or remove one. Each change is a merge patch of
 * that key only, so two agents editing different keys keep both changes.
 * Values are stored as text; values that were not text show as JSON.
 */
export function ContactAttributes({ contact, mayEdit }: { contact: Contact; mayEdit: boolean }) {
  const t = useT()
  const qc = useQueryClient()
  const [key, setKey] = useState('')
  const [value, setValue] = useState('')
  const save = useMutation({
    mutationFn: (patch: Record<string, string | null>) => unwrap(api.PATCH('/api/v1/contacts/{id}', { params: { path: { id: contact.id } }, body: { attributes: patch } })),
    onSuccess: (updated) => {
      qc.setQueryData(['contact', contact.id], updated)
      setKey('')
      setValue('')
    },
  })
  const submit = (e: FormEvent) => {
    e.preventDefault()
    if (key.trim()) save.mutate({ [key.trim()]: value })
  }
  const entries = Object.entries(contact.attributes)
  return (
    <>
      <h3>{t('contact.attributes')}</h3>
      {entries.length === 0 && <p className="meta">{t('contact.noAttributes')}</p>}
      <dl className="attributes">
        {entries.map(([k, v]) => (
          <div key={k}>
            <dt>{k}</dt>
            <dd>
              {shown(v)}
              {mayEdit && (
                <>
                  {' '}
                  <button type="button" className="link" onClick={() => { setKey(k); setValue(shown(v)) }}>
                    {t('contact.editAttribute', { key: k })}
                  </button>{' '}
                  <button type="button" className="link" disabled={save.isPending} onClick={() => save.mutate({ [k]: null })}>
                    {t('contact.removeAttribute', { key: k })}
                  </button>
                </>
              )}
            </dd>
          </div>
        ))}
      </dl>
      {mayEdit && (
        <form className="attribute-form" onSubmit={submit} aria-label={t('contact.setAttribute')}>
          <label>
            {t('contact.attributeKey')}
            <input value={key} onChange={(e) => setKey(e.target.value)} required maxLength={100} />
          </label>
          <label>
            {t('contact.attributeValue')}
            <input value={value} onChange={(e) => setValue(e.target.value)} maxLength={2000} />
          </label>
          <button type="submit" disabled={save.isPending}>{t('contact.saveAttribute')}</button>
        </form>
      )}
      {save.isError && <p role="alert" className="error">{errorText(t, save.error)}</p>}
    </>
  )
}
