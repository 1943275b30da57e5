import type { Tx } from '../../platform/db/tenant.ts'
import { AppError } from '../../platform/errors.ts'
import { checkFieldValue, isEmptyValue } from './field-values.ts'
import * as repo from './taxonomy.repository.ts'
import { customFieldItemPrefix, normaliseTagName, requirementsFromSettings, type CustomFieldType, type Transition } from './taxonomy.types.ts'

/** Most distinct tags one case may carry. */
export const maxTagsPerCase = 100

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

type Problem = { field: string; message: string }
const invalid = (message: string, details: Problem[]) => new AppError('VALIDATION_FAILED', message, details)

/** The state of a case that the requirement rule is judged on. */
export interface CaseState {
  categoryId: string | null
  customFields: Record<string, unknown>
  tags: string[]
  assigneeId: string | null
  teamId: string | null
}

/**
 * The checks other modules run inside their own transaction when a case is
 * created or changed. They do not authorise: the caller's use case already has.
 * Error fields are named as in the conversation request body.
 */
export function createCaseChecks() {
  return {
    /** Refuses a category id that is not one of this workspace's categories. */
    async assertCategoryInTx(trx: Tx, workspaceId: string, categoryId: string): Promise<void> {
      // Check the shape first: a malformed uuid reaching PostgreSQL would abort the caller's transaction.
      const found = typeof categoryId === 'string' && uuid.test(categoryId) && (await repo.findCategory(trx, workspaceId, categoryId))
      if (!found) throw invalid('Unknown category', [{ field: 'body.categoryId', message: `no category ${String(categoryId)} in this workspace` }])
    },

    /**
     * Type-checks custom field values against their definitions and returns them
     * normalised (see checkFieldValue). `null` means "clear" and is passed through.
     */
    async validateCustomFieldsInTx(trx: Tx, workspaceId: string, values: Record<string, unknown>): Promise<Record<string, unknown>> {
      if (typeof values !== 'object' || values === null || Array.isArray(values))
        throw invalid('customFields must be an object', [{ field: 'body.customFields', message: 'must be an object of field key to value' }])
      const entries = Object.entries(values)
      const fields = new Map((await repo.customFieldsByKey(trx, workspaceId, entries.map(([k]) => k))).map((f) => [f.key, f]))
      const problems: Problem[] = []
      const out: Array<[string, unknown]> = []
      for (const [key, value] of entries) {
        const field = fields.get(key)
        if (!field) {
          problems.push({ field: `body.customFields.${key}`, message: 'is not a custom field of this workspace' })
          continue
        }
        const checked = checkFieldValue(field.type as CustomFieldType, field.options, value)
        if (checked.ok) out.push([key, checked.value])
        else problems.push({ field: `body.customFields.${key}`, message: checked.message })
      }
      if (problems.length) throw invalid(`Invalid custom fields: ${problems.map((p) => `${p.field} ${p.message}`).join('; ')}`, problems)
      // fromEntries defines own properties, so even a key like __proto__ stays plain data.
      return Object.fromEntries(out)
    },

    /** Normalises tag names, creates the ones the workspace lacks, and returns the distinct names in order. */
    async ensureTagsInTx(trx: Tx, workspaceId: string, names: string[]): Promise<string[]> {
      if (!Array.isArray(names)) throw invalid('tags must be a list', [{ field: 'body.tags', message: 'must be a list of tag names' }])
      const problems: Problem[] = []
      const distinct = new Set<string>()
      names.forEach((raw, i) => {
        const n = typeof raw === 'string' ? normaliseTagName(raw) : { error: 'must be a string' }
        if ('error' in n) problems.push({ field: `body.tags.${i}`, message: n.error })
        else distinct.add(n.name)
      })
      if (problems.length) throw invalid(`Invalid tags: ${problems.map((p) => `${p.field} ${p.message}`).join('; ')}`, problems)
      if (distinct.size > maxTagsPerCase) throw invalid('Too many tags', [{ field: 'body.tags', message: `must hold at most ${maxTagsPerCase} distinct tags` }])
      const list = [...distinct]
      await repo.insertMissingTags(trx, workspaceId, list)
      return list
    },

    /**
     * The requirement items the workspace's rule asks for that this case lacks,
     * in the rule's order: `category`, `assignee`, `team`, `tags`, `customFields.<key>`.
     */
    async missingRequirementsInTx(trx: Tx, workspaceId: string, c: CaseState, transition: Transition): Promise<string[]> {
      const rule = requirementsFromSettings(await repo.workspaceSettings(trx, workspaceId))
      return rule[transition].filter((item) => {
        if (item === 'category') return isEmptyValue(c.categoryId)
        if (item === 'assignee') return isEmptyValue(c.assigneeId)
        if (item === 'team') return isEmptyValue(c.teamId)
        if (item === 'tags') return isEmptyValue(c.tags)
        if (item.startsWith(customFieldItemPrefix)) {
          const key = item.slice(customFieldItemPrefix.length)
          return !Object.hasOwn(c.customFields ?? {}, key) || isEmptyValue(c.customFields[key])
        }
        return false // an item this version does not know cannot be met or enforced
      })
    },
  }
}
