import { useId } from 'react'
import { useSearchParams } from 'react-router'
import { useCategories, useInboxes, useTeams, useUsers } from '../../api/lookups'
import { useT } from '../../i18n'
import type { Filters } from './inbox.data'
import { type Sort, sorts } from './list-order'

export const statuses = ['open', 'pending', 'on_hold', 'solved', 'closed'] as const
export const priorities = ['low', 'normal', 'high', 'urgent'] as const
export const channelKinds = ['email', 'chat', 'sms', 'whatsapp', 'messenger', 'instagram', 'telegram', 'voice', 'api'] as const
/** The URL parameters of a list: its filters (the names GET /conversations and saved views use) and its sort. */
export const listParams = ['status', 'channel', 'inboxId', 'teamId', 'assigneeId', 'priority', 'tag', 'categoryId', 'sort'] as const

/** Filters live in the URL (?status=open&tag=vip&sort=oldest), so a filtered view can be bookmarked and shared. */
export function filtersFromParams(p: URLSearchParams): Filters {
  const f: Record<string, string> = {}
  for (const k of listParams) {
    const v = p.get(k)
    if (v) f[k] = v
  }
  return f as Filters
}

/** The URL parameters of filters and a sort (`recent`, the default order, is left out). */
export function paramsFromFilters(f: Partial<Record<string, string | undefined>>): URLSearchParams {
  const p = new URLSearchParams()
  for (const k of listParams) {
    const v = f[k]
    if (v && !(k === 'sort' && v === 'recent')) p.set(k, v)
  }
  return p
}

type Key = (typeof listParams)[number]

export function FilterBar({ hideAssignee }: { hideAssignee: boolean }) {
  const t = useT()
  const [params, setParams] = useSearchParams()
  const users = useUsers()
  const teams = useTeams()
  const inboxes = useInboxes()
  const categories = useCategories()
  const set = (k: string, v: string) =>
    setParams((p) => {
      const n = new URLSearchParams(p)
      if (v) n.set(k, v)
      else n.delete(k)
      return n
    })
  const id = useId()
  // Label and control side by side (not nested), so a control's name is its label alone, not its options too.
  const select = (k: Key, label: string, options: Array<[string, string]>, any = t('inbox.filters.any')) => (
    <span className="field" key={k}>
      <label htmlFor={`${id}-${k}`}>{label}</label>
      <select id={`${id}-${k}`} value={params.get(k) ?? ''} onChange={(e) => set(k, e.target.value)}>
        <option value="">{any}</option>
        {options.map(([v, l]) => (
          <option key={v} value={v}>
            {l}
          </option>
        ))}
      </select>
    </span>
  )
  const named = (items: Array<{ id: string; name: string }> | undefined) => (items ?? []).map((x): [string, string] => [x.id, x.name])
  return (
    <form className="filter-bar" aria-label={t('inbox.filters.label')} onSubmit={(e) => e.preventDefault()}>
      {select('status', t('inbox.filters.status'), statuses.map((s) => [s, t(`status.${s}`)]))}
      {select('channel', t('inbox.filters.channel'), channelKinds.map((s) => [s, t(`channels.${s}`)]))}
      {select('inboxId', t('inbox.filters.inbox'), named(inboxes.data?.items))}
      {select('teamId', t('inbox.filters.team'), [['none', t('inbox.filters.noTeam')], ...named(teams.data?.items)])}
      {!hideAssignee && select('assigneeId', t('inbox.filters.assignee'), [['me', t('inbox.filters.me')], ['none', t('inbox.unassigned')], ...named(users.data?.items)])}
      {select('priority', t('inbox.filters.priority'), priorities.map((s) => [s, t(`priority.${s}`)]))}
      <span className="field">
        <label htmlFor={`${id}-tag`}>{t('inbox.filters.tag')}</label>
        <input
          id={`${id}-tag`}
          key={params.get('tag') ?? ''}
          type="text"
          defaultValue={params.get('tag') ?? ''}
          onBlur={(e) => set('tag', e.target.value.trim())}
          onKeyDown={(e) => e.key === 'Enter' && set('tag', e.currentTarget.value.trim())}
        />
      </span>
      {select('categoryId', t('inbox.filters.category'), [['none', t('inbox.filters.noCategory')], ...named(categories.data?.items)])}
      {select(
        'sort',
        t('inbox.filters.sort'),
        sorts.filter((s) => s !== 'recent').map((s: Sort) => [s, t(`inbox.sort.${s}`)]),
        t('inbox.sort.recent'),
      )}
    </form>
  )
}
