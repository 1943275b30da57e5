/**
 * The widget's link to the server: one WebSocket, reopened with backoff when
 * it drops, and an offline queue. Every message gets a client id when typed;
 * it stays in the queue (kept in localStorage, so a reload keeps it too)
 * until the server acknowledges that id, and is sent again after every
 * reconnect in the order typed. The server absorbs a repeated client id, so
 * each message is stored exactly once.
 */
export interface Queued {
  clientId: string
  text: string
}

export type ServerFrame = { type: string; [k: string]: unknown }

export interface ConnectionEvents {
  onReady(frame: ServerFrame): void
  onFrame(frame: ServerFrame): void
  onState(state: 'connecting' | 'open' | 'down' | 'refused', detail?: string): void
  onQueueChange(queue: readonly Queued[]): void
}

interface Stored {
  token?: string
  queue?: Queued[]
}

export function newClientId(): string {
  const bytes = new Uint8Array(12)
  crypto.getRandomValues(bytes)
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')
}

export class Connection {
  private ws: WebSocket | null = null
  private ready = false
  private attempt = 0
  private retryTimer: number | null = null
  private stopped = false
  private readonly key: string
  private stored: Stored

  constructor(
    private readonly url: string,
    inboxId: string,
    private readonly events: ConnectionEvents,
  ) {
    this.key = `omnidesk-chat:${inboxId}`
    this.stored = this.load()
    // Another tab of the same visitor: adopt its token (and queued messages it persisted).
    window.addEventListener('storage', (e) => {
      if (e.key === this.key) this.stored = { ...this.load(), queue: this.stored.queue ?? [] }
    })
  }

  get queue(): readonly Queued[] {
    return this.stored.queue ?? []
  }

  private load(): Stored {
    try {
      return JSON.parse(localStorage.getItem(this.key) ?? '{}') as Stored
    } catch {
      return {}
    }
  }

  private save() {
    try {
      localStorage.setItem(this.key, JSON.stringify(this.stored))
    } catch {
      // Private mode or a full quota: the chat still works for this page.
    }
  }

  start() {
    this.stopped = false
    this.open()
  }

  /** Forgets this browser's visitor (a sign-out on the host site) and starts again as a new one. */
  reset() {
    this.stored = {}
    try {
      localStorage.removeItem(this.key)
    } catch {
      // Nothing stored.
    }
    const ws = this.ws
    this.ws = null
    this.ready = false
    ws?.close()
    this.events.onQueueChange(this.queue)
    this.open()
  }

  private open() {
    if (this.stopped) return
    this.events.onState('connecting')
    let ws: WebSocket
    try {
      ws = new WebSocket(this.url)
    } catch {
      return this.retry()
    }
    this.ws = ws
    ws.onopen = () => {
      ws.send(JSON.stringify({ type: 'hello', ...(this.stored.token && { token: this.stored.token }), locale: navigator.language }))
    }
    ws.onmessage = (e) => {
      let frame: ServerFrame
      try {
        frame = JSON.parse(String(e.data)) as ServerFrame
      } catch {
        return
      }
      this.handle(frame)
    }
    ws.onclose = (e) => {
      if (this.ws !== ws) return
      this.ws = null
      this.ready = false
      // The server refused the inbox or origin: retrying cannot help.
      if (e.code === 4403 || e.code === 4404 || e.code === 4410) {
        this.stopped = true
        this.events.onState('refused', e.reason)
        return
      }
      this.retry()
    }
  }

  private retry() {
    if (this.stopped || this.retryTimer !== null) return
    this.events.onState('down')
    const delay = Math.min(10_000, 500 * 2 ** this.attempt) * (0.75 + Math.random() * 0.5)
    this.attempt = Math.min(this.attempt + 1, 8)
    this.retryTimer = window.setTimeout(() => {
      this.retryTimer = null
      this.open()
    }, delay)
  }

  private handle(frame: ServerFrame) {
    if (frame.type === 'ready') {
      this.ready = true
      this.attempt = 0
      if (typeof frame.token === 'string') {
        this.stored.token = frame.token
        this.save()
      }
      this.events.onState('open')
      this.events.onReady(frame)
      this.flush()
      return
    }
    // The UI sees the frame while the message is still queued (it moves it into the history).
    this.events.onFrame(frame)
    if (frame.type === 'ack') {
      this.drop(String(frame.clientId))
    } else if (frame.type === 'error' && typeof frame.clientId === 'string') {
      // Flooding: keep it and try again later; anything else will not get better by resending.
      if (frame.code === 'RATE_LIMITED') {
        const wait = (Number(frame.retryAfterSeconds) || 5) * 1000
        window.setTimeout(() => this.flush(), wait)
      } else this.drop(frame.clientId)
    }
  }

  private drop(clientId: string) {
    const before = this.queue.length
    this.stored.queue = this.queue.filter((q) => q.clientId !== clientId)
    if (this.stored.queue.length !== before) {
      this.save()
      this.events.onQueueChange(this.queue)
    }
  }

  /** Sends every unacknowledged message, oldest first. */
  private flush() {
    for (const q of this.queue) this.raw({ type: 'message', clientId: q.clientId, text: q.text })
  }

  /** Queues a message and sends it now if connected. */
  sendMessage(text: string): Queued {
    const q = { clientId: newClientId(), text }
    this.stored.queue = [...this.queue, q]
    this.save()
    this.events.onQueueChange(this.queue)
    this.raw({ type: 'message', ...q })
    return q
  }

  /** A frame that only matters now (typing, read marks): dropped while disconnected. */
  raw(frame: Record<string, unknown>): boolean {
    if (!this.ready || !this.ws || this.ws.readyState !== WebSocket.OPEN) return false
    this.ws.send(JSON.stringify(frame))
    return true
  }

  get isReady() {
    return this.ready
  }

  get token(): string | undefined {
    return this.stored.token
  }
}
