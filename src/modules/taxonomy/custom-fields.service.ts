import { type Actor, authorize } from '../../platform/auth/actor.ts'
import { recordAudit } from '../../platform/audit/audit.ts'
import { AppError, conflict, isUniqueViolation, notFound, unprocessable } from '../../platform/errors.ts'
import type { Platform } from '../../platform/platform.ts'
import * as repo from './taxonomy.repository.ts'
import {
  type CaseRequirements,
  type CustomField,
  customFieldItemPrefix,
  type CustomFieldType,
  requirementKeywords,
  requirementsFromSettings,
  toCustomField,
} from './taxonomy.types.ts'

/** The field list is returned whole, so its size is bounded. */
export const maxCustomFields = 200

type Problem = { field: string; message: string }

/** A select field needs its options; no other type may have any. Duplicates (ignoring case) are refused. */
function checkOptions(type: CustomFieldType, options: string[] | undefined, required: boolean): Problem[] {
  if (type !== 'select') return options === undefined ? [] : [{ field: 'body.options', message: `only select fields have options, not ${type} fields` }]
  if (options === undefined) return required ? [{ field: 'body.options', message: 'is required for a select field' }] : []
  if (options.length === 0) return [{ field: 'body.options', message: 'must list at least one option' }]
  const seen = new Set<string>()
  const problems: Problem[] = []
  options.forEach((o, i) => {
    if (seen.has(o.toLowerCase())) problems.push({ field: `body.options.${i}`, message: `repeats the option "${o}"` })
    seen.add(o.toLowerCase())
  })
  return problems
}

const refuse = (problems: Problem[]) => {
  if (problems.length) throw new AppError('VALIDATION_FAILED', problems.map((p) => `${p.field} ${p.message}`).join('; '), problems)
}

export function createCustomFieldsService(p: Platform) {
  return {
    async listCustomFields(actor: Actor): Promise<{ items: CustomField[]; nextCursor: null }> {
      authorize(actor, 'taxonomy:read')
      const rows = await p.tx(actor, (trx) => repo.listCustomFields(trx, actor.workspaceId))
      return { items: rows.map(toCustomField), nextCursor: null }
    },

    async getCustomField(actor: Actor, id: string): Promise<CustomField> {
      authorize(actor, 'taxonomy:read')
      const row = await p.tx(actor, (trx) => repo.findCustomField(trx, actor.workspaceId, id))
      if (!row) throw notFound('Custom field')
      return toCustomField(row)
    },

    async createCustomField(actor: Actor, input: { key: string; label: string; type: CustomFieldType; options?: string[] | undefined }): Promise<CustomField> {
      authorize(actor, 'taxonomy:write')
      refuse(checkOptions(input.type, input.options, true))
      const taken = () => conflict(`A custom field with key "${input.key}" already exists`, [{ field: 'body.key', message: 'is taken' }])
      return p.tx(actor, async (trx) => {
        if ((await repo.countCustomFields(trx, actor.workspaceId)) >= maxCustomFields) throw unprocessable(`A workspace may have at most ${maxCustomFields} custom fields`)
        if ((await repo.customFieldsByKey(trx, actor.workspaceId, [input.key])).length) throw taken()
        const row = await repo.insertCustomField(trx, actor.workspaceId, { ...input, options: input.options ?? [] }).catch((err: unknown) => {
          throw isUniqueViolation(err) ? taken() : err
        })
        const field = toCustomField(row)
        await recordAudit(trx, actor, { action: 'custom-field.created', entityType: 'custom_field', entityId: field.id, changes: { after: { key: field.key, label: field.label, type: field.type, options: field.options } } })
        return field
      })
    },

    /**
     * Changes a field's label or (select only) its options. Values already stored
     * on conversations stay as they are; new writes must use the new options.
     */
    async updateCustomField(actor: Actor, id: string, patch: { label?: string | undefined; options?: string[] | undefined }): Promise<CustomField> {
      authorize(actor, 'taxonomy:write')
      return p.tx(actor, async (trx) => {
        const before = await repo.findCustomField(trx, actor.workspaceId, id)
        if (!before) throw notFound('Custom field')
        refuse(checkOptions(before.type as CustomFieldType, patch.options, false))
        const row = await repo.updateCustomField(trx, actor.workspaceId, id, patch)
        if (!row) throw notFound('Custom field')
        const [b, a] = [toCustomField(before), toCustomField(row)]
        await recordAudit(trx, actor, {
          action: 'custom-field.updated',
          entityType: 'custom_field',
          entityId: id,
          changes: { key: a.key, before: { label: b.label, options: b.options }, after: { label: a.label, options: a.options } },
        })
        return a
      })
    },

    /**
     * Deletes a field, its values on every conversation, and any requirement
     * naming it (a requirement nobody can meet would block every solve).
     */
    async deleteCustomField(actor: Actor, id: string): Promise<void> {
      authorize(actor, 'taxonomy:write')
      const ws = actor.workspaceId
      await p.tx(actor, async (trx) => {
        // Lock the settings first, as setCaseRequirements does, so a rule naming this field cannot slip in meanwhile.
        const rule = requirementsFromSettings(await repo.workspaceSettings(trx, ws, true))
        const row = await repo.deleteCustomField(trx, ws, id)
        if (!row) throw notFound('Custom field')
        const item = `${customFieldItemPrefix}${row.key}`
        const removedFrom = (['solve', 'transfer'] as const).filter((t) => rule[t].includes(item))
        if (removedFrom.length) await repo.saveCaseRequirements(trx, ws, { solve: rule.solve.filter((i) => i !== item), transfer: rule.transfer.filter((i) => i !== item) })
        const clearedConversations = await repo.stripCustomFieldValues(trx, ws, row.key)
        await recordAudit(trx, actor, {
          action: 'custom-field.deleted',
          entityType: 'custom_field',
          entityId: id,
          changes: { before: { key: row.key, label: row.label, type: row.type, options: row.options }, removedFromRequirements: removedFrom, clearedConversations },
        })
      })
    },

    async getCaseRequirements(actor: Actor): Promise<CaseRequirements> {
      authorize(actor, 'taxonomy:read')
      return requirementsFromSettings(await p.tx(actor, (trx) => repo.workspaceSettings(trx, actor.workspaceId)))
    },

    /** Replaces the rule; every item must be a known keyword or `customFields.<key>` of an existing field. */
    async setCaseRequirements(actor: Actor, input: CaseRequirements): Promise<CaseRequirements> {
      authorize(actor, 'taxonomy:write')
      const ws = actor.workspaceId
      return p.tx(actor, async (trx) => {
        const before = requirementsFromSettings(await repo.workspaceSettings(trx, ws, true))
        const named = [...input.solve, ...input.transfer].filter((i) => i.startsWith(customFieldItemPrefix)).map((i) => i.slice(customFieldItemPrefix.length))
        const fields = new Set((await repo.customFieldsByKey(trx, ws, [...new Set(named)])).map((f) => f.key))
        const known = (item: string) =>
          (requirementKeywords as readonly string[]).includes(item) || (item.startsWith(customFieldItemPrefix) && fields.has(item.slice(customFieldItemPrefix.length)))
        const problems = (['solve', 'transfer'] as const).flatMap((t) =>
          input[t].flatMap((item, i) =>
            known(item) ? [] : [{ field: `body.${t}.${i}`, message: `"${item}" is not one of ${requirementKeywords.join(', ')}, nor customFields.<key> of an existing custom field` }],
          ),
        )
        refuse(problems)
        const rule = { solve: [...new Set(input.solve)], transfer: [...new Set(input.transfer)] }
        await repo.saveCaseRequirements(trx, ws, rule)
        await recordAudit(trx, actor, { action: 'case-requirements.updated', entityType: 'workspace', entityId: ws, changes: { before, after: rule } })
        return rule
      })
    },
  }
}
