import type { ModuleParts, Platform } from '../../platform/platform.ts'
import * as usersRepository from './users.repository.ts'
import { usersRoutes } from './users.routes.ts'
import { assertMayActOn, createUsersService, hashPassword } from './users.service.ts'

export type { User, Team } from './users.types.ts'
export { userSchema, normaliseEmail } from './users.types.ts'
export type { UsersService, NewUser, UserPatch } from './users.service.ts'
export { usersRepository, hashPassword, assertMayActOn }

export function createUsersModule(p: Platform) {
  const service = createUsersService(p)
  return { service, routes: usersRoutes(service, { passwordRateLimit: p.config.loginRateLimit }) } satisfies ModuleParts
}
