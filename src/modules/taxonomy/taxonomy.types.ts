import { z } from 'zod'
import type { Row } from '../../platform/db/schema.ts'

/** A node of the workspace's category tree; `path` runs from the root to this category. */
export const categorySchema = z
  .object({
    id: z.uuid(),
    parentId: z.uuid().nullable(),
    name: z.string(),
    path: z.array(z.string()),
    createdAt: z.string(),
  })
  .meta({ id: 'Category' })
export type Category = z.infer<typeof categorySchema>

export const tagSchema = z
  .object({
    name: z.string(),
    color: z.string().nullable(),
    createdAt: z.string(),
  })
  .meta({ id: 'Tag' })
export type Tag = z.infer<typeof tagSchema>

export const customFieldTypes = ['text', 'number', 'boolean', 'date', 'select'] as const
export type CustomFieldType = (typeof customFieldTypes)[number]

export const customFieldSchema = z
  .object({
    id: z.uuid(),
    key: z.string(),
    label: z.string(),
    type: z.enum(customFieldTypes),
    /** The allowed values of a `select` field; empty for every other type. */
    options: z.array(z.string()),
    createdAt: z.string(),
  })
  .meta({ id: 'CustomField' })
export type CustomField = z.infer<typeof customFieldSchema>

/**
 * What must be set on a case before it may be solved or transferred. Items are
 * `category`, `assignee`, `team`, `tags`, or `customFields.<key>`.
 */
export const caseRequirementsSchema = z
  .object({
    solve: z.array(z.string()),
    transfer: z.array(z.string()),
  })
  .meta({ id: 'CaseRequirements' })
export type CaseRequirements = z.infer<typeof caseRequirementsSchema>
export type Transition = keyof CaseRequirements

export const requirementKeywords = ['category', 'assignee', 'team', 'tags'] as const
export const customFieldKeyPattern = /^[a-z][a-z0-9_]{0,39}$/
export const customFieldItemPrefix = 'customFields.'
export const tagColorPattern = /^#[0-9a-fA-F]{6}$/

export const toTag = (r: Row<'tags'>): Tag => ({ name: r.name, color: r.color, createdAt: r.created_at.toISOString() })

export const toCustomField = (r: Row<'custom_fields'>): CustomField => ({
  id: r.id,
  key: r.key,
  label: r.label,
  type: r.type as CustomFieldType,
  options: r.options,
  createdAt: r.created_at.toISOString(),
})

/**
 * Builds the flat list of categories with their paths, ordered depth-first with
 * siblings by name, so a client can render the tree without sorting.
 */
export function toCategoryTree(rows: Row<'categories'>[]): Category[] {
  const children = new Map<string | null, Row<'categories'>[]>()
  for (const r of rows) children.set(r.parent_id, [...(children.get(r.parent_id) ?? []), r])
  const byName = (a: Row<'categories'>, b: Row<'categories'>) => a.name.toLowerCase().localeCompare(b.name.toLowerCase()) || a.id.localeCompare(b.id)
  const out: Category[] = []
  const visit = (parentId: string | null, path: string[]) => {
    for (const r of (children.get(parentId) ?? []).sort(byName)) {
      const own = [...path, r.name]
      out.push({ id: r.id, parentId: r.parent_id, name: r.name, path: own, createdAt: r.created_at.toISOString() })
      visit(r.id, own)
    }
  }
  visit(null, [])
  return out
}

/** Reads the rule from workspaces.settings, tolerating a missing or malformed value. */
export function requirementsFromSettings(settings: Record<string, unknown> | null | undefined): CaseRequirements {
  const raw = (settings?.caseRequirements ?? {}) as Record<string, unknown>
  const list = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [])
  return { solve: list(raw.solve), transfer: list(raw.transfer) }
}

const controlChars = /[\u0000-\u001F\u007F-\u009F]/

/**
 * The one spelling of a tag: trimmed, inner whitespace collapsed to one space,
 * lower case (NFC). Returns an error message instead when the name is unusable.
 */
export function normaliseTagName(raw: string): { name: string } | { error: string } {
  if (!raw.isWellFormed()) return { error: 'must be well-formed Unicode' }
  if (controlChars.test(raw.replace(/[\t\n\r]/g, ' '))) return { error: 'must not contain control characters' }
  const name = raw.normalize('NFC').trim().replace(/\s+/g, ' ').toLowerCase()
  if (name.includes(',')) return { error: 'must not contain commas' }
  const length = [...name].length
  if (length < 1) return { error: 'must not be empty' }
  if (length > 50) return { error: 'must be at most 50 characters' }
  return { name }
}
