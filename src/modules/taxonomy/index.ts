import type { FastifyPluginAsync } from 'fastify'
import type { ModuleParts, Platform } from '../../platform/platform.ts'
import { createTaxonomyService, type TaxonomyService } from './taxonomy.service.ts'
import { taxonomyRoutes } from './taxonomy.routes.ts'

export type { TaxonomyService } from './taxonomy.service.ts'
export type { CaseState } from './case-checks.ts'
export type { CaseRequirements, Category, CustomField, CustomFieldType, Tag, Transition } from './taxonomy.types.ts'
export { normaliseTagName } from './taxonomy.types.ts'

export function createTaxonomyModule(p: Platform): { service: TaxonomyService; routes: FastifyPluginAsync } {
  const service = createTaxonomyService(p)
  return { service, routes: taxonomyRoutes(service) } satisfies ModuleParts
}
