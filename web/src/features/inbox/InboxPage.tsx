import { useVirtualizer } from '@tanstack/react-virtual'
import { useEffect, useMemo, useRef, useState } from 'react'
import { Link, useNavigate, useParams, useSearchParams } from 'react-router'
import type { Conversation } from '../../api/client'
import { caseTitle, contactLabel, useContact, useUsers } from '../../api/lookups'
import { setCaseOrder } from '../../app/case-order'
import { errorText } from '../../app/errors'
import { useShortcuts } from '../../app/shortcuts'
import { useT } from '../../i18n'
import { useMe } from '../auth/session'
import { BulkBar } from './BulkBar'
import { FilterBar, filtersFromParams } from './FilterBar'
import { type Filters, useConversationList } from './inbox.data'
import { waitingSince } from './waiting'

export const inboxViews = ['mine', 'unassigned', 'all'] as const

/** The inbox: a view (mine, unassigned, all) narrowed by filters, virtualised, live. */
export function InboxPage() {
  const t = useT()
  const { me } = useMe()
  const { view = 'mine' } = useParams()
  const [params] = useSearchParams()
  const navigate = useNavigate()
  const filters: Filters = useMemo(() => {
    const f = filtersFromParams(params)
    if (view === 'mine') f.assigneeId = me.userId
    if (view === 'unassigned') f.assigneeId = 'none'
    return f
  }, [params, view, me.userId])
  const list = useConversationList(filters)
  // A case moved to the top live may also come back in a page fetched later: keep its first place only.
  const rows = useMemo(() => {
    const seen = new Set<string>()
    return (list.data?.pages.flatMap((p) => p.items) ?? []).filter((c) => !seen.has(c.id) && seen.add(c.id))
  }, [list.data])
  const [selected, setSelected] = useState<Set<string>>(new Set())
  const [cursor, setCursor] = useState(0)
  const scrollRef = useRef<HTMLDivElement>(null)
  const virtual = useVirtualizer({ count: rows.length, getScrollElement: () => scrollRef.current, estimateSize: () => 56, overscan: 8 })
  const items = virtual.getVirtualItems()
  const last = items[items.length - 1]

  useEffect(() => setCaseOrder(rows.map((r) => r.id)), [rows])
  useEffect(() => {
    if (last && last.index >= rows.length - 20 && list.hasNextPage && !list.isFetchingNextPage) void list.fetchNextPage()
  }, [last, rows.length, list])

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

  const title = t(`inbox.views.${view}`, { defaultValue: view })
  return (
    <main id="main" className="page inbox">
      <div className="page-head">
        <h1>{title}</h1>
        <span className="count" aria-live="polite">
          {t('inbox.count', { count: rows.length, more: list.hasNextPage ? '+' : '' })}
        </span>
      </div>
      <FilterBar hideAssignee={view !== 'all'} />
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
            const c = rows[v.index] as Conversation
            return (
              <Row
                key={c.id}
                c={c}
                index={v.index}
                start={v.start}
                active={v.index === cursor}
                checked={selected.has(c.id)}
                onCheck={(on) =>
                  setSelected((s) => {
                    const n = new Set(s)
                    if (on) n.add(c.id)
                    else n.delete(c.id)
                    return n
                  })
                }
                measure={virtual.measureElement}
              />
            )
          })}
        </ul>
      </div>
    </main>
  )
}

function Row(props: { c: Conversation; index: number; start: number; active: boolean; checked: boolean; onCheck: (on: boolean) => void; measure: (el: Element | null) => void }) {
  const { c } = props
  const t = useT()
  const contact = useContact(c.contactId)
  const users = useUsers()
  const assignee = c.assigneeId ? users.data?.items.find((u) => u.id === c.assigneeId) : null
  const waiting = waitingSince(c)
  return (
    <li
      ref={props.measure}
      data-index={props.index}
      className={`inbox-row${props.active ? ' active' : ''} priority-${c.priority}`}
      style={{ transform: `translateY(${props.start}px)` }}
    >
      <input type="checkbox" aria-label={t('inbox.select', { title: caseTitle(c) })} checked={props.checked} onChange={(e) => props.onCheck(e.target.checked)} />
      <div className="row-main">
        <Link to={`/cases/${c.id}`} className="subject">
          {caseTitle(c)}
        </Link>
        <span className="meta">
          #{c.number} · {contactLabel(contact.data)} · <span className="channel">{t(`channels.${c.channel}`, { defaultValue: c.channel })}</span>
        </span>
      </div>
      <span className={`status status-${c.status}`}>{t(`status.${c.status}`)}</span>
      <span className="priority">{t(`priority.${c.priority}`)}</span>
      <span className="waiting">{waiting ? t('inbox.waiting', { time: waiting }) : ''}</span>
      <span className="assignee">{assignee ? assignee.name : c.assigneeId ? '…' : t('inbox.unassigned')}</span>
    </li>
  )
}
