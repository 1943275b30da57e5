import type { ModuleParts, Platform } from '../../platform/platform.ts'
import { searchRoutes } from './search.routes.ts'
import { createSearchService } from './search.service.ts'

export type { SearchService } from './search.service.ts'
export { searchResultSchema, type SearchResult } from './search.types.ts'

/** The desk's search box: a ranked read over conversations, messages and contacts (full-text indexes of migration 0010). */
export function createSearchModule(p: Platform) {
  const service = createSearchService(p)
  return { service, routes: searchRoutes(service) } satisfies ModuleParts
}
