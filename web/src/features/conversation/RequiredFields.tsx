import { type FormEvent, useState } from 'react'
import type { Conversation, ConversationPatch, FieldProblem } from '../../api/client'
import { useCategories, useCustomFields, useTeams, useUsers } from '../../api/lookups'
import { useT } from '../../i18n'

/**
 * The form the API asks for before a solve or transfer (422
 * REQUIRED_FIELDS_MISSING lists the items: category, assignee, team, tags,
 * customFields.<key>). Each item gets its control, and a problem the server finds
 * with a value is shown next to it.
 */
export function RequiredFields({ missing, c, onSubmit, errors }: { missing: string[]; c: Conversation; onSubmit: (v: ConversationPatch) => void; errors: FieldProblem[] }) {
  const t = useT()
  const categories = useCategories()
  const users = useUsers()
  const teams = useTeams()
  const fields = useCustomFields()
  const [v, setV] = useState<Record<string, string>>({})
  const set = (k: string, value: string) => setV((o) => ({ ...o, [k]: value }))
  const problem = (field: string) => errors.find((e) => e.field === `body.${field}` || e.field.startsWith(`body.${field}.`))?.message

  function submit(e: FormEvent) {
    e.preventDefault()
    const body: ConversationPatch = {}
    const custom: Record<string, unknown> = {}
    for (const item of missing) {
      const value = v[item] ?? ''
      if (item === 'category') body.categoryId = value || null
      else if (item === 'assignee') body.assigneeId = value || null
      else if (item === 'team') body.teamId = value || null
      else if (item === 'tags')
        body.tags = [
          ...c.tags,
          ...value
            .split(',')
            .map((x) => x.trim())
            .filter(Boolean),
        ]
      else if (item.startsWith('customFields.')) {
        const key = item.slice('customFields.'.length)
        const def = fields.data?.items.find((f) => f.key === key)
        custom[key] = def?.type === 'number' ? Number(value) : def?.type === 'boolean' ? value === 'true' : value
      }
    }
    if (Object.keys(custom).length) body.customFields = custom
    onSubmit(body)
  }

  const field = (item: string) => {
    const id = `req-${item.replace(/\W/g, '-')}`
    const err = problem(item === 'category' ? 'categoryId' : item === 'assignee' ? 'assigneeId' : item === 'team' ? 'teamId' : item)
    const describedBy = err ? `${id}-err` : undefined
    let control
    let label: string
    if (item === 'category' || item === 'assignee' || item === 'team') {
      label = t(`case.${item}`)
      const options =
        item === 'category'
          ? (categories.data?.items ?? []).map((x) => [x.id, x.name])
          : item === 'team'
            ? (teams.data?.items ?? []).map((x) => [x.id, x.name])
            : (users.data?.items ?? []).filter((u) => u.active && u.role !== 'auditor').map((x) => [x.id, x.name])
      control = (
        <select id={id} required value={v[item] ?? ''} onChange={(e) => set(item, e.target.value)} aria-describedby={describedBy}>
          <option value="">—</option>
          {options.map(([value, name]) => (
            <option key={value} value={value}>
              {name}
            </option>
          ))}
        </select>
      )
    } else {
      const key = item.startsWith('customFields.') ? item.slice('customFields.'.length) : null
      const def = key ? fields.data?.items.find((f) => f.key === key) : undefined
      label = item === 'tags' ? t('case.tags') : (def?.label ?? key ?? item)
      control = <input id={id} required type={def?.type === 'number' ? 'number' : 'text'} value={v[item] ?? ''} onChange={(e) => set(item, e.target.value)} aria-describedby={describedBy} />
    }
    return (
      <div key={item} className="field">
        <label htmlFor={id}>{label}</label>
        {control}
        {err && (
          <p id={`${id}-err`} className="error">
            {err}
          </p>
        )}
      </div>
    )
  }

  return (
    <form className="required-fields" onSubmit={submit} aria-labelledby="required-title">
      <h3 id="required-title">{t('case.requiredTitle')}</h3>
      {missing.map(field)}
      <button type="submit" className="primary">
        {t('case.saveAndSolve')}
      </button>
    </form>
  )
}
