import { createRequire } from 'node:module'
import type { parsePhoneNumberFromString as ParsePhone } from 'libphonenumber-js'
import { z } from 'zod'
import type { Row } from '../../platform/db/schema.ts'
import { AppError } from '../../platform/errors.ts'
import { deliverabilityOf, deliverabilitySchema } from './deliverability.types.ts'

const require = createRequire(import.meta.url)
let parsePhone: typeof ParsePhone | undefined
/** libphonenumber-js (its metadata) is loaded on first use, not at start. */
const parsePhoneNumberFromString = (v: string) => (parsePhone ??= (require('libphonenumber-js') as { parsePhoneNumberFromString: typeof ParsePhone }).parsePhoneNumberFromString)(v)

export const identityKinds = ['email', 'phone', 'whatsapp', 'messenger', 'instagram', 'telegram', 'widget', 'external'] as const
export type IdentityKind = (typeof identityKinds)[number]

/** One way of reaching a contact. `value` is the normalised form (unique per workspace and kind). */
export const identitySchema = z
  .object({
    id: z.uuid(),
    kind: z.enum(identityKinds),
    value: z.string(),
    verified: z.boolean(),
    /** Nothing may be sent to it now: hard-bounced, or paused by soft bounces (see `deliverability`). */
    undeliverable: z.boolean(),
    deliverability: deliverabilitySchema,
  })
  .meta({ id: 'ContactIdentity' })
export type ContactIdentity = z.infer<typeof identitySchema>

/** A customer. `mergedIntoId` is set when this contact was merged into another. */
export const contactSchema = z
  .object({
    id: z.uuid(),
    name: z.string().nullable(),
    attributes: z.record(z.string(), z.unknown()),
    identities: z.array(identitySchema),
    mergedIntoId: z.uuid().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Contact' })
export type Contact = z.infer<typeof contactSchema>

/** One attribute key both contacts had with different values; the target's value was kept. */
export interface MergeConflict {
  key: string
  kept: unknown
  discarded: unknown
}

export const mergeSchema = z
  .object({
    id: z.uuid(),
    sourceContactId: z.uuid(),
    targetContactId: z.uuid(),
    conflicts: z.array(z.object({ key: z.string(), kept: z.unknown(), discarded: z.unknown() })),
    mergedBy: z.uuid().nullable(),
    createdAt: z.string(),
    undoneAt: z.string().nullable(),
    undoneBy: z.uuid().nullable(),
  })
  .meta({ id: 'ContactMerge' })
export type ContactMerge = z.infer<typeof mergeSchema>

/** What a merge moved, kept in contact_merges.moved so the merge can be undone exactly. */
export interface MergeMoved {
  identityIds: string[]
  conversationIds: string[]
  sourceAttributes: Record<string, unknown>
  /** Keys the target did not have before the merge: stripped from the target on undo. */
  addedKeys: string[]
  sourceName: string | null
  /** True when the target took the source's name because it had none. */
  nameTaken: boolean
}

export function toIdentity(r: Row<'contact_identities'>): ContactIdentity {
  const deliverability = deliverabilityOf(r)
  return { id: r.id, kind: r.kind as IdentityKind, value: r.value, verified: r.verified, undeliverable: !deliverability.sendable, deliverability }
}

export const toContact = (r: Row<'contacts'>, identities: Row<'contact_identities'>[]): Contact => ({
  id: r.id,
  name: r.name,
  attributes: r.attributes ?? {},
  identities: identities.map(toIdentity),
  mergedIntoId: r.merged_into_id,
  createdAt: r.created_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
})

export const toMerge = (r: Row<'contact_merges'>): ContactMerge => ({
  id: r.id,
  sourceContactId: r.source_contact_id,
  targetContactId: r.target_contact_id,
  conflicts: (r.conflicts ?? []) as MergeConflict[],
  mergedBy: r.merged_by,
  createdAt: r.created_at.toISOString(),
  undoneAt: r.undone_at ? r.undone_at.toISOString() : null,
  undoneBy: r.undone_by,
})

// Normalisation

const emailCheck = z.email()
const controlChars = /[\u0000-\u001F\u007F-\u009F]/

const invalid = (field: string, message: string) => new AppError('VALIDATION_FAILED', `Invalid ${field}: ${message}`, [{ field, message }])

function normaliseEmailIdentity(value: string, field: string): string {
  const v = value.trim().toLowerCase()
  if (v.length > 320 || !emailCheck.safeParse(v).success) throw invalid(field, 'must be a valid email address')
  return v
}

function normalisePhone(kind: IdentityKind, value: string, field: string): string {
  let v = value.trim()
  // WhatsApp's own ids (wa_id) are the international number without the +.
  if (kind === 'whatsapp' && /^[1-9]\d{6,14}$/.test(v)) v = `+${v}`
  // Written internationally either as +CC… or 00CC…; anything else would need a default country.
  if (v.startsWith('00')) v = `+${v.slice(2)}`
  if (!v.startsWith('+') || v.length > 40) throw invalid(field, 'must be an international phone number starting with + or 00 (e.g. +44 20 7946 0958)')
  const n = parsePhoneNumberFromString(v)
  if (!n || !n.isValid()) throw invalid(field, 'is not a valid phone number')
  return n.number
}

function normaliseHandle(kind: IdentityKind, value: string, field: string): string {
  let v = value.trim()
  // Telegram usernames are case-insensitive and often written as @name; numeric chat ids stay as they are.
  if (kind === 'telegram') v = v.replace(/^@/, '').toLowerCase()
  if (v.length === 0) throw invalid(field, 'must not be empty')
  if (v.length > 256) throw invalid(field, 'must be at most 256 characters')
  if (controlChars.test(v)) throw invalid(field, 'must not contain control characters')
  if (!v.isWellFormed()) throw invalid(field, 'must be well-formed Unicode')
  return v
}

/**
 * The canonical form of an identity, the one stored in contact_identities.value:
 * emails lowercased, phone and WhatsApp numbers in E.164, handles trimmed.
 * Idempotent. Throws VALIDATION_FAILED (400) naming `field` for invalid values.
 */
export function normaliseIdentity(kind: IdentityKind, value: string, field = 'value'): string {
  switch (kind) {
    case 'email':
      return normaliseEmailIdentity(value, field)
    case 'phone':
    case 'whatsapp':
      return normalisePhone(kind, value, field)
    default:
      return normaliseHandle(kind, value, field)
  }
}
