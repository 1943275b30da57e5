import type { ModuleParts, Platform } from '../../platform/platform.ts'
import { inboxesRoutes } from './inboxes.routes.ts'
import { createInboxesService } from './inboxes.service.ts'

export type { Inbox, ChannelInfo, DeleteResult } from './inboxes.types.ts'
export { inboxSchema } from './inboxes.types.ts'
export type { InboxesService, NewInbox, InboxPatch } from './inboxes.service.ts'
export {
  channels,
  type Channel,
  type ChannelAdapter,
  type ChannelDefinition,
  type InboundProvider,
  type OutboundMessage,
  type RawInboundRequest,
  type ReplyRefusal,
  type SendResult,
} from '../../channels/channel.ts'
export { channelRegistry } from './channel-registry.ts'
export { openSecrets } from './inboxes.config.ts'

/** Inboxes: a workspace's configured channel instances, their settings (secrets encrypted) and outbound adapters. */
export function createInboxesModule(p: Platform) {
  const service = createInboxesService(p)
  return { service, routes: inboxesRoutes(service) } satisfies ModuleParts
}
