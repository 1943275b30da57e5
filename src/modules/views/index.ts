import type { ModuleParts, Platform } from '../../platform/platform.ts'
import { viewsRoutes } from './views.routes.ts'
import { createViewsService } from './views.service.ts'

export type { ViewsService } from './views.service.ts'
export { viewSchema, viewFiltersSchema, type SavedView, type ViewFilters } from './views.types.ts'

/** Saved inbox views, personal or shared; GET /conversations?view= applies one. */
export function createViewsModule(p: Platform) {
  const service = createViewsService(p)
  return { service, routes: viewsRoutes(service) } satisfies ModuleParts
}
