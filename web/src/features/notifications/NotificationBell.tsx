import { useQueryClient } from '@tanstack/react-query'
import { useCallback, useId, useState } from 'react'
import { Link, useNavigate } from 'react-router'
import { errorText } from '../../app/errors'
import { useT } from '../../i18n'
import { useRealtimeEvents } from '../../realtime/hooks'
import type { RealtimeEvent } from '../../realtime/realtime'
import './notifications.css'
import { browserPermission, markAllRead, markRead, type Notification, notificationsKey, showBrowserNotification, useNotifications } from './notifications.data'

/**
 * The bell: mentions and assignments with the unread count, kept live by the
 * realtime stream (`notification.created`, `notifications.read` from other
 * tabs), shown as browser notifications too when the user allowed them.
 */
export function NotificationBell() {
  const t = useT()
  const qc = useQueryClient()
  const navigate = useNavigate()
  const list = useNotifications()
  const [open, setOpen] = useState(false)
  const [error, setError] = useState<unknown>(null)
  const [permission, setPermission] = useState(browserPermission)
  const panelId = useId()
  const unread = list.data?.unreadCount ?? 0

  const onEvent = useCallback(
    (e: RealtimeEvent) => {
      if (e.type === 'notification.created') {
        void qc.invalidateQueries({ queryKey: notificationsKey })
        const n = (e.payload as { notification?: Notification }).notification
        if (n) showBrowserNotification(n, (id) => navigate(`/cases/${id}`))
      } else if (e.type === 'notifications.read') void qc.invalidateQueries({ queryKey: notificationsKey })
    },
    [qc, navigate],
  )
  useRealtimeEvents(onEvent)

  const act = async (fn: () => Promise<unknown>) => {
    setError(null)
    try {
      await fn()
    } catch (err) {
      setError(err)
    }
    await qc.invalidateQueries({ queryKey: notificationsKey })
  }

  return (
    <div className="bell">
      <button type="button" aria-expanded={open} aria-controls={panelId} onClick={() => setOpen((o) => !o)} aria-label={t('notifications.bell', { count: unread })}>
        <svg width="16" height="16" viewBox="0 0 24 24" aria-hidden="true" focusable="false" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" strokeLinejoin="round">
          <path d="M18 8a6 6 0 0 0-12 0c0 7-3 9-3 9h18s-3-2-3-9" />
          <path d="M13.7 21a2 2 0 0 1-3.4 0" />
        </svg>
        {unread > 0 && <span className="badge" aria-hidden="true">{unread}</span>}
      </button>
      {open && (
        <section id={panelId} aria-label={t('notifications.title')} className="bell-panel card">
          <div className="bell-head">
            <h2>{t('notifications.title')}</h2>
            {unread > 0 && (
              <button type="button" onClick={() => void act(markAllRead)}>
                {t('notifications.markAllRead')}
              </button>
            )}
          </div>
          {permission === 'default' && (
            <button type="button" className="link" onClick={() => void window.Notification.requestPermission().then(setPermission)}>
              {t('notifications.enableBrowser')}
            </button>
          )}
          {(error || list.isError) && (
            <p role="alert" className="error">
              {errorText(t, error ?? list.error)}
            </p>
          )}
          {list.data && list.data.items.length === 0 && <p className="meta">{t('notifications.empty')}</p>}
          <ul>
            {list.data?.items.map((n) => (
              <li key={n.id} className={n.readAt ? 'read' : 'unread'}>
                {n.conversationId ? (
                  <Link to={`/cases/${n.conversationId}`} onClick={() => setOpen(false)}>
                    {n.text}
                  </Link>
                ) : (
                  <span>{n.text}</span>
                )}
                {!n.readAt && (
                  <button type="button" aria-label={`${t('notifications.markRead')}: ${n.text}`} onClick={() => void act(() => markRead(n.id))}>
                    {t('notifications.markRead')}
                  </button>
                )}
              </li>
            ))}
          </ul>
        </section>
      )}
    </div>
  )
}
