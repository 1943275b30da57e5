import type { ModuleParts, Platform } from '../../platform/platform.ts'
import { auditRoutes } from './audit.routes.ts'
import { createAuditService } from './audit.service.ts'

export type { AuditService, AuditEvent } from './audit.service.ts'

export function createAuditModule(p: Platform) {
  const service = createAuditService(p)
  return { service, routes: auditRoutes(service) } satisfies ModuleParts
}
