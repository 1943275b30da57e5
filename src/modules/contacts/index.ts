import type { FastifyPluginAsync } from 'fastify'
import type { ModuleParts, Platform } from '../../platform/platform.ts'
import { consentRoutes } from './consent.routes.ts'
import { contactsRoutes } from './contacts.routes.ts'
import { suggestionsRoutes } from './suggestions.routes.ts'
import { createContactsService } from './contacts.service.ts'

export type { ContactsService, NewContact } from './contacts.service.ts'
export type { ContactSummary } from './contacts.repository.ts'
export type { ResolveInput } from './resolve.service.ts'
export type { Contact, ContactIdentity, ContactMerge, IdentityKind, MergeConflict } from './contacts.types.ts'
export type { BounceOutcome, Deliverability, EmailBounce, IdentityBounceResult, SoftBouncePolicy } from './deliverability.types.ts'
export { deliverabilitySchema } from './deliverability.types.ts'
/** For the email channel, inside its own transaction: what a bounce or a delivery receipt does to an address. */
export { recordEmailBounce, recordEmailDelivered } from './deliverability.repository.ts'
/** For channels, inside their own transaction: record that two contacts may be one person (unverified evidence). */
export { suggestMerge } from './suggestions.service.ts'
export type { MergeEvidence, MergeSuggestion } from './suggestions.types.ts'
/** Consent per channel (STOP/START keywords, agents): channels record it in their transaction; the reply path reads it. */
export { findConsent, listConsents, setConsent, type Consent } from './consent.repository.ts'
export { normaliseIdentity, contactSchema, identityKinds, identitySchema, mergeSchema } from './contacts.types.ts'

/** Contacts: people with many identities, resolution from channel details, search, merge and unmerge. */
export function createContactsModule(p: Platform): { service: ReturnType<typeof createContactsService>; routes: FastifyPluginAsync } {
  const service = createContactsService(p)
  const routes: FastifyPluginAsync = async (app) => {
    await app.register(contactsRoutes(service))
    await app.register(suggestionsRoutes(service))
    await app.register(consentRoutes(p))
  }
  return { service, routes } satisfies ModuleParts
}
