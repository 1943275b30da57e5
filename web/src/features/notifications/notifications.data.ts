import { useQuery } from '@tanstack/react-query'
import { api, type Schemas, unwrap } from '../../api/client'
import { i18next } from '../../i18n'
import { notificationsEn } from './notifications.en'

i18next.addResourceBundle('en', 'translation', { notifications: notificationsEn }, true, true)

export type Notification = Schemas['Notification']
export const notificationsKey = ['notifications'] as const

export const useNotifications = () =>
  useQuery({ queryKey: notificationsKey, queryFn: () => unwrap(api.GET('/api/v1/notifications', { params: { query: { limit: 30 } } })), staleTime: 60_000 })

export const markRead = (id: string) => unwrap(api.POST('/api/v1/notifications/{id}/read', { params: { path: { id } } }))
export const markAllRead = () => unwrap(api.POST('/api/v1/notifications/read-all'))

/** Whether the browser may show notifications now ('unsupported' when it has no Notification API). */
export function browserPermission(): NotificationPermission | 'unsupported' {
  return typeof window.Notification === 'function' ? window.Notification.permission : 'unsupported'
}

/** A browser (system) notification for one of ours, when the user allowed them; clicking it opens the case. */
export function showBrowserNotification(n: Notification, open: (conversationId: string) => void): void {
  if (browserPermission() !== 'granted') return
  const shown = new window.Notification(i18next.t('notifications.browserTitle'), { body: n.text, tag: n.id })
  shown.onclick = () => {
    window.focus()
    if (n.conversationId) open(n.conversationId)
    shown.close()
  }
}
