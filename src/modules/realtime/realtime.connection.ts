import { randomUUID } from 'node:crypto'
import type { FastifyRequest } from 'fastify'
import type { RawData, WebSocket } from 'ws'
import { type Actor, can } from '../../platform/auth/actor.ts'
import type { DomainEvent } from '../../platform/events/events.ts'
import { type Authenticator, bearerOf, SESSION_COOKIE } from '../../platform/http/auth.ts'
import type { Logger } from '../../platform/observability/logger.ts'
import type { RealtimeHub, Subscriber } from './realtime.hub.ts'
import type { PresenceState, PresenceTracker } from './realtime.presence.ts'
import { closeCodes, matchesTopics, parseClientFrame, type ClientFrame, type ParsedFrame, type ServerFrame, toEventView } from './realtime.types.ts'

export interface RealtimeOptions {
  /** How long an unauthenticated socket may wait before its `auth` frame. */
  authTimeoutMs: number
  /** Protocol-level ping interval; a socket that missed the previous pong is dropped. Credentials are re-checked at the same pace. */
  heartbeatMs: number
  /** Topics one connection may hold. */
  maxTopics: number
  /** Unsent bytes beyond which a slow client is disconnected instead of buffered without bound. */
  maxBufferedBytes: number
  /** The app's public URL: the only browser origin allowed to connect with the session cookie. */
  publicUrl?: string | undefined
}

export const defaultRealtimeOptions: RealtimeOptions = { authTimeoutMs: 5000, heartbeatMs: 30_000, maxTopics: 100, maxBufferedBytes: 1024 * 1024 }

export interface ConnectionContext {
  hub: RealtimeHub
  presence: PresenceTracker
  /** The name others see in presence frames (falls back to the actor's label). */
  describeUser?: ((actor: Actor) => Promise<string>) | undefined
  authenticate: Authenticator
  logger: Logger
  options: RealtimeOptions
}

type Credentials = { bearer?: string | undefined; session?: string | undefined }

/**
 * A browser sends cookies on a WebSocket upgrade from any page (no CORS on
 * WebSockets), so the cookie counts only when the page is our own origin.
 * Clients that send no Origin (servers, CLIs) are not browsers.
 */
function cookieOriginAllowed(req: FastifyRequest, publicUrl: string | undefined): boolean {
  const origin = req.headers.origin
  if (!origin) return true
  if (publicUrl) return origin === new URL(publicUrl).origin
  try {
    return new URL(origin).host === req.headers.host
  } catch {
    return false
  }
}

/** Runs one WebSocket from upgrade to close (the protocol is in realtime.routes.ts). */
export function acceptConnection(socket: WebSocket, req: FastifyRequest, ctx: ConnectionContext): void {
  const { options, logger } = ctx
  const topics = new Set<string>()
  const connectionId = randomUUID()
  /** Conversations this connection announced itself on (told `left` when it closes). */
  const present = new Set<string>()
  let unwatch: (() => void) | null = null
  let displayName = ''
  let actor: Actor | null = null
  let credentials: Credentials | null = null
  let subscriber: Subscriber | null = null
  let closed = false
  let alive = true
  let authTimer: NodeJS.Timeout | null = null
  let heartbeat: NodeJS.Timeout | null = null
  // Frames and credential checks run one at a time, in arrival order, even
  // while an asynchronous authentication is in flight.
  let chain: Promise<void> = Promise.resolve()
  const serial = (fn: () => Promise<void> | void) => {
    chain = chain.then(fn).catch((err: unknown) => {
      logger.error({ err }, 'realtime connection failed')
      close(1011, 'Internal error')
    })
  }

  const send = (frame: ServerFrame) => {
    if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(frame))
  }
  const cleanup = () => {
    closed = true
    if (authTimer) clearTimeout(authTimer)
    if (heartbeat) clearInterval(heartbeat)
    if (subscriber) ctx.hub.remove(subscriber)
    subscriber = null
    unwatch?.()
    unwatch = null
    if (actor?.userId) for (const conversationId of present) void ctx.presence.update({ workspaceId: actor.workspaceId, conversationId, connectionId, userId: actor.userId, name: displayName, state: 'left' })
    present.clear()
    topics.clear()
  }
  const close = (code: number, reason: string) => {
    if (closed) return
    cleanup()
    socket.close(code, reason)
  }

  const deliver = (event: DomainEvent) => {
    if (closed || !matchesTopics(topics, event, actor?.userId ?? null)) return
    if (socket.bufferedAmount > options.maxBufferedBytes) return close(closeCodes.tooSlow, 'Too slow: reconnect and refetch')
    send({ type: 'event', event: toEventView(event) })
  }

  const tick = () => {
    if (!alive) {
      logger.debug({ workspaceId: actor?.workspaceId }, 'realtime socket missed a heartbeat')
      cleanup()
      socket.terminate()
      return
    }
    alive = false
    socket.ping()
    // Revoked tokens, ended sessions and deactivated users stop receiving events.
    serial(async () => {
      if (closed || !credentials || !actor) return
      const current = await ctx.authenticate(credentials, req).catch((err: unknown) => {
        logger.warn({ err }, 'realtime re-authentication failed; keeping the connection')
        return undefined
      })
      if (current === null || (current && current.workspaceId !== actor.workspaceId)) close(closeCodes.unauthenticated, 'Credentials revoked or expired')
    })
  }

  const authenticateWith = async (creds: Credentials, failure: string) => {
    if (authTimer) clearTimeout(authTimer)
    const found = await ctx.authenticate(creds, req)
    if (closed) return
    if (!found) return close(closeCodes.unauthenticated, failure)
    if (!can(found, 'conversations:read')) return close(closeCodes.forbidden, `Your role (${found.role}) may not read conversations`)
    displayName = (ctx.describeUser && found.userId ? await ctx.describeUser(found).catch(() => found.label) : found.label) || found.label
    if (closed) return
    actor = found
    credentials = creds
    subscriber = { workspaceId: found.workspaceId, userId: found.userId, deliver }
    ctx.hub.add(subscriber)
    unwatch = ctx.presence.watch(found.workspaceId, (conversationId, users) => {
      if (!closed && topics.has(`conversation:${conversationId}`)) send({ type: 'presence', conversationId, users })
    })
    heartbeat = setInterval(tick, options.heartbeatMs)
    heartbeat.unref()
    send({ type: 'ready', workspaceId: found.workspaceId })
  }

  const announce = (conversationId: string, state: PresenceState) => {
    if (!actor?.userId) return send({ type: 'error', code: 'UNPROCESSABLE', message: 'Presence needs a user; this token has none' })
    if (state === 'left') present.delete(conversationId)
    else if (!present.has(conversationId)) {
      if (present.size >= options.maxTopics) return send({ type: 'error', code: 'UNPROCESSABLE', message: `A connection may be on at most ${options.maxTopics} conversations at once; send left first` })
      present.add(conversationId)
    }
    void ctx.presence.update({ workspaceId: actor.workspaceId, conversationId, connectionId, userId: actor.userId, name: displayName, state })
  }

  const handle = (frame: ClientFrame) => {
    switch (frame.type) {
      case 'auth':
        return send({ type: 'error', code: 'VALIDATION_FAILED', message: 'Already authenticated' })
      case 'ping':
        return send({ type: 'pong' })
      case 'subscribe': {
        const added = frame.topics.filter((t) => !topics.has(t))
        if (topics.size + new Set(added).size > options.maxTopics) {
          return send({ type: 'error', code: 'UNPROCESSABLE', message: `A connection may hold at most ${options.maxTopics} topics; unsubscribe some first` })
        }
        for (const t of added) topics.add(t)
        send({ type: 'subscribed', topics: [...topics] })
        // Who is already on a conversation, so a newcomer sees them without waiting for their next refresh.
        for (const t of added) {
          if (!t.startsWith('conversation:') || !actor) continue
          const conversationId = t.slice('conversation:'.length)
          const users = ctx.presence.current(actor.workspaceId, conversationId)
          if (users.length) send({ type: 'presence', conversationId, users })
        }
        return
      }
      case 'viewing':
      case 'typing':
      case 'left':
        return announce(frame.conversationId, frame.type)
      case 'unsubscribe':
        for (const t of frame.topics) topics.delete(t)
        return send({ type: 'subscribed', topics: [...topics] })
    }
  }

  const onFrame = async (data: RawData, isBinary: boolean) => {
    if (closed) return
    const parsed: ParsedFrame = isBinary
      ? { ok: false, code: 'VALIDATION_FAILED', message: 'Frames must be JSON text, not binary' }
      : parseClientFrame(Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.concat(Array.isArray(data) ? data : [Buffer.from(data)]).toString('utf8'))
    if (!actor) {
      // Before authentication only an auth frame is accepted, and only once.
      if (!parsed.ok || parsed.frame.type !== 'auth') return close(closeCodes.unauthenticated, 'Authenticate first: {"type":"auth","token":"…"}')
      return authenticateWith({ bearer: parsed.frame.token }, 'The token is invalid, expired or revoked')
    }
    if (!parsed.ok) return send({ type: 'error', code: parsed.code, message: parsed.message, ...(parsed.details !== undefined && { details: parsed.details }) })
    handle(parsed.frame)
  }

  // Handlers first, synchronously: frames that arrive during async work are not lost.
  socket.on('message', (data, isBinary) => serial(() => onFrame(data, isBinary)))
  socket.on('pong', () => {
    alive = true
  })
  socket.on('close', cleanup)

  let bearer: string | undefined
  try {
    bearer = bearerOf(req)
  } catch {
    return close(closeCodes.unauthenticated, 'The Authorization header must be "Bearer <token>"')
  }
  const session = cookieOriginAllowed(req, options.publicUrl) ? req.cookies?.[SESSION_COOKIE] : undefined
  if (bearer || session) {
    serial(() => authenticateWith({ bearer, session }, 'The token or session is invalid, expired or revoked'))
  } else {
    authTimer = setTimeout(() => close(closeCodes.unauthenticated, `Authenticate within ${Math.round(options.authTimeoutMs / 1000)} s`), options.authTimeoutMs)
    authTimer.unref()
  }
}
