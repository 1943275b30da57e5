import { z } from 'zod'
import type { Row } from '../../platform/db/schema.ts'

/** The variables a canned reply may use, as `{{name}}`. */
export const templateVariables = [
  'contact.name',
  'contact.firstName',
  'contact.email',
  'contact.phone',
  'agent.name',
  'agent.firstName',
  'agent.email',
  'conversation.number',
  'conversation.subject',
  'conversation.status',
  'conversation.channel',
] as const
export type TemplateVariable = (typeof templateVariables)[number]
export type TemplateValues = Record<TemplateVariable, string | null>

const variablePattern = /\{\{\s*([A-Za-z][\w]*(?:\.[A-Za-z][\w]*)*)\s*\}\}/g
const known = new Set<string>(templateVariables)

/** Variable names used by a body that are not known (a 400 when saving). */
export function unknownVariables(body: string): string[] {
  return [...new Set([...body.matchAll(variablePattern)].map((m) => m[1] as string).filter((v) => !known.has(v)))]
}

/**
 * Fills in the variables. A known variable without a value (a contact without
 * a name) becomes empty text and is listed in `missing`, so the agent can fill
 * it in before sending; the text is plain, never HTML.
 */
export function renderTemplate(body: string, values: TemplateValues): { text: string; missing: TemplateVariable[] } {
  const missing = new Set<TemplateVariable>()
  const text = body.replace(variablePattern, (whole, name: string) => {
    if (!known.has(name)) return whole
    const value = values[name as TemplateVariable]
    if (value === null || value === '') missing.add(name as TemplateVariable)
    return value ?? ''
  })
  return { text, missing: [...missing] }
}

export const firstName = (name: string | null): string | null => name?.trim().split(/\s+/)[0] ?? null

export const cannedReplySchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    /** Typed after `/` in the composer to insert the reply. */
    shortcut: z.string().nullable(),
    body: z.string(),
    /** Shared replies are offered to the whole workspace; changing them needs desk:share. */
    shared: z.boolean(),
    ownerId: z.uuid(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'CannedReply' })
export type CannedReply = z.infer<typeof cannedReplySchema>

export const toCannedReply = (r: Row<'canned_replies'>): CannedReply => ({
  id: r.id,
  name: r.name,
  shortcut: r.shortcut,
  body: r.body,
  shared: r.shared,
  ownerId: r.owner_id,
  createdAt: r.created_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
})
