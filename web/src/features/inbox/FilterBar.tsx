import { useSearchParams } from 'react-router'
import { useInboxes, useTeams, useUsers } from '../../api/lookups'
import { useT } from '../../i18n'
import type { Filters } from './inbox.data'

export const statuses = ['open', 'pending', 'on_hold', 'solved', 'closed'] as const
export const priorities = ['low', 'normal', 'high', 'urgent'] as const
const keys = ['status', 'priority', 'assigneeId', 'teamId', 'inboxId', 'tag'] as const

/** Filters live in the URL (?status=open&tag=vip), so a filtered view can be bookmarked and shared. */
export function filtersFromParams(p: URLSearchParams): Filters {
  const f: Record<string, string> = {}
  for (const k of keys) {
    const v = p.get(k)
    if (v) f[k] = v
  }
  return f as Filters
}

export function FilterBar({ hideAssignee }: { hideAssignee: boolean }) {
  const t = useT()
  const [params, setParams] = useSearchParams()
  const users = useUsers()
  const teams = useTeams()
  const inboxes = useInboxes()
  const set = (k: string, v: string) =>
    setParams((p) => {
      const n = new URLSearchParams(p)
      if (v) n.set(k, v)
      else n.delete(k)
      return n
    })
  const select = (k: (typeof keys)[number], label: string, options: Array<[string, string]>) => (
    <label>
      {label}
      <select value={params.get(k) ?? ''} onChange={(e) => set(k, e.target.value)}>
        <option value="">{t('inbox.filters.any')}</option>
        {options.map(([v, l]) => (
          <option key={v} value={v}>
            {l}
          </option>
        ))}
      </select>
    </label>
  )
  return (
    <form className="filter-bar" aria-label={t('inbox.filters.label')} onSubmit={(e) => e.preventDefault()}>
      {select('status', t('inbox.filters.status'), statuses.map((s) => [s, t(`status.${s}`)]))}
      {select('priority', t('inbox.filters.priority'), priorities.map((s) => [s, t(`priority.${s}`)]))}
      {!hideAssignee && select('assigneeId', t('inbox.filters.assignee'), [['none', t('inbox.unassigned')], ...(users.data?.items ?? []).map((u): [string, string] => [u.id, u.name])])}
      {select('teamId', t('inbox.filters.team'), [['none', t('inbox.filters.noTeam')], ...(teams.data?.items ?? []).map((x): [string, string] => [x.id, x.name])])}
      {select('inboxId', t('inbox.filters.inbox'), (inboxes.data?.items ?? []).map((x): [string, string] => [x.id, x.name]))}
      <label>
        {t('inbox.filters.tag')}
        <input type="text" defaultValue={params.get('tag') ?? ''} onBlur={(e) => set('tag', e.target.value.trim())} onKeyDown={(e) => e.key === 'Enter' && set('tag', e.currentTarget.value.trim())} />
      </label>
    </form>
  )
}
