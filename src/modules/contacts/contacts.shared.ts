import type { Tx } from '../../platform/db/tenant.ts'
import type { Row } from '../../platform/db/schema.ts'
import { AppError, notFound } from '../../platform/errors.ts'
import * as repo from './contacts.repository.ts'
import { type Contact, type IdentityKind, normaliseIdentity, toContact } from './contacts.types.ts'

/** Reads one contact with its identities, as stored (no following of merges); null when absent. */
export async function loadContact(trx: Tx, workspaceId: string, id: string): Promise<Contact | null> {
  const row = await repo.findContact(trx, workspaceId, id)
  if (!row) return null
  const ids = await repo.identitiesOf(trx, workspaceId, [row.id])
  return toContact(row, ids.get(row.id) ?? [])
}

export async function toContacts(trx: Tx, workspaceId: string, rows: Row<'contacts'>[]): Promise<Contact[]> {
  const ids = await repo.identitiesOf(trx, workspaceId, rows.map((r) => r.id))
  return rows.map((r) => toContact(r, ids.get(r.id) ?? []))
}

/** A contact that may be changed: present in the workspace and not merged away. Locks its row. */
export async function liveContactForUpdate(trx: Tx, workspaceId: string, id: string): Promise<Row<'contacts'>> {
  const row = await repo.findContact(trx, workspaceId, id, { forUpdate: true })
  if (!row) throw notFound('Contact')
  if (row.merged_into_id)
    throw new AppError('UNPROCESSABLE', `This contact was merged into ${row.merged_into_id}; change that contact instead`, { mergedIntoId: row.merged_into_id })
  return row
}

/** Normalises identities, keeping the first of any that normalise to the same value. */
export function normaliseAll(items: Array<{ kind: IdentityKind; value: string; field: string }>): Array<repo.NormalisedIdentity & { field: string }> {
  const seen = new Set<string>()
  const out: Array<repo.NormalisedIdentity & { field: string }> = []
  for (const i of items) {
    const value = normaliseIdentity(i.kind, i.value, i.field)
    const key = `${i.kind}\u0000${value}`
    if (seen.has(key)) continue
    seen.add(key)
    out.push({ kind: i.kind, value, raw: i.value, field: i.field })
  }
  return out
}

export const identityTaken = (i: { kind: string; value: string }, contactId: string, field?: string) =>
  new AppError('IDENTITY_TAKEN', `The ${i.kind} ${i.value} already belongs to another contact`, { kind: i.kind, value: i.value, contactId, ...(field && { field }) })

/** True when two values are equal as JSON, whatever the order of object keys. */
export const sameJson = (a: unknown, b: unknown) => JSON.stringify(canonical(a)) === JSON.stringify(canonical(b))

function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical)
  if (v && typeof v === 'object') return Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonical((v as Record<string, unknown>)[k])]))
  return v
}
