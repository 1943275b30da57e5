import { z } from 'zod'

/** Schemas shared by every module's routes. */
export const idParam = z.strictObject({ id: z.uuid() })

export const listQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(25),
  cursor: z.string().max(512).optional(),
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

export const isoDate = z.iso.datetime({ offset: true })
