import { type Actor, authorize } from '../../platform/auth/actor.ts'
import { recordAudit } from '../../platform/audit/audit.ts'
import { notFound } from '../../platform/errors.ts'
import { appendEvent } from '../../platform/events/events.ts'
import type { Platform } from '../../platform/platform.ts'
import * as repo from './contacts.repository.ts'
import { liveContactForUpdate, loadContact } from './contacts.shared.ts'
import type { Contact } from './contacts.types.ts'
import { clearDeliverability } from './deliverability.repository.ts'
import { deliverabilityOf } from './deliverability.types.ts'

/** An agent's answer to a bounce: the address works again (the customer fixed their mailbox, the typo was someone else's…). */
export function createDeliverabilityUseCases(p: Platform) {
  return {
    /**
     * Clears the hard-bounce mark, soft-bounce streak and pause of one identity,
     * so mail is sent to it again. Audited with what it was before.
     */
    async clearDeliverability(actor: Actor, contactId: string, identityId: string): Promise<Contact> {
      authorize(actor, 'contacts:write')
      return p.tx(actor, async (trx) => {
        const ws = actor.workspaceId
        await liveContactForUpdate(trx, ws, contactId)
        const identity = await repo.findIdentityById(trx, ws, contactId, identityId)
        if (!identity) throw notFound('Identity')
        const before = deliverabilityOf(identity)
        await clearDeliverability(trx, ws, contactId, identityId)
        await recordAudit(trx, actor, {
          action: 'contact.deliverability-cleared',
          entityType: 'contact',
          entityId: contactId,
          changes: { before: { identityId, kind: identity.kind, status: before.status, reason: before.reason, bouncedAt: before.bouncedAt }, after: { identityId, status: 'ok' } },
        })
        await appendEvent(trx, actor, { type: 'contact.deliverability-cleared', contactId, payload: { contactId, identityId, previousStatus: before.status, previousReason: before.reason } })
        return (await loadContact(trx, ws, contactId)) as Contact
      })
    },
  }
}
