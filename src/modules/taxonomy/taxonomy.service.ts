import type { Platform } from '../../platform/platform.ts'
import { createCaseChecks } from './case-checks.ts'
import { createCategoriesService } from './categories.service.ts'
import { createCustomFieldsService } from './custom-fields.service.ts'
import { createTagsService } from './tags.service.ts'

/**
 * The taxonomy use cases: the administration of categories, tags, custom
 * fields and the case requirement rule, plus the `...InTx` checks the
 * conversations module runs inside its own transactions.
 */
export function createTaxonomyService(p: Platform) {
  return {
    ...createCaseChecks(),
    ...createCategoriesService(p),
    ...createTagsService(p),
    ...createCustomFieldsService(p),
  }
}
export type TaxonomyService = ReturnType<typeof createTaxonomyService>
