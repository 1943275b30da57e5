import { memo } from 'react'
import { Link } from 'react-router'
import type { ConversationListItem, User } from '../../api/client'
import { useT } from '../../i18n'
import { slaCountdown } from './sla'
import { waitingSince } from './waiting'

/** What a row is called: the subject, else the start of the last message, else its number. */
export function rowTitle(c: ConversationListItem): string {
  return c.subject ?? c.lastMessage?.text.slice(0, 80) ?? `#${c.number}`
}

const contactOf = (c: ConversationListItem) => c.contact?.name ?? c.contact?.identity ?? '…'

interface RowProps {
  c: ConversationListItem
  index: number
  start: number
  now: number
  active: boolean
  checked: boolean
  users: User[] | undefined
  onCheck: (id: string, on: boolean) => void
  measure: (el: Element | null) => void
}

/**
 * One case of the inbox: contact, channel, subject (or last message), waiting
 * time, SLA countdown, priority, assignee. Everything comes with the list page:
 * a row makes no request of its own.
 */
export const InboxRow = memo(function InboxRow({ c, index, start, now, active, checked, users, onCheck, measure }: RowProps) {
  const t = useT()
  const assignee = c.assigneeId ? users?.find((u) => u.id === c.assigneeId) : null
  const waiting = waitingSince(c, now)
  const sla = slaCountdown(c, now)
  const title = rowTitle(c)
  return (
    <li ref={measure} data-index={index} className={`inbox-row${active ? ' active' : ''} priority-${c.priority}`} style={{ transform: `translateY(${start}px)` }}>
      <input type="checkbox" aria-label={t('inbox.select', { title })} checked={checked} onChange={(e) => onCheck(c.id, e.target.checked)} />
      <div className="row-main">
        <Link to={`/cases/${c.id}`} className="subject">
          {title}
        </Link>
        <span className="meta">
          #{c.number} · <span className="contact">{contactOf(c)}</span> · <span className="channel">{t(`channels.${c.channel}`, { defaultValue: c.channel })}</span>
          {c.subject && c.lastMessage && <span className="preview"> · {c.lastMessage.text}</span>}
        </span>
      </div>
      <span className={`status status-${c.status}`}>{t(`status.${c.status}`)}</span>
      <span className="priority">{t(`priority.${c.priority}`)}</span>
      <span className="waiting">{waiting ? t('inbox.waiting', { time: waiting }) : ''}</span>
      <span className={`sla${sla?.breached ? ' breached' : ''}`} title={sla ? t('inbox.slaDue', { clock: t(`inbox.slaClock.${sla.clock}`), at: new Date(sla.dueAt).toLocaleString() }) : undefined}>
        {sla ? (sla.breached ? t('inbox.slaBreached') : t('inbox.slaLeft', { time: sla.left })) : ''}
      </span>
      <span className="assignee">{assignee ? assignee.name : c.assigneeId ? '…' : t('inbox.unassigned')}</span>
    </li>
  )
})
