/** English strings of notifications (registered under `notifications`). */
export const notificationsEn = {
  bell_zero: 'Notifications',
  bell_one: 'Notifications, {{count}} unread',
  bell_other: 'Notifications, {{count}} unread',
  title: 'Notifications',
  empty: 'Nothing new.',
  markRead: 'Mark read',
  markAllRead: 'Mark all read',
  enableBrowser: 'Show browser notifications',
  browserTitle: 'Omnidesk',
  unread: 'unread',
}
