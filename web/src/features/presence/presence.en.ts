/** English strings of the presence control (registered under `presence`). */
export const presenceEn = {
  label: 'Presence',
  online: 'Online',
  away: 'Away',
  busy: 'Busy',
  offline: 'Offline',
}
