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

type EventListener = (e: RealtimeEvent) => void

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
      let frame: { type?: string; event?: RealtimeEvent }
      try {
        frame = JSON.parse(String(m.data))
      } catch {
        return
      }
      if (frame.type === 'ready') {
        socket.send(JSON.stringify({ type: 'subscribe', topics: ['conversations'] }))
      } else if (frame.type === 'subscribed') {
        const wasLost = this.everLive
        this.attempt = 0
        this.everLive = true
        this.setStatus('live')
        if (wasLost) for (const cb of this.reconnectListeners) cb()
      } else if (frame.type === 'event' && frame.event) {
        this.deliver(frame.event)
      }
    }
    socket.onclose = () => {
      if (this.socket !== socket) return
      clearInterval(this.pingTimer)
      this.socket = null
      if (this.status === 'stopped') return
      this.setStatus('lost')
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
