import type { ReactElement } from 'react'

/**
 * The registration point of the admin screens (workspace settings, users,
 * teams, tokens, inboxes, taxonomy, audit, live board). Each entry is mounted
 * at `/admin/<path>` and listed in the navigation, for owners, admins and
 * supervisors only; agents never see them (and the API refuses them anyway).
 */
export interface AdminRoute {
  path: string
  /** i18n key of the navigation label. */
  labelKey: string
  element: ReactElement
}

export const adminRoutes: AdminRoute[] = []
