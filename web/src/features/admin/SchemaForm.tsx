import { useId } from 'react'

/** The subset of JSON Schema the channels' settings use (z.toJSONSchema of each channel's config schema). */
export interface JsonSchema {
  type?: string | string[]
  enum?: unknown[]
  const?: unknown
  properties?: Record<string, JsonSchema>
  required?: string[]
  items?: JsonSchema
  description?: string
  writeOnly?: boolean
  format?: string
  default?: unknown
  anyOf?: JsonSchema[]
  minimum?: number
  maximum?: number
}

export type FormValues = Record<string, string | boolean>

const words = (key: string) => key.replace(/([a-z0-9])([A-Z])/g, '$1 $2').replace(/^./, (c) => c.toUpperCase())
const typeOf = (s: JsonSchema): string => {
  if (s.enum) return 'enum'
  const t = Array.isArray(s.type) ? s.type.find((x) => x !== 'null') : s.type
  if (t) return t
  const branch = s.anyOf?.find((b) => b.type !== 'null')
  return branch ? typeOf(branch) : 'string'
}

/**
 * A form generated from a channel's settings schema: a labelled control per
 * property (select for enums, checkbox for booleans, number, password for
 * write-only secrets, comma-separated text for lists, JSON for objects).
 * Secrets are never shown: an empty secret field on an existing inbox keeps the stored one.
 */
export function SchemaForm({ schema, values, onChange, errors, secretsSet = [], secretSetText = '' }: { schema: JsonSchema; values: FormValues; onChange: (v: FormValues) => void; errors: Record<string, string>; secretsSet?: string[]; secretSetText?: string }) {
  const id = useId()
  const required = new Set(schema.required ?? [])
  return (
    <>
      {Object.entries(schema.properties ?? {}).map(([key, prop]) => {
        const kind = typeOf(prop)
        const fieldId = `${id}-${key}`
        const label = `${words(key)}${required.has(key) ? ' *' : ''}`
        const err = errors[key]
        const secretSet = Boolean(prop.writeOnly && secretsSet.includes(key) && secretSetText)
        const described = [secretSet ? `${fieldId}-set` : '', prop.description ? `${fieldId}-help` : '', err ? `${fieldId}-err` : ''].filter(Boolean).join(' ') || undefined
        const set = (v: string | boolean) => onChange({ ...values, [key]: v })
        const value = values[key]
        let control
        if (kind === 'boolean') {
          control = <input id={fieldId} type="checkbox" checked={value === true} onChange={(e) => set(e.target.checked)} aria-describedby={described} />
        } else if (kind === 'enum') {
          control = (
            <select id={fieldId} value={String(value ?? '')} onChange={(e) => set(e.target.value)} required={required.has(key)} aria-describedby={described} aria-invalid={Boolean(err)}>
              <option value="">—</option>
              {(prop.enum ?? []).map((o) => (
                <option key={String(o)} value={String(o)}>{String(o)}</option>
              ))}
            </select>
          )
        } else if (kind === 'object') {
          control = <textarea id={fieldId} rows={3} value={String(value ?? '')} onChange={(e) => set(e.target.value)} placeholder="{ }" aria-describedby={described} aria-invalid={Boolean(err)} />
        } else {
          const type = prop.writeOnly ? 'password' : kind === 'number' || kind === 'integer' ? 'number' : 'text'
          control = (
            <input
              id={fieldId}
              type={type}
              autoComplete={prop.writeOnly ? 'new-password' : 'off'}
              value={String(value ?? '')}
              onChange={(e) => set(e.target.value)}
              required={required.has(key) && !(prop.writeOnly && secretsSet.includes(key))}
              placeholder={prop.writeOnly && secretsSet.includes(key) ? '••••••' : kind === 'array' ? 'a, b, c' : undefined}
              aria-describedby={described}
              aria-invalid={Boolean(err)}
            />
          )
        }
        return (
          <div key={key} className="schema-field">
            <label htmlFor={fieldId} className={kind === 'boolean' ? 'toggle' : undefined}>{label}</label>
            {control}
            {secretSet && <span id={`${fieldId}-set`} className="meta">{secretSetText}</span>}
            {prop.description && <span id={`${fieldId}-help`} className="meta">{prop.description}</span>}
            {err && <span id={`${fieldId}-err`} className="error">{err}</span>}
          </div>
        )
      })}
    </>
  )
}

/** A stored config as form values (the inverse of toConfig); secrets are never in it. */
export function toFormValues(schema: JsonSchema, config: Record<string, unknown>): FormValues {
  const values: FormValues = {}
  for (const [key, prop] of Object.entries(schema.properties ?? {})) {
    const v = config[key]
    if (v === undefined || v === null) continue
    const kind = typeOf(prop)
    if (kind === 'boolean') values[key] = v === true
    else if (kind === 'array' && Array.isArray(v)) values[key] = v.map(String).join(', ')
    else if (kind === 'object') values[key] = JSON.stringify(v)
    else values[key] = String(v)
  }
  return values
}

/** Form values as the API's config object: empty fields left out, numbers, lists and JSON parsed. */
export function toConfig(schema: JsonSchema, values: FormValues): { config: Record<string, unknown>; errors: Record<string, string> } {
  const config: Record<string, unknown> = {}
  const errors: Record<string, string> = {}
  for (const [key, prop] of Object.entries(schema.properties ?? {})) {
    const v = values[key]
    if (v === undefined || v === '') continue
    const kind = typeOf(prop)
    if (kind === 'boolean') config[key] = v === true
    else if (kind === 'number' || kind === 'integer') config[key] = Number(v)
    else if (kind === 'array') config[key] = String(v).split(',').map((s) => s.trim()).filter(Boolean)
    else if (kind === 'object') {
      try {
        config[key] = JSON.parse(String(v))
      } catch {
        errors[key] = 'must be JSON'
      }
    } else config[key] = v
  }
  return { config, errors }
}
