import { z } from 'zod'
import { MAX_CURSOR_LENGTH } from './cursor.ts'

/** Schemas shared by every module's routes. */
export const idParam = z.strictObject({ id: z.uuid() })

/** Strict: an unknown query parameter is a 400 (input-guards.ts also refuses them on routes without a query schema). */
export const listQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(25),
  cursor: z.string().max(MAX_CURSOR_LENGTH).optional(),
})

export const errorSchema = z
  .object({
    error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }),
  })
  .meta({ id: 'Error' })

export const listOf = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item), nextCursor: z.string().nullable() })

/** The error responses most routes can give, for the OpenAPI document. */
export const commonErrors = {
  400: errorSchema,
  401: errorSchema,
  403: errorSchema,
  404: errorSchema,
  409: errorSchema,
  422: errorSchema,
  429: errorSchema,
} as const

/** Text a person typed: trimmed; control characters (other than tab/newline) and lone surrogates refused. */
export const humanText = (max: number) =>
  z
    .string()
    .trim()
    .max(max)
    .refine((s) => !/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/.test(s), 'must not contain control characters')
    .refine((s) => s.isWellFormed(), 'must be well-formed Unicode (no lone surrogates)')

/**
 * Text a person wrote as the body of a message or note: stored exactly as
 * given (no trimming; leading spaces and trailing newlines are kept); control
 * characters other than tab, newline and carriage return, and lone surrogates, refused.
 */
export const bodyText = (max: number) =>
  z
    .string()
    .max(max)
    .refine((s) => !/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/.test(s), 'must not contain control characters')
    .refine((s) => s.isWellFormed(), 'must be well-formed Unicode (no lone surrogates)')

/**
 * A free-form JSON object (contact attributes, custom field values, message
 * metadata, channel settings): bounded in keys and in size. Its nesting depth
 * is bounded for the whole body before parsing (json-body.ts), so the size
 * check's JSON.stringify cannot overflow the stack.
 */
export const freeformObject = (opts: { maxKeys: number; maxBytes: number; keyMax: number }) =>
  z
    .record(z.string().min(1).max(opts.keyMax), z.unknown())
    .refine((o) => Object.keys(o).length <= opts.maxKeys, `at most ${opts.maxKeys} keys`)
    .refine((o) => Buffer.byteLength(JSON.stringify(o)) <= opts.maxBytes, `at most ${opts.maxBytes / 1024} KiB of JSON`)

export const isoDate = z.iso.datetime({ offset: true })
