import type { ModuleParts, Platform } from '../../platform/platform.ts'
import type { ContactsService } from '../contacts/index.ts'
import type { InboxesService } from '../inboxes/index.ts'
import type { TaxonomyService } from '../taxonomy/index.ts'
import type { ViewsPort } from './conversations.ports.ts'
import type { WorkspacesService } from '../workspaces/index.ts'
import { conversationsRoutes } from './conversations.routes.ts'
import { createConversationsService } from './conversations.service.ts'
import { createBreakers } from './delivery.breakers.ts'
import { createDelivery } from './delivery.service.ts'
import { messagesRoutes } from './messages.routes.ts'
import { moveRoutes } from './move.routes.ts'

export type { ConversationsService } from './conversations.service.ts'
export type { NewConversation, InboundMessage, InboundAttachment, IngestResult } from './intake.service.ts'
export type { ProviderStatusReport, ProviderStatusOutcome } from './provider-status.service.ts'
export type { IngestOutcome } from './conversations.events.ts'
export type { ConversationEventPayloads, ConversationEventType } from './conversations.events.ts'
export type { ViewsPort } from './conversations.ports.ts'
export {
  conversationSchema,
  conversationListItemSchema,
  type ConversationListItem,
  conversationStatuses,
  conversationSorts,
  channels,
  priorities,
  canTransition,
  assertTransition,
  allowedTransitions,
  type Conversation,
  type ConversationStatus,
  type ConversationFilters,
  type ConversationSort,
  type Priority,
} from './conversations.types.ts'
export { messageSchema, timelineItemSchema, timelineEventTypes, type Message, type TimelineItem, type ReplyInput } from './messages.types.ts'
export { sanitizeHtml, htmlToText } from './html-sanitizer.ts'
export { latestOpenConversation } from './conversations.repository.ts'
export { providerMessageLockKey } from './messages.repository.ts'
export { setSlaSummaryReader, conversationSlaSchema, type ConversationSlaSummary, type SlaSummaryReader } from './sla-hook.ts'

/** Cases, their messages and timeline: intake from every channel, replies and their durable delivery, status, assignment. */
export function createConversationsModule(p: Platform, deps: { contacts: ContactsService; inboxes: InboxesService; taxonomy: TaxonomyService; workspaces: WorkspacesService; views?: ViewsPort }) {
  // One circuit breaker per inbox, shared: the delivery job sends through it, and a reply to an inbox it holds open falls back.
  const breakers = createBreakers({ failures: p.config.outboundBreakerFailures, cooldownMs: p.config.outboundBreakerCooldownSeconds * 1000 })
  const service = createConversationsService(p, deps, breakers)
  const delivery = createDelivery(p, deps, breakers)
  return {
    service,
    listeners: delivery.listeners,
    /** Starts the outbound delivery worker (after the job queue). */
    start: () => delivery.start(),
    routes: async (app) => {
      await app.register(conversationsRoutes(service))
      await app.register(messagesRoutes(service))
      await app.register(moveRoutes(service))
    },
  } satisfies ModuleParts
}
