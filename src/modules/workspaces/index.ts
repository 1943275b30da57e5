import type { ModuleParts, Platform } from '../../platform/platform.ts'
import type { AuthService } from '../auth/index.ts'
import type { UsersService } from '../users/index.ts'
import { workspacesRoutes } from './workspaces.routes.ts'
import { createWorkspacesService } from './workspaces.service.ts'

export type { WorkspacesService, Bootstrap } from './workspaces.service.ts'
export type { Workspace, ContinuityRule } from './workspaces.types.ts'

export function createWorkspacesModule(p: Platform, deps: { users: UsersService; auth: AuthService }) {
  const service = createWorkspacesService(p, deps)
  return { service, routes: workspacesRoutes(service) } satisfies ModuleParts
}
