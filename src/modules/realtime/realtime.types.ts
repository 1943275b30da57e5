import { z } from 'zod'
import type { ErrorCode } from '../../platform/errors.ts'
import type { DomainEvent } from '../../platform/events/events.ts'
import { PRESENCE_EVENT, type PresenceUser } from './realtime.presence.ts'

/** Every event that has a conversation id. */
export const ALL_CONVERSATIONS = 'conversations'
/** The signed-in user's own events (notifications): those whose payload names them as `recipientUserId`. */
export const MY_NOTIFICATIONS = 'notifications'
/** The workspace's agents: their presence and routing settings (events `agent.*`), for the board and the desk's presence control. */
export const AGENTS = 'agents'
const conversationTopic = /^conversation:([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i

/** `conversations`, `notifications`, `agents` or `conversation:<uuid>`; normalised to lower case (ids in events are). */
export const topicSchema = z
  .string()
  .max(100)
  .refine((t) => t === ALL_CONVERSATIONS || t === MY_NOTIFICATIONS || t === AGENTS || conversationTopic.test(t), { message: 'A topic is "conversations", "notifications", "agents" or "conversation:<uuid>"' })
  .transform((t) => t.toLowerCase())

/** Frames a client may send (JSON text). */
export const clientFrameSchemas = {
  auth: z.strictObject({ type: z.literal('auth'), token: z.string().min(1).max(512) }),
  subscribe: z.strictObject({ type: z.literal('subscribe'), topics: z.array(topicSchema).min(1).max(100) }),
  unsubscribe: z.strictObject({ type: z.literal('unsubscribe'), topics: z.array(topicSchema).min(1).max(100) }),
  ping: z.strictObject({ type: z.literal('ping') }),
  /** Collision detection: "I have this conversation open" (refresh every few seconds), "I am typing", "I closed it". */
  viewing: z.strictObject({ type: z.literal('viewing'), conversationId: z.uuid().transform((id) => id.toLowerCase()) }),
  typing: z.strictObject({ type: z.literal('typing'), conversationId: z.uuid().transform((id) => id.toLowerCase()) }),
  left: z.strictObject({ type: z.literal('left'), conversationId: z.uuid().transform((id) => id.toLowerCase()) }),
} as const
export type ClientFrameType = keyof typeof clientFrameSchemas
export type ClientFrame = { [K in ClientFrameType]: z.output<(typeof clientFrameSchemas)[K]> }[ClientFrameType]

/** The event as a client sees it: the workspace is implied by the connection. */
export type EventView = Omit<DomainEvent, 'workspaceId'>

/** Frames the server sends (JSON text). */
export type ServerFrame =
  | { type: 'ready'; workspaceId: string }
  | { type: 'subscribed'; topics: string[] }
  | { type: 'event'; event: EventView }
  | { type: 'pong' }
  /** Who is on a conversation (viewing, and whether typing); sent to holders of its topic whenever that changes. */
  | { type: 'presence'; conversationId: string; users: PresenceUser[] }
  | { type: 'error'; code: ErrorCode; message: string; details?: unknown }

/** Close codes (4000–4999 are the application's range). */
export const closeCodes = {
  /** No valid credentials at upgrade, no `auth` frame in time, or credentials revoked later. */
  unauthenticated: 4401,
  /** Authenticated, but the role may not read conversations. */
  forbidden: 4403,
  /** The client does not read fast enough; reconnect and refetch. */
  tooSlow: 4408,
} as const

export type ParsedFrame = { ok: true; frame: ClientFrame } | { ok: false; code: ErrorCode; message: string; details?: unknown }

/** Parses one text frame; never throws. */
export function parseClientFrame(text: string): ParsedFrame {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    return { ok: false, code: 'INVALID_JSON', message: 'A frame must be one JSON object' }
  }
  const type = (json as { type?: unknown } | null)?.type
  if (typeof type !== 'string' || !Object.hasOwn(clientFrameSchemas, type)) {
    return { ok: false, code: 'VALIDATION_FAILED', message: `Unknown frame type; expected one of ${Object.keys(clientFrameSchemas).join(', ')}` }
  }
  const parsed = clientFrameSchemas[type as ClientFrameType].safeParse(json)
  if (!parsed.success) {
    return {
      ok: false,
      code: 'VALIDATION_FAILED',
      message: `Invalid ${type} frame`,
      details: parsed.error.issues.map((i) => ({ field: ['frame', ...i.path].join('.'), message: i.message })),
    }
  }
  return { ok: true, frame: parsed.data as ClientFrame }
}

/**
 * Whether an event belongs to any of the topics of a connection of `userId`.
 * Personal events (payload.recipientUserId) go only to that user, on the
 * `notifications` topic; agents' presence and routing changes (`agent.*`) on the
 * `agents` topic; presence pseudo-events travel as presence frames instead.
 */
export function matchesTopics(topics: ReadonlySet<string>, event: Pick<DomainEvent, 'conversationId' | 'type' | 'payload'>, userId: string | null = null): boolean {
  if (event.type === PRESENCE_EVENT) return false
  const recipient = event.payload?.recipientUserId
  if (typeof recipient === 'string') return topics.has(MY_NOTIFICATIONS) && recipient === userId
  if (event.type.startsWith('agent.')) return topics.has(AGENTS)
  if (!event.conversationId) return false
  return topics.has(ALL_CONVERSATIONS) || topics.has(`conversation:${event.conversationId.toLowerCase()}`)
}

export function toEventView(e: DomainEvent): EventView {
  return { id: e.id, type: e.type, conversationId: e.conversationId, contactId: e.contactId, actor: e.actor, payload: e.payload, createdAt: e.createdAt }
}
