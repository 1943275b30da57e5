import { useVirtualizer } from '@tanstack/react-virtual'
import { useCallback, useEffect, useMemo, useRef, useState } from 'react'
import { useNavigate, useParams, useSearchParams } from 'react-router'
import { useUsers } from '../../api/lookups'
import { setCaseOrder } from '../../app/case-order'
import { errorText } from '../../app/errors'
import { useShortcuts } from '../../app/shortcuts'
import { useT } from '../../i18n'
import { useMe } from '../auth/session'
import { SavedViewBar } from '../views/SavedViewBar'
import { useViews, viewHref } from '../views/views.data'
import { BulkBar } from './BulkBar'
import { FilterBar, filtersFromParams } from './FilterBar'
import { type Filters, rowsOf, useConversationList } from './inbox.data'
import { InboxRow } from './InboxRow'
import { useNow } from './waiting'

export const inboxViews = ['mine', 'unassigned', 'all'] as const

/**
 * The inbox: a view (mine, unassigned, all, or a saved view) narrowed by the
 * filters and sort in the URL, virtualised, live.
 */
export function InboxPage() {
  const t = useT()
  const { me } = useMe()
  const { view = 'all', viewId } = useParams()
  const [params] = useSearchParams()
  const navigate = useNavigate()
  const views = useViews()
  const saved = viewId ? (views.data?.items.find((v) => v.id === viewId) ?? null) : null

  // A saved view opened without parameters (a bookmark of /inbox/views/:id) takes its own.
  const applied = useRef<string | null>(null)
  useEffect(() => {
    if (!saved || applied.current === saved.id) return
    applied.current = saved.id
    if (params.size === 0 && viewHref(saved).includes('?')) navigate(viewHref(saved), { replace: true })
  }, [saved, params, navigate])

  /** The filters as a view stores them ("me" for whoever uses it). */
  const stored: Filters = useMemo(() => {
    const f = filtersFromParams(params)
    if (!viewId && view === 'mine') f.assigneeId = 'me'
    if (!viewId && view === 'unassigned') f.assigneeId = 'none'
    return f
  }, [params, view, viewId])
  // Resolved here, so that live updates match the list ("me" is no assignee id).
  const filters: Filters = useMemo(() => (stored.assigneeId === 'me' ? { ...stored, assigneeId: me.userId ?? 'none' } : stored), [stored, me.userId])
  // Until a bookmarked view's own filters are in the URL, its list is not the
  // unfiltered one: nothing is fetched (no blink of every case).
  const unresolved = !!viewId && params.size === 0 && (views.isPending || (!!saved && viewHref(saved).includes('?')))
  const list = useConversationList(filters, !unresolved)
  const rows = useMemo(() => rowsOf(list.data), [list.data])
  const users = useUsers()
  const now = useNow(30_000)
  const [selected, setSelected] = useState<Set<string>>(new Set())
  const [cursor, setCursor] = useState(0)
  const scrollRef = useRef<HTMLDivElement>(null)
  const virtual = useVirtualizer({ count: rows.length, getScrollElement: () => scrollRef.current, estimateSize: () => 56, overscan: 8 })
  const items = virtual.getVirtualItems()
  const last = items[items.length - 1]

  useEffect(() => setCaseOrder(rows.map((r) => r.id)), [rows])
  const { hasNextPage, isFetchingNextPage, fetchNextPage } = list
  useEffect(() => {
    if (last && last.index >= rows.length - 20 && hasNextPage && !isFetchingNextPage) void fetchNextPage()
  }, [last, rows.length, hasNextPage, isFetchingNextPage, fetchNextPage])

  const move = (step: number) => {
    const next = Math.max(0, Math.min(rows.length - 1, cursor + step))
    setCursor(next)
    virtual.scrollToIndex(next)
  }
  useShortcuts({
    j: () => move(1),
    k: () => move(-1),
    Enter: () => rows[cursor] && navigate(`/cases/${rows[cursor]!.id}`),
  })
  const onCheck = useCallback(
    (id: string, on: boolean) =>
      setSelected((s) => {
        const n = new Set(s)
        if (on) n.add(id)
        else n.delete(id)
        return n
      }),
    [],
  )

  const title = viewId ? (saved?.name ?? (views.isPending ? t('common.loading') : t('views.missing'))) : t(`inbox.views.${view}`, { defaultValue: view })
  return (
    <main id="main" className="page inbox">
      <div className="page-head">
        <h1>{title}</h1>
        <span className="count" aria-live="polite">
          {t('inbox.count', { count: rows.length, more: list.hasNextPage ? '+' : '' })}
        </span>
        {(!viewId || saved) && <SavedViewBar key={saved?.id ?? view} view={saved} current={stored} />}
      </div>
      <FilterBar hideAssignee={!viewId && view !== 'all'} />
      <BulkBar selected={selected} onDone={() => setSelected(new Set())} />
      {list.isError && (
        <p role="alert" className="error">
          {errorText(t, list.error)}
        </p>
      )}
      {list.isPending && <p role="status">{t('common.loading')}</p>}
      {!list.isPending && rows.length === 0 && <p className="empty">{t('inbox.empty')}</p>}
      <div ref={scrollRef} className="inbox-scroll" tabIndex={-1}>
        <ul aria-label={t('inbox.listLabel', { view: title })} className="inbox-list" style={{ height: virtual.getTotalSize() }}>
          {items.map((v) => {
            const c = rows[v.index]
            if (!c) return null
            return (
              <InboxRow
                key={c.id}
                c={c}
                index={v.index}
                start={v.start}
                now={now}
                active={v.index === cursor}
                checked={selected.has(c.id)}
                users={users.data?.items}
                onCheck={onCheck}
                measure={virtual.measureElement}
              />
            )
          })}
        </ul>
      </div>
    </main>
  )
}
