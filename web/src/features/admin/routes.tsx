import type { ReactElement } from 'react'
import { i18next } from '../../i18n'
import { adminEn } from './admin.en'
import { InboxesAdmin } from './InboxesAdmin'
import { AuditAdmin, BoardAdmin, MailAdmin } from './OperationsAdmin'
import { TokensAdmin, UsersAdmin, WorkspaceAdmin } from './PeopleAdmin'
import { SuggestionsAdmin } from './SuggestionsAdmin'
import { TeamsAdmin } from './TeamsAdmin'
import { TaxonomyAdmin } from './TaxonomyAdmin'

i18next.addResourceBundle('en', 'translation', { admin: adminEn }, true, true)

type Role = 'owner' | 'admin' | 'supervisor' | 'agent' | 'auditor'
const admins: readonly Role[] = ['owner', 'admin']
const supervisors: readonly Role[] = ['owner', 'admin', 'supervisor']

/**
 * The registration point of the admin screens (workspace settings, users,
 * teams, tokens, inboxes, taxonomy, audit, live board, merge suggestions). Each entry is mounted
 * at `/admin/<path>` and listed in the navigation only for the roles that may
 * use it (the API refuses the others anyway); agents never see any.
 */
export interface AdminRoute {
  path: string
  /** i18n key of the navigation label. */
  labelKey: string
  element: ReactElement
  /** Who sees it: the roles whose permissions (docs/roles.md) the screen needs. */
  roles: readonly Role[]
}

export const adminRoutes: AdminRoute[] = [
  { path: 'board', labelKey: 'admin.nav.board', element: <BoardAdmin />, roles: supervisors },
  { path: 'inboxes', labelKey: 'admin.nav.inboxes', element: <InboxesAdmin />, roles: admins },
  { path: 'mail', labelKey: 'admin.nav.mail', element: <MailAdmin />, roles: admins },
  { path: 'users', labelKey: 'admin.nav.users', element: <UsersAdmin />, roles: admins },
  { path: 'teams', labelKey: 'admin.nav.teams', element: <TeamsAdmin />, roles: supervisors },
  { path: 'merge-suggestions', labelKey: 'admin.nav.suggestions', element: <SuggestionsAdmin />, roles: supervisors },
  { path: 'taxonomy', labelKey: 'admin.nav.taxonomy', element: <TaxonomyAdmin />, roles: admins },
  { path: 'tokens', labelKey: 'admin.nav.tokens', element: <TokensAdmin />, roles: supervisors },
  { path: 'audit', labelKey: 'admin.nav.audit', element: <AuditAdmin />, roles: admins },
  { path: 'workspace', labelKey: 'admin.nav.workspace', element: <WorkspaceAdmin />, roles: admins },
]

/** The admin screens a role may use. */
export const adminRoutesFor = (role: string): AdminRoute[] => adminRoutes.filter((r) => (r.roles as readonly string[]).includes(role))
