import { randomUUID } from 'node:crypto'
import type { EventBus } from '../../platform/events/bus.ts'
import type { DomainEvent } from '../../platform/events/events.ts'

/**
 * Collision detection: who is viewing or typing on a conversation. Ephemeral
 * (never stored): each connection's state expires unless refreshed, and goes
 * at once when it says `left` or its socket closes. Updates travel over the
 * event bus as `presence.changed` pseudo-events (never written to the outbox),
 * so that with several nodes every node knows every viewer; each node then
 * tells its own connections that hold the conversation's topic.
 */
export const PRESENCE_EVENT = 'presence.changed'

export type PresenceState = 'viewing' | 'typing' | 'left'

/** One person on a conversation, as clients see it. */
export interface PresenceUser {
  userId: string
  name: string
  typing: boolean
}

export interface PresenceOptions {
  /** A viewer who does not refresh within this is gone. */
  viewingTtlMs: number
  /** Typing stops showing after this without another typing frame. */
  typingTtlMs: number
}

export const defaultPresenceOptions: PresenceOptions = { viewingTtlMs: 15_000, typingTtlMs: 6_000 }

interface Entry {
  userId: string
  name: string
  viewingUntil: number
  typingUntil: number
}

type Watcher = (conversationId: string, users: PresenceUser[]) => void

export interface PresenceUpdate {
  workspaceId: string
  conversationId: string
  /** Identifies the connection (a user may have several tabs). */
  connectionId: string
  userId: string
  name: string
  state: PresenceState
}

export interface PresenceTracker {
  update(u: PresenceUpdate): Promise<void>
  /** Everyone on a conversation now. */
  current(workspaceId: string, conversationId: string): PresenceUser[]
  /** Calls back with the new list whenever a conversation of the workspace changes. */
  watch(workspaceId: string, watcher: Watcher): () => void
  close(): void
}

export function createPresenceTracker(bus: EventBus, options: PresenceOptions): PresenceTracker {
  // workspace → conversation → connection → entry
  const state = new Map<string, Map<string, Map<string, Entry>>>()
  const watchers = new Map<string, Set<Watcher>>()
  const key = (ws: string, conv: string) => `${ws}\n${conv}`
  const lastSent = new Map<string, string>()

  const usersOf = (conns: Map<string, Entry> | undefined, now: number): PresenceUser[] => {
    const byUser = new Map<string, PresenceUser>()
    for (const e of conns?.values() ?? []) {
      if (e.viewingUntil <= now) continue
      const prev = byUser.get(e.userId)
      byUser.set(e.userId, { userId: e.userId, name: e.name, typing: (prev?.typing ?? false) || e.typingUntil > now })
    }
    return [...byUser.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  }

  /** Tells the watchers when what clients would see has changed. */
  const notify = (ws: string, conv: string) => {
    const users = usersOf(state.get(ws)?.get(conv), Date.now())
    const k = key(ws, conv)
    const text = JSON.stringify(users)
    if (lastSent.get(k) === text) return
    if (users.length) lastSent.set(k, text)
    else lastSent.delete(k)
    for (const w of watchers.get(ws) ?? []) w(conv, users)
  }

  const apply = (u: PresenceUpdate) => {
    let convs = state.get(u.workspaceId)
    if (!convs) state.set(u.workspaceId, (convs = new Map()))
    let conns = convs.get(u.conversationId)
    if (!conns) convs.set(u.conversationId, (conns = new Map()))
    const now = Date.now()
    if (u.state === 'left') conns.delete(u.connectionId)
    else {
      const prev = conns.get(u.connectionId)
      conns.set(u.connectionId, {
        userId: u.userId,
        name: u.name,
        viewingUntil: now + options.viewingTtlMs,
        // Viewing does not end typing early; typing implies viewing.
        typingUntil: u.state === 'typing' ? now + options.typingTtlMs : (prev?.typingUntil ?? 0),
      })
    }
    if (conns.size === 0) convs.delete(u.conversationId)
    if (convs.size === 0) state.delete(u.workspaceId)
    notify(u.workspaceId, u.conversationId)
  }

  const unsubscribe = bus.subscribe((event: DomainEvent) => {
    if (event.type !== PRESENCE_EVENT) return
    apply({ ...(event.payload as unknown as Omit<PresenceUpdate, 'workspaceId' | 'conversationId'>), workspaceId: event.workspaceId, conversationId: event.conversationId as string })
  })

  // Expiry: drop stale entries and tell watchers what changed.
  const sweep = setInterval(() => {
    const now = Date.now()
    for (const [ws, convs] of state) {
      for (const [conv, conns] of convs) {
        for (const [id, e] of conns) if (e.viewingUntil <= now) conns.delete(id)
        if (conns.size === 0) convs.delete(conv)
        notify(ws, conv)
      }
      if (convs.size === 0) state.delete(ws)
    }
  }, Math.max(50, Math.min(options.viewingTtlMs, options.typingTtlMs) / 4))
  sweep.unref()

  return {
    async update(u) {
      await bus.publish({
        id: `presence-${randomUUID()}`,
        workspaceId: u.workspaceId,
        type: PRESENCE_EVENT,
        conversationId: u.conversationId,
        contactId: null,
        actor: { type: 'user', id: u.userId, label: u.name },
        payload: { connectionId: u.connectionId, userId: u.userId, name: u.name, state: u.state },
        createdAt: new Date().toISOString(),
      })
    },
    current: (ws, conv) => usersOf(state.get(ws)?.get(conv), Date.now()),
    watch(ws, watcher) {
      let set = watchers.get(ws)
      if (!set) watchers.set(ws, (set = new Set()))
      set.add(watcher)
      return () => {
        set.delete(watcher)
        if (set.size === 0) watchers.delete(ws)
      }
    },
    close() {
      clearInterval(sweep)
      unsubscribe()
    },
  }
}
