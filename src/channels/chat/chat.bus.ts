import { randomUUID } from 'node:crypto'
import type { EventBus } from '../../platform/events/bus.ts'
import type { DomainEvent } from '../../platform/events/events.ts'

/**
 * Chat's ephemeral traffic over the event bus: what must reach a visitor's
 * socket on whichever node holds it (an agent's reply, typing, a read mark),
 * and the acknowledgement that it did. These are not outbox events: nothing
 * is stored, and they carry `conversationId: null` so the agents' realtime
 * stream never forwards them (it forwards only events of a conversation).
 */
export const chatBusTypes = {
  /** To a visitor's sockets: payload `ChatPush`. */
  push: 'chat.push',
  /** From the node that wrote a push to a socket: payload `{ requestId, visitorId }`. */
  pushed: 'chat.pushed',
} as const

/** Something for the sockets of these visitors. */
export interface ChatPush {
  requestId: string
  /** The visitors (widget identities) to reach; every socket of each. */
  visitorIds: string[]
  frame: Record<string, unknown>
}

const base = (workspaceId: string) => ({
  id: `chat-${randomUUID()}`,
  workspaceId,
  conversationId: null,
  contactId: null,
  actor: { type: 'system' as const, id: null, label: 'chat' },
  createdAt: new Date().toISOString(),
})

export function publishPush(bus: EventBus, workspaceId: string, push: ChatPush): Promise<void> {
  return bus.publish({ ...base(workspaceId), type: chatBusTypes.push, payload: push as unknown as Record<string, unknown> })
}

export function publishPushed(bus: EventBus, workspaceId: string, requestId: string, visitorId: string): Promise<void> {
  return bus.publish({ ...base(workspaceId), type: chatBusTypes.pushed, payload: { requestId, visitorId } })
}

/**
 * Publishes a push and waits until some node wrote it to a socket of one of
 * the visitors, or `timeoutMs` passed: true when it reached someone.
 */
export function pushAndWait(bus: EventBus, workspaceId: string, visitorIds: string[], frame: Record<string, unknown>, timeoutMs: number): Promise<boolean> {
  const requestId = randomUUID()
  return new Promise<boolean>((resolve) => {
    let done = false
    const finish = (ok: boolean) => {
      if (done) return
      done = true
      clearTimeout(timer)
      unsubscribe()
      resolve(ok)
    }
    const unsubscribe = bus.subscribe((e: DomainEvent) => {
      if (e.type === chatBusTypes.pushed && e.workspaceId === workspaceId && (e.payload as { requestId?: unknown }).requestId === requestId) finish(true)
    })
    const timer = setTimeout(() => finish(false), timeoutMs)
    timer.unref()
    publishPush(bus, workspaceId, { requestId, visitorIds, frame }).catch(() => finish(false))
  })
}
