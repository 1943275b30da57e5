import { useState } from 'react'
import type { Conversation, CustomField } from '../../api/client'
import { useCustomFields } from '../../api/lookups'
import { errorText } from '../../app/errors'
import { useT } from '../../i18n'
import { usePatchCase } from './case.mutations'

/** The workspace's custom fields on a case; a value is saved when the control loses focus (or changes, for choices). */
export function CustomFields({ c }: { c: Conversation }) {
  const t = useT()
  const fields = useCustomFields()
  const items = fields.data?.items ?? []
  if (items.length === 0) return null
  return (
    <fieldset className="custom-fields">
      <legend>{t('case.customFields')}</legend>
      {items.map((f) => (
        <FieldControl key={`${f.id}:${JSON.stringify(c.customFields[f.key] ?? null)}`} f={f} c={c} />
      ))}
    </fieldset>
  )
}

function FieldControl({ f, c }: { f: CustomField; c: Conversation }) {
  const t = useT()
  const patch = usePatchCase(c.id)
  const current = c.customFields[f.key]
  const [draft, setDraft] = useState(current === undefined || current === null ? '' : String(current))
  const errId = `cf-err-${f.key}`
  const save = (raw: string) => {
    const value = raw === '' ? null : f.type === 'number' ? Number(raw) : f.type === 'boolean' ? raw === 'true' : raw
    if (value === (current ?? null)) return
    patch.mutate({ customFields: { [f.key]: value } })
  }
  const common = { 'aria-describedby': patch.isError ? errId : undefined, 'aria-invalid': patch.isError || undefined }
  let control
  if (f.type === 'select' || f.type === 'boolean') {
    const options = f.type === 'boolean' ? [['true', t('case.yes')], ['false', t('case.no')]] : f.options.map((o) => [o, o])
    control = (
      <select
        {...common}
        value={draft}
        onChange={(e) => {
          setDraft(e.target.value)
          save(e.target.value)
        }}
      >
        <option value="">{t('common.none')}</option>
        {options.map(([v, l]) => (
          <option key={v} value={v}>
            {l}
          </option>
        ))}
      </select>
    )
  } else {
    control = <input {...common} type={f.type === 'number' ? 'number' : f.type === 'date' ? 'date' : 'text'} value={draft} onChange={(e) => setDraft(e.target.value)} onBlur={(e) => save(e.target.value)} />
  }
  return (
    <>
      <label>
        {f.label}
        {control}
      </label>
      {patch.isError && (
        <p role="alert" className="error" id={errId}>
          {errorText(t, patch.error)}
        </p>
      )}
    </>
  )
}
