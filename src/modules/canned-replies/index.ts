import type { ModuleParts, Platform } from '../../platform/platform.ts'
import type { ContactsService } from '../contacts/index.ts'
import type { ConversationsService } from '../conversations/index.ts'
import { cannedRepliesRoutes } from './canned-replies.routes.ts'
import { createCannedRepliesService } from './canned-replies.service.ts'

export type { CannedRepliesService } from './canned-replies.service.ts'
export { cannedReplySchema, templateVariables, type CannedReply } from './canned-replies.types.ts'

/** Canned replies with {{variables}}, rendered for a conversation. */
export function createCannedRepliesModule(p: Platform, deps: { conversations: ConversationsService; contacts: ContactsService }) {
  const service = createCannedRepliesService(p, deps)
  return { service, routes: cannedRepliesRoutes(service) } satisfies ModuleParts
}
