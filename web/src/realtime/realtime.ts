/**
 * One realtime stream for the whole app (GET /api/v1/realtime, see
 * src/modules/realtime/realtime.routes.ts for the protocol). The session cookie
 * authenticates the upgrade (same origin). The client subscribes to every
 * conversation event, de-duplicates by event id, reconnects with backoff when the
 * socket drops, and tells its listeners when it is back so they refetch what
 * they missed (the server does not replay).
 */
export interface RealtimeEvent {
  id: string
  type: string
  conversationId: string | null
  contactId: string | null
  actor: { type: string; id: string | null; label: string }
  payload: Record<string, unknown>
  createdAt: string
}

export type RealtimeStatus = 'connecting' | 'live' | 'lost' | 'stopped'

/** Someone on a conversation (collision detection): viewing it, and whether typing. */
export interface PresenceUser {
  userId: string
  name: string
  typing: boolean
}

type EventListener = (e: RealtimeEvent) => void
type PresenceListener = (conversationId: string, users: PresenceUser[]) => void

/** How often an open case says "still viewing" (the server forgets a viewer after 15 s of silence). */
const VIEWING_REFRESH_MS = 5000

export class RealtimeClient {
  private socket: WebSocket | null = null
  private status: RealtimeStatus = 'stopped'
  private readonly statusListeners = new Set<() => void>()
  private readonly eventListeners = new Set<EventListener>()
  private readonly reconnectListeners = new Set<() => void>()
  private readonly seen: string[] = []
  private readonly seenSet = new Set<string>()
  private attempt = 0
  private everLive = false
  private retryTimer: ReturnType<typeof setTimeout> | undefined
  private pingTimer: ReturnType<typeof setInterval> | undefined
  private viewingTimer: ReturnType<typeof setInterval> | undefined
  /** Open cases (with how many views hold each): their topics, and presence announced on them. */
  private readonly viewing = new Map<string, number>()
  private readonly presenceListeners = new Set<PresenceListener>()

  constructor(private readonly url: string = defaultUrl()) {}

  getStatus = (): RealtimeStatus => this.status

  onStatus = (cb: () => void): (() => void) => {
    this.statusListeners.add(cb)
    return () => this.statusListeners.delete(cb)
  }

  onEvent(cb: EventListener): () => void {
    this.eventListeners.add(cb)
    return () => this.eventListeners.delete(cb)
  }

  /** Called after a lost connection is back: refetch, events in between were missed. */
  onReconnect(cb: () => void): () => void {
    this.reconnectListeners.add(cb)
    return () => this.reconnectListeners.delete(cb)
  }

  /** Presence frames: who is on a conversation this client is viewing. */
  onPresence(cb: PresenceListener): () => void {
    this.presenceListeners.add(cb)
    return () => this.presenceListeners.delete(cb)
  }

  /**
   * This user has the case open: subscribes to its topic (presence frames),
   * tells the server "viewing" now and every few seconds, and "left" when the
   * returned function is called.
   */
  view(conversationId: string): () => void {
    this.viewing.set(conversationId, (this.viewing.get(conversationId) ?? 0) + 1)
    if (this.viewing.get(conversationId) === 1) this.announce(conversationId)
    if (!this.viewingTimer) this.viewingTimer = setInterval(() => this.viewing.forEach((_n, id) => this.sendFrame({ type: 'viewing', conversationId: id })), VIEWING_REFRESH_MS)
    return () => {
      const n = (this.viewing.get(conversationId) ?? 1) - 1
      if (n > 0) return void this.viewing.set(conversationId, n)
      this.viewing.delete(conversationId)
      this.sendFrame({ type: 'left', conversationId })
      this.sendFrame({ type: 'unsubscribe', topics: [`conversation:${conversationId}`] })
      if (this.viewing.size === 0) {
        clearInterval(this.viewingTimer)
        this.viewingTimer = undefined
      }
    }
  }

  /** The user is typing on a case they view (the caller throttles). */
  typing(conversationId: string): void {
    if (this.viewing.has(conversationId)) this.sendFrame({ type: 'typing', conversationId })
  }

  private announce(conversationId: string): void {
    this.sendFrame({ type: 'subscribe', topics: [`conversation:${conversationId}`] })
    this.sendFrame({ type: 'viewing', conversationId })
  }

  /** Sends when connected; what is lost while offline is re-announced on the next connection. */
  private sendFrame(frame: Record<string, unknown>): void {
    if (this.socket?.readyState === WebSocket.OPEN && this.status === 'live') this.socket.send(JSON.stringify(frame))
  }

  start(): void {
    if (this.status !== 'stopped') return
    this.connect()
  }

  stop(): void {
    this.setStatus('stopped')
    clearTimeout(this.retryTimer)
    clearInterval(this.pingTimer)
    const s = this.socket
    this.socket = null
    s?.close(1000, 'signed out')
    this.everLive = false
  }

  private setStatus(s: RealtimeStatus): void {
    if (this.status === s) return
    this.status = s
    for (const cb of this.statusListeners) cb()
  }

  private connect(): void {
    if (this.status !== 'lost') this.setStatus('connecting')
    const socket = new WebSocket(this.url)
    this.socket = socket
    socket.onmessage = (m) => {
      let frame: { type?: string; event?: RealtimeEvent; conversationId?: string; users?: PresenceUser[] }
      try {
        frame = JSON.parse(String(m.data))
      } catch {
        return
      }
      if (frame.type === 'ready') {
        // Every case event, this user's own notifications, and agents' presence.
        socket.send(JSON.stringify({ type: 'subscribe', topics: ['conversations', 'notifications', 'agents'] }))
      } else if (frame.type === 'subscribed') {
        if (this.status === 'live') return // an answer to a later (un)subscribe
        const wasLost = this.everLive
        this.attempt = 0
        this.everLive = true
        this.setStatus('live')
        for (const id of this.viewing.keys()) this.announce(id)
        if (wasLost) for (const cb of this.reconnectListeners) cb()
      } else if (frame.type === 'event' && frame.event) {
        this.deliver(frame.event)
      } else if (frame.type === 'presence' && frame.conversationId && frame.users) {
        for (const cb of this.presenceListeners) cb(frame.conversationId, frame.users)
      }
    }
    socket.onclose = () => {
      if (this.socket !== socket) return
      clearInterval(this.pingTimer)
      this.socket = null
      if (this.status === 'stopped') return
      this.setStatus('lost')
      // Nobody is known to be on a case while we cannot hear; the next connection tells again.
      for (const id of this.viewing.keys()) for (const cb of this.presenceListeners) cb(id, [])
      // 0.5 s, 1 s, 2 s … up to 15 s, with jitter so a restarted server is not stormed.
      const delay = Math.min(15_000, 500 * 2 ** this.attempt++) * (0.75 + Math.random() / 2)
      this.retryTimer = setTimeout(() => this.connect(), delay)
    }
    socket.onerror = () => socket.close()
    clearInterval(this.pingTimer)
    this.pingTimer = setInterval(() => {
      if (socket.readyState === WebSocket.OPEN) socket.send('{"type":"ping"}')
    }, 25_000)
  }

  private deliver(e: RealtimeEvent): void {
    if (this.seenSet.has(e.id)) return // delivery is at least once
    this.seenSet.add(e.id)
    this.seen.push(e.id)
    if (this.seen.length > 2000) this.seenSet.delete(this.seen.shift() as string)
    for (const cb of this.eventListeners) cb(e)
  }
}

function defaultUrl(): string {
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:'
  return `${proto}//${location.host}/api/v1/realtime`
}

export const realtime = new RealtimeClient()
