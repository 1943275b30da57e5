import type { Actor } from '../../platform/auth/actor.ts'
import type { Authenticator } from '../../platform/http/auth.ts'
import type { ModuleParts, Platform } from '../../platform/platform.ts'
import { publishToBusListener } from './listeners/all-events.publish.ts'
import { defaultRealtimeOptions, type RealtimeOptions } from './realtime.connection.ts'
import { createRealtimeHub } from './realtime.hub.ts'
import { createPresenceTracker, defaultPresenceOptions, type PresenceOptions } from './realtime.presence.ts'
import { realtimeRoutes } from './realtime.routes.ts'

export type { RealtimeOptions } from './realtime.connection.ts'
export type { PresenceOptions, PresenceUser } from './realtime.presence.ts'
export type { ServerFrame, ClientFrame, EventView } from './realtime.types.ts'
export { closeCodes as realtimeCloseCodes } from './realtime.types.ts'

/**
 * Pushes committed events to WebSocket clients: a listener publishes every
 * dispatched event to the bus, and /api/v1/realtime forwards each to the
 * connections of its workspace that subscribed to it.
 */
export function createRealtimeModule(
  p: Platform,
  deps: { authenticate: Authenticator; describeUser?: (actor: Actor) => Promise<string> },
  options: Partial<RealtimeOptions & PresenceOptions> = {},
) {
  const hub = createRealtimeHub(p.bus, p.logger.child({ component: 'realtime' }))
  const presence = createPresenceTracker(p.bus, { ...defaultPresenceOptions, ...options })
  const resolved: RealtimeOptions = { ...defaultRealtimeOptions, publicUrl: p.config.publicUrl, ...options }
  return {
    routes: realtimeRoutes({ hub, presence, describeUser: deps.describeUser, authenticate: deps.authenticate, logger: p.logger.child({ component: 'realtime' }), options: resolved }),
    listeners: [publishToBusListener(p.bus)],
    /** Who is connected on this node now (routing's presence follows activity). */
    connectedUsers: () => hub.connectedUsers(),
    /** Stops the presence expiry timer. */
    close: () => presence.close(),
  } satisfies ModuleParts & { connectedUsers: () => Array<{ workspaceId: string; userId: string }>; close(): void }
}
