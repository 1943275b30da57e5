import type { Authenticator } from '../../platform/http/auth.ts'
import { csrfTokenFor } from '../../platform/http/csrf.ts'
import type { ModuleParts, Platform } from '../../platform/platform.ts'
import type { UsersService } from '../users/index.ts'
import { authRoutes } from './auth.routes.ts'
import { type AuthService, createAuthService } from './auth.service.ts'

export type { AuthService, ApiToken } from './auth.service.ts'

export function createAuthModule(p: Platform, deps: { users: UsersService }): ModuleParts & { service: AuthService; authenticate: Authenticator } {
  const service = createAuthService(p, deps)
  const secureCookies = p.config.publicUrl?.startsWith('https:') ?? false
  return {
    service,
    authenticate: service.authenticate,
    routes: authRoutes(service, { loginRateLimit: p.config.loginRateLimit, secureCookies, csrfToken: (secret) => csrfTokenFor(p.box, secret) }),
  }
}
