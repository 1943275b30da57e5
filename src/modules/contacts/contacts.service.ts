import { type Actor, authorize } from '../../platform/auth/actor.ts'
import { recordAudit } from '../../platform/audit/audit.ts'
import type { Tx } from '../../platform/db/tenant.ts'
import { AppError, notFound } from '../../platform/errors.ts'
import { appendEvent } from '../../platform/events/events.ts'
import { page } from '../../platform/http/cursor.ts'
import type { Platform } from '../../platform/platform.ts'
import * as repo from './contacts.repository.ts'
import { identityTaken, liveContactForUpdate, loadContact, normaliseAll, sameJson, toContacts } from './contacts.shared.ts'
import { type Contact, type IdentityKind, normaliseIdentity } from './contacts.types.ts'
import { createDeliverabilityUseCases } from './deliverability.service.ts'
import { createMergeUseCases } from './merges.service.ts'
import { getContactInTx, recordContactCreated, resolveContactInTx } from './resolve.service.ts'
import { createSuggestionUseCases } from './suggestions.service.ts'
import { findConsent } from './consent.repository.ts'

export interface NewContact {
  name?: string | null | undefined
  attributes?: Record<string, unknown> | undefined
  identities?: Array<{ kind: IdentityKind; value: string }> | undefined
}

/**
 * What a search term can match: names by substring, identity values by
 * prefix, and (when the term is an email or phone written any way) the
 * normalised value exactly. A partial number as people type it ("+44 20 79",
 * "0044-20") matches E.164 values by its digits.
 */
function searchTerms(text: string): repo.SearchTerms {
  const exact = new Set<string>()
  for (const kind of ['email', 'phone'] as const) {
    try {
      exact.add(normaliseIdentity(kind, text))
    } catch {
      // not that kind of identity: the prefix search still applies
    }
  }
  const prefixes = [text, text.toLowerCase()]
  if (/^\+?[\d\s().-]{3,}$/.test(text)) {
    const digits = text.replace(/\D/g, '').replace(/^00/, '')
    if (digits.length >= 3) prefixes.push(`+${digits}`)
  }
  return { text, exact: [...exact], prefixes: [...new Set(prefixes)] }
}

export function createContactsService(p: Platform) {
  /** Inserts identities for a contact; 409 IDENTITY_TAKEN when another contact (or this one) already has one. */
  async function addIdentities(trx: Tx, actor: Actor, contactId: string, items: Array<{ kind: IdentityKind; value: string; field: string }>) {
    const wanted = normaliseAll(items)
    const rows = []
    for (const i of wanted) {
      const row = await repo.insertIdentity(trx, actor.workspaceId, contactId, i)
      if (!row) {
        const owner = await repo.findIdentity(trx, actor.workspaceId, i.kind, i.value)
        throw identityTaken(i, owner?.contact_id ?? 'unknown', i.field)
      }
      rows.push(row)
    }
    return rows
  }

  const merges = createMergeUseCases(p)
  return {
    resolveContactInTx,
    getContactInTx,
    /** The contact's latest word on being messaged on a channel (null: never said). */
    findConsentInTx: findConsent,
    /** Name and first identity per contact, for list rows (not audited: no attributes, one query per page). */
    summariesInTx: repo.summariesOf,
    ...merges,
    ...createSuggestionUseCases(p, merges),
    ...createDeliverabilityUseCases(p),

    async create(actor: Actor, input: NewContact): Promise<Contact> {
      authorize(actor, 'contacts:write')
      return p.tx(actor, async (trx) => {
        const name = input.name?.trim() || null
        const row = await repo.insertContact(trx, actor.workspaceId, { name, attributes: input.attributes ?? {} })
        const identities = await addIdentities(
          trx,
          actor,
          row.id,
          (input.identities ?? []).map((i, n) => ({ ...i, field: `body.identities.${n}.value` })),
        )
        await recordContactCreated(trx, actor, row.id, name, identities)
        return (await loadContact(trx, actor.workspaceId, row.id)) as Contact
      })
    },

    /** Live contacts, newest first; merged-away contacts are hidden. */
    async list(actor: Actor, q: { limit: number; cursor?: string | undefined; query?: string | undefined }) {
      authorize(actor, 'contacts:read')
      const after = p.cursors.decode(q.cursor, 2) as [string, string] | null
      const text = q.query?.trim()
      return p.tx(actor, async (trx) => {
        const rows = await repo.searchContacts(trx, actor.workspaceId, {
          limit: q.limit,
          after,
          query: text ? searchTerms(text) : null,
        })
        const { items, nextCursor } = page(rows, q.limit, (last) => p.cursors.encode([last.created_key, last.id]))
        return { items: await toContacts(trx, actor.workspaceId, items), nextCursor }
      })
    },

    /** One contact as stored (a merged-away one shows `mergedIntoId`). A user's read is audited. */
    async get(actor: Actor, id: string): Promise<Contact> {
      authorize(actor, 'contacts:read')
      return p.tx(actor, async (trx) => {
        const contact = await loadContact(trx, actor.workspaceId, id)
        if (!contact) throw notFound('Contact')
        // Reads of personal data by people are audited; the system's own reads are not.
        if (actor.kind !== 'system') await recordAudit(trx, actor, { action: 'contact.viewed', entityType: 'contact', entityId: id })
        return contact
      })
    },

    /** Sets the name and merges `attributes` into the existing ones (a null value removes that key). */
    async update(actor: Actor, id: string, patch: { name?: string | null | undefined; attributes?: Record<string, unknown> | undefined }): Promise<Contact> {
      authorize(actor, 'contacts:write')
      return p.tx(actor, async (trx) => {
        const before = await liveContactForUpdate(trx, actor.workspaceId, id)
        const beforeFields: Record<string, unknown> = {}
        const afterFields: Record<string, unknown> = {}
        const next: { name?: string | null; attributes?: Record<string, unknown> } = {}
        if (patch.name !== undefined) {
          const name = patch.name?.trim() || null
          if (name !== before.name) {
            next.name = name
            beforeFields.name = before.name
            afterFields.name = name
          }
        }
        if (patch.attributes) {
          const attributes = { ...before.attributes }
          const was: Record<string, unknown> = {}
          const now: Record<string, unknown> = {}
          for (const [k, v] of Object.entries(patch.attributes)) {
            if (sameJson(before.attributes[k], v === null ? undefined : v)) continue
            was[k] = before.attributes[k] ?? null
            now[k] = v
            if (v === null) delete attributes[k]
            else attributes[k] = v
          }
          if (Object.keys(now).length) {
            next.attributes = attributes
            beforeFields.attributes = was
            afterFields.attributes = now
          }
        }
        if (Object.keys(next).length) {
          await repo.updateContact(trx, actor.workspaceId, id, next)
          await recordAudit(trx, actor, { action: 'contact.updated', entityType: 'contact', entityId: id, changes: { before: beforeFields, after: afterFields } })
          await appendEvent(trx, actor, { type: 'contact.updated', contactId: id, payload: { contactId: id, fields: Object.keys(next) } })
        }
        return (await loadContact(trx, actor.workspaceId, id)) as Contact
      })
    },

    /** Deletes a contact that has never written in: one with conversations must be kept (422). */
    async delete(actor: Actor, id: string): Promise<void> {
      authorize(actor, 'contacts:write')
      await p.tx(actor, async (trx) => {
        const contact = await repo.findContact(trx, actor.workspaceId, id, { forUpdate: true })
        if (!contact) throw notFound('Contact')
        if (await repo.hasConversations(trx, actor.workspaceId, id)) throw new AppError('UNPROCESSABLE', 'This contact has conversations and cannot be deleted')
        if (await repo.hasMergedContacts(trx, actor.workspaceId, id))
          throw new AppError('UNPROCESSABLE', 'Other contacts were merged into this one; undo those merges before deleting it')
        const identities = await repo.identitiesOf(trx, actor.workspaceId, [id])
        await repo.deleteContact(trx, actor.workspaceId, id)
        await recordAudit(trx, actor, {
          action: 'contact.deleted',
          entityType: 'contact',
          entityId: id,
          changes: { before: { name: contact.name, identities: (identities.get(id) ?? []).map((i) => ({ id: i.id, kind: i.kind })) } },
        })
        await appendEvent(trx, actor, { type: 'contact.deleted', payload: { contactId: id } })
      })
    },

    async addIdentity(actor: Actor, id: string, input: { kind: IdentityKind; value: string }): Promise<Contact> {
      authorize(actor, 'contacts:write')
      return p.tx(actor, async (trx) => {
        await liveContactForUpdate(trx, actor.workspaceId, id)
        const [added] = await addIdentities(trx, actor, id, [{ ...input, field: 'body.value' }])
        await recordAudit(trx, actor, { action: 'contact.identity-added', entityType: 'contact', entityId: id, changes: { after: { id: added?.id, kind: added?.kind } } })
        await appendEvent(trx, actor, { type: 'contact.updated', contactId: id, payload: { contactId: id, fields: ['identities'] } })
        return (await loadContact(trx, actor.workspaceId, id)) as Contact
      })
    },

    async removeIdentity(actor: Actor, id: string, identityId: string): Promise<void> {
      authorize(actor, 'contacts:write')
      await p.tx(actor, async (trx) => {
        await liveContactForUpdate(trx, actor.workspaceId, id)
        const identity = await repo.findIdentityById(trx, actor.workspaceId, id, identityId)
        if (!identity) throw notFound('Identity')
        await repo.deleteIdentity(trx, actor.workspaceId, id, identityId)
        await recordAudit(trx, actor, { action: 'contact.identity-removed', entityType: 'contact', entityId: id, changes: { before: { id: identity.id, kind: identity.kind } } })
        await appendEvent(trx, actor, { type: 'contact.updated', contactId: id, payload: { contactId: id, fields: ['identities'] } })
      })
    },
  }
}
export type ContactsService = ReturnType<typeof createContactsService>
