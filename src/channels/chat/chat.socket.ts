import { randomUUID } from 'node:crypto'
import type { FastifyRequest } from 'fastify'
import type { RawData, WebSocket } from 'ws'
import type { EventBus } from '../../platform/events/bus.ts'
import type { DomainEvent } from '../../platform/events/events.ts'
import { AppError } from '../../platform/errors.ts'
import type { Logger } from '../../platform/observability/logger.ts'
import { type ChatPush, chatBusTypes, publishPushed } from './chat.bus.ts'
import { originAllowed, RateLimiter } from './chat.policy.ts'
import type { ChatInbox, ChatService, VisitorRef } from './chat.service.ts'
import { chatCloseCodes, visitorFrameSchema, type VisitorFrame } from './chat.types.ts'
import { chatDefaults } from './config.ts'

export interface ChatSocketOptions {
  /** How long a socket may stay silent before its `hello`. */
  helloTimeoutMs: number
  heartbeatMs: number
  /** Open chat sockets one client address may hold. */
  maxConnectionsPerIp: number
  /** Hellos (each may create a visitor) one client address may send per minute to one inbox. */
  hellosPerMinutePerIp: number
}
export const defaultChatSocketOptions: ChatSocketOptions = { helloTimeoutMs: 10_000, heartbeatMs: 30_000, maxConnectionsPerIp: 50, hellosPerMinutePerIp: 120 }

interface Connection {
  visitor: VisitorRef
  send(frame: Record<string, unknown>): boolean
}

/**
 * The visitors' sockets on this node, and the bus subscription that reaches
 * them: a `chat.push` for a visitor with a socket here is written to each of
 * its sockets, then acknowledged with `chat.pushed` (the adapter waits for it).
 */
export function createVisitorRegistry(bus: EventBus, service: Pick<ChatService, 'authorName'>, logger: Logger) {
  const byVisitor = new Map<string, Set<Connection>>()
  const perIp = new Map<string, number>()
  let unsubscribe: (() => void) | null = null

  const onEvent = (e: DomainEvent) => {
    if (e.type !== chatBusTypes.push) return
    const push = e.payload as unknown as ChatPush
    const targets = push.visitorIds.flatMap((id) => [...(byVisitor.get(id) ?? [])]).filter((c) => c.visitor.workspaceId === e.workspaceId)
    if (targets.length === 0) return
    void deliver(e.workspaceId, push, targets).catch((err: unknown) => logger.warn({ err }, 'chat push failed'))
  }

  async function deliver(workspaceId: string, push: ChatPush, targets: Connection[]) {
    let frame = push.frame
    const message = frame.message as { id?: string; direction?: string; author?: unknown } | undefined
    if (frame.type === 'message' && message?.direction === 'outbound' && !message.author && message.id) {
      const name = await service.authorName(workspaceId, message.id)
      frame = { ...frame, message: { ...message, author: { name: name ?? 'Support', avatarUrl: null } } }
    }
    let reached: string | null = null
    for (const c of targets) if (c.send(frame)) reached = c.visitor.id
    if (reached) await publishPushed(bus, workspaceId, push.requestId, reached)
  }

  return {
    add(c: Connection) {
      let set = byVisitor.get(c.visitor.id)
      if (!set) byVisitor.set(c.visitor.id, (set = new Set()))
      set.add(c)
      unsubscribe ??= bus.subscribe(onEvent)
    },
    remove(c: Connection) {
      const set = byVisitor.get(c.visitor.id)
      if (!set?.delete(c)) return
      if (set.size === 0) byVisitor.delete(c.visitor.id)
      if (byVisitor.size === 0 && unsubscribe) {
        unsubscribe()
        unsubscribe = null
      }
    },
    /** Counts a socket from `ip`; false when it holds too many already. */
    admit(ip: string, max: number): boolean {
      const n = perIp.get(ip) ?? 0
      if (n >= max) return false
      perIp.set(ip, n + 1)
      return true
    },
    release(ip: string) {
      const n = (perIp.get(ip) ?? 1) - 1
      if (n <= 0) perIp.delete(ip)
      else perIp.set(ip, n)
    },
    /** Visitors with a socket on this node. */
    size: () => byVisitor.size,
  }
}
export type VisitorRegistry = ReturnType<typeof createVisitorRegistry>

export interface ChatSocketContext {
  service: ChatService
  registry: VisitorRegistry
  limiter: RateLimiter
  bus: EventBus
  logger: Logger
  options: ChatSocketOptions
}

const errorFrame = (err: unknown, extra: Record<string, unknown> = {}) =>
  err instanceof AppError ? { type: 'error', code: err.code, message: err.message, ...(err.details !== undefined && { details: err.details }), ...extra } : { type: 'error', code: 'INTERNAL', message: 'Something went wrong; try again', ...extra }

/** Runs one visitor WebSocket from upgrade to close. The protocol is in chat.types.ts and docs/channels/chat.md. */
export function acceptVisitorSocket(socket: WebSocket, req: FastifyRequest, ctx: ChatSocketContext): void {
  const { service, registry, limiter, logger, options } = ctx
  const ip = req.ip
  let inbox: ChatInbox | null = null
  let conn: Connection | null = null
  let closed = false
  let alive = true
  let lastTyping = 0
  let chain: Promise<void> = Promise.resolve()
  const timers: NodeJS.Timeout[] = []

  const send = (frame: Record<string, unknown>): boolean => {
    if (closed || socket.readyState !== socket.OPEN) return false
    socket.send(JSON.stringify(frame))
    return true
  }
  const cleanup = () => {
    if (closed) return
    closed = true
    for (const t of timers) clearTimeout(t)
    if (conn) registry.remove(conn)
    registry.release(ip)
  }
  const close = (code: number, frame: { code: string; message: string }) => {
    send({ type: 'error', ...frame })
    cleanup()
    socket.close(code, frame.message.slice(0, 120))
  }
  socket.on('close', cleanup)
  socket.on('pong', () => {
    alive = true
  })

  if (!registry.admit(ip, options.maxConnectionsPerIp)) {
    send({ type: 'error', code: 'RATE_LIMITED', message: 'Too many open chats from this address' })
    closed = true
    socket.close(chatCloseCodes.tooManyConnections, 'Too many open chats from this address')
    return
  }

  const serial = (fn: () => Promise<void>) => {
    chain = chain.then(fn).catch((err: unknown) => {
      logger.error({ err }, 'chat socket failed')
      close(1011, { code: 'INTERNAL', message: 'Internal error' })
    })
  }

  const limitOf = (i: ChatInbox) => i.config.messagesPerMinute ?? chatDefaults.messagesPerMinute
  /** Flood control: per visitor, and ten times that per client address (many visitors behind one NAT). */
  const rateLimited = (i: ChatInbox, v: VisitorRef): number | null => {
    const perVisitor = limiter.take(`v:${v.id}`, limitOf(i))
    if (!perVisitor.ok) return perVisitor.retryAfterSeconds
    const perIp = limiter.take(`ip:${i.id}:${ip}`, limitOf(i) * 10)
    return perIp.ok ? null : perIp.retryAfterSeconds
  }

  async function handle(frame: VisitorFrame) {
    if (!inbox) return
    if (!conn) {
      if (frame.type !== 'hello') return close(chatCloseCodes.badHello, { code: 'VALIDATION_FAILED', message: 'Say hello first: {"type":"hello","token"?:"…"}' })
      // Each hello may create a visitor row: bounded per client address.
      const hellos = limiter.take(`hello:${inbox.id}:${ip}`, options.hellosPerMinutePerIp)
      if (!hellos.ok) return close(chatCloseCodes.tooManyConnections, { code: 'RATE_LIMITED', message: `Too many new chats from this address; retry in ${hellos.retryAfterSeconds} s` })
      const res = await service.hello(inbox, frame.token)
      if (closed) return
      conn = { visitor: res.visitor, send }
      registry.add(conn)
      send({ type: 'ready', visitorId: res.visitor.id, ...(res.token && { token: res.token }), welcome: service.welcomeOf(inbox), profile: res.profile, history: res.history, readUpTo: res.readUpTo })
      const heartbeat = setInterval(() => {
        if (!alive) {
          cleanup()
          socket.terminate()
          return
        }
        alive = false
        socket.ping()
      }, options.heartbeatMs)
      heartbeat.unref()
      timers.push(heartbeat)
      return
    }
    const v = conn.visitor
    switch (frame.type) {
      case 'hello':
        return void send({ type: 'error', code: 'VALIDATION_FAILED', message: 'Already said hello' })
      case 'ping':
        return void send({ type: 'pong' })
      case 'message': {
        const retryAfter = rateLimited(inbox, v)
        if (retryAfter !== null)
          return void send({ type: 'error', code: 'RATE_LIMITED', clientId: frame.clientId, retryAfterSeconds: retryAfter, message: `Too many messages; wait ${retryAfter} s` })
        try {
          const res = await service.sendMessage(inbox, v, { clientId: frame.clientId, text: frame.text })
          return void send({ type: 'ack', clientId: frame.clientId, id: res.message.id, createdAt: res.message.createdAt, duplicate: res.duplicate })
        } catch (err) {
          return void send(errorFrame(err, { clientId: frame.clientId }))
        }
      }
      case 'typing': {
        // At most one typing signal a second reaches the agents.
        const now = Date.now()
        if (frame.typing && now - lastTyping < 1000) return
        lastTyping = frame.typing ? now : 0
        const conversationId = await service.conversationOf(v)
        if (!conversationId) return
        await ctx.bus.publish({
          id: `chat-${randomUUID()}`,
          workspaceId: v.workspaceId,
          type: 'chat.visitor-typing',
          conversationId,
          contactId: null,
          actor: { type: 'system', id: null, label: 'chat visitor' },
          payload: { visitorId: v.id, typing: frame.typing },
          createdAt: new Date().toISOString(),
        })
        return
      }
      case 'read':
        return service.markRead(v, new Date(frame.upTo))
      case 'prechat':
        try {
          await service.prechat(inbox, v, frame)
          return void send({ type: 'prechat-saved' })
        } catch (err) {
          return void send(errorFrame(err))
        }
      case 'identify': {
        const res = await service.identify(inbox, v, frame)
        return void send({ type: 'identified', verified: res.verified, history: res.history })
      }
      case 'callback': {
        // Counted with messages: a flood of callback requests is a flood.
        const retryAfter = rateLimited(inbox, v)
        if (retryAfter !== null) return void send({ type: 'error', code: 'RATE_LIMITED', retryAfterSeconds: retryAfter, message: `Too many requests; wait ${retryAfter} s` })
        try {
          const task = await service.requestCallback(v, frame)
          return void send({ type: 'callback-requested', id: task.id, dueAt: task.dueAt })
        } catch (err) {
          return void send(errorFrame(err))
        }
      }
    }
  }

  const onFrame = async (data: RawData, isBinary: boolean) => {
    if (closed) return
    let parsed: unknown
    try {
      if (isBinary) throw new Error('binary')
      parsed = JSON.parse(Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.concat(Array.isArray(data) ? data : [Buffer.from(data)]).toString('utf8'))
    } catch {
      return void send({ type: 'error', code: 'INVALID_JSON', message: 'Frames are JSON text' })
    }
    const frame = visitorFrameSchema.safeParse(parsed)
    if (!frame.success) {
      const clientId = (parsed as { clientId?: unknown } | null)?.clientId
      return void send({ type: 'error', code: 'VALIDATION_FAILED', message: 'Invalid frame', details: frame.error.issues.map((i) => ({ field: i.path.join('.'), message: i.message })), ...(typeof clientId === 'string' && { clientId }) })
    }
    await handle(frame.data)
  }
  socket.on('message', (data, isBinary) => serial(() => onFrame(data, isBinary)))

  const inboxId = String((req.query as { inboxId?: unknown }).inboxId ?? '')
  serial(async () => {
    try {
      inbox = await service.resolveInbox(inboxId)
    } catch (err) {
      if (err instanceof AppError) return close(err.code === 'INBOX_DISABLED' ? chatCloseCodes.inboxDisabled : chatCloseCodes.inboxNotFound, { code: err.code, message: err.message })
      throw err
    }
    if (!originAllowed(inbox.config, req.headers.origin)) {
      inbox = null
      return close(chatCloseCodes.forbiddenOrigin, { code: 'ORIGIN_NOT_ALLOWED', message: `This chat may not be embedded on ${String(req.headers.origin)}` })
    }
    const helloTimer = setTimeout(() => {
      if (!conn) close(chatCloseCodes.badHello, { code: 'VALIDATION_FAILED', message: 'No hello received' })
    }, options.helloTimeoutMs)
    helloTimer.unref()
    timers.push(helloTimer)
  })
}
