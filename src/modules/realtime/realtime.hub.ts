import type { EventBus } from '../../platform/events/bus.ts'
import type { DomainEvent } from '../../platform/events/events.ts'
import type { Logger } from '../../platform/observability/logger.ts'

/** An authenticated connection, as the hub sees it. */
export interface Subscriber {
  readonly workspaceId: string
  /** The user behind the connection (null for a token without a user): routing counts them as present. */
  readonly userId?: string | null
  /** Called for every event of the subscriber's workspace; filters by its topics. */
  deliver(event: DomainEvent): void
}

export interface RealtimeHub {
  add(s: Subscriber): void
  remove(s: Subscriber): void
  /** Connections currently registered (for tests and metrics). */
  size(): number
  /** The users with at least one live connection on this node (routing's presence follows them). */
  connectedUsers(): Array<{ workspaceId: string; userId: string }>
}

/**
 * Routes bus events to the connections of their workspace. It holds one bus
 * subscription while at least one connection exists and drops it when the last
 * one closes, so an idle node has no handler on the bus.
 */
export function createRealtimeHub(bus: EventBus, logger: Logger): RealtimeHub {
  const byWorkspace = new Map<string, Set<Subscriber>>()
  let count = 0
  let unsubscribe: (() => void) | null = null

  const onEvent = (event: DomainEvent) => {
    const subscribers = byWorkspace.get(event.workspaceId)
    if (!subscribers) return
    for (const s of subscribers) {
      try {
        s.deliver(event)
      } catch (err) {
        // One broken socket must not stop the others from getting the event.
        logger.warn({ err, eventId: event.id }, 'realtime delivery failed')
      }
    }
  }

  return {
    add(s) {
      let set = byWorkspace.get(s.workspaceId)
      if (!set) byWorkspace.set(s.workspaceId, (set = new Set()))
      if (set.has(s)) return
      set.add(s)
      count++
      unsubscribe ??= bus.subscribe(onEvent)
    },
    remove(s) {
      const set = byWorkspace.get(s.workspaceId)
      if (!set?.delete(s)) return
      count--
      if (set.size === 0) byWorkspace.delete(s.workspaceId)
      if (count === 0 && unsubscribe) {
        unsubscribe()
        unsubscribe = null
      }
    },
    size: () => count,
    connectedUsers() {
      const seen = new Map<string, { workspaceId: string; userId: string }>()
      for (const [workspaceId, set] of byWorkspace) for (const s of set) if (s.userId) seen.set(`${workspaceId}:${s.userId}`, { workspaceId, userId: s.userId })
      return [...seen.values()]
    },
  }
}
