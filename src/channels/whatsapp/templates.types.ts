import { z } from 'zod'
import type { Row } from '../../platform/db/schema.ts'

export const templateStatuses = ['approved', 'pending', 'rejected', 'paused', 'disabled'] as const
export const templateCategories = ['marketing', 'utility', 'authentication'] as const

/** Variables are `{{1}}`, `{{2}}`… numbered from 1 without gaps, as Meta requires. */
const variablePattern = /\{\{\s*(\d+)\s*\}\}/g

/** How many variables a template body has; throws a message when they are not 1..n. */
export function countVariables(body: string): number {
  const seen = new Set<number>()
  for (const m of body.matchAll(variablePattern)) seen.add(Number(m[1]))
  const n = seen.size
  for (let i = 1; i <= n; i++) if (!seen.has(i)) throw new Error(`variables must be numbered {{1}} to {{${n}}} without gaps`)
  return n
}

export function renderTemplateBody(body: string, variables: readonly string[]): string {
  return body.replace(variablePattern, (_m, n: string) => variables[Number(n) - 1] ?? '')
}

const bodySchema = z
  .string()
  .min(1)
  .max(1024)
  .superRefine((b, ctx) => {
    try {
      countVariables(b)
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message })
    }
  })

export const templateSchema = z
  .object({
    id: z.uuid(),
    inboxId: z.uuid(),
    name: z.string(),
    language: z.string(),
    category: z.enum(templateCategories),
    body: z.string(),
    variableCount: z.number().int(),
    status: z.enum(templateStatuses),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'WhatsappTemplate' })
export type WhatsappTemplate = z.infer<typeof templateSchema>

export const newTemplateSchema = z.strictObject({
  /** As approved in WhatsApp Manager: lower-case letters, digits and underscores. */
  name: z.string().regex(/^[a-z0-9_]{1,512}$/, 'must be lower-case letters, digits and underscores, as in WhatsApp Manager'),
  /** The template's language code in WhatsApp Manager (`en`, `en_US`, `pt_BR`). */
  language: z.string().regex(/^[a-z]{2,3}(_[A-Z]{2})?$/, 'must be a WhatsApp language code such as en or en_US'),
  category: z.enum(templateCategories).default('utility'),
  body: bodySchema,
  /** Only `approved` templates can be sent; record the status WhatsApp Manager shows. */
  status: z.enum(templateStatuses).default('approved'),
})
export type NewTemplate = z.infer<typeof newTemplateSchema>

export const templatePatchSchema = z.strictObject({
  category: z.enum(templateCategories).optional(),
  body: bodySchema.optional(),
  status: z.enum(templateStatuses).optional(),
})
export type TemplatePatch = z.infer<typeof templatePatchSchema>

/** Sending a template into a conversation: by id, or by name and language. */
export const templateSendSchema = z
  .strictObject({
    templateId: z.uuid().optional(),
    name: z.string().max(512).optional(),
    language: z.string().max(10).optional(),
    variables: z.array(z.string().min(1).max(1024)).max(100).default([]),
    /** The WhatsApp inbox to send through; default: the one the customer last wrote to in this conversation. */
    inboxId: z.uuid().optional(),
  })
  .refine((v) => v.templateId || (v.name && v.language), { message: 'give templateId, or name and language' })
export type TemplateSendInput = z.infer<typeof templateSendSchema>

/** What the adapter is told to send (stored in the outbound message's metadata). */
export interface TemplateSend {
  templateId: string
  name: string
  language: string
  variables: string[]
}

export const windowSchema = z.object({
  inboxId: z.uuid().nullable(),
  open: z.boolean(),
  lastCustomerMessageAt: z.string().nullable(),
  closesAt: z.string().nullable(),
})

export const toTemplate = (r: Row<'whatsapp_templates'>): WhatsappTemplate => ({
  id: r.id,
  inboxId: r.inbox_id,
  name: r.name,
  language: r.language,
  category: r.category as WhatsappTemplate['category'],
  body: r.body,
  variableCount: r.variable_count,
  status: r.status as WhatsappTemplate['status'],
  createdAt: r.created_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
})
