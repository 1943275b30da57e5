import { z } from 'zod'
import type { ErrorCode } from '../../platform/errors.ts'
import type { DomainEvent } from '../../platform/events/events.ts'

/** Every event that has a conversation id. */
export const ALL_CONVERSATIONS = 'conversations'
const conversationTopic = /^conversation:([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i

/** `conversations` or `conversation:<uuid>`; normalised to lower case (ids in events are). */
export const topicSchema = z
  .string()
  .max(100)
  .refine((t) => t === ALL_CONVERSATIONS || conversationTopic.test(t), { message: 'A topic is "conversations" or "conversation:<uuid>"' })
  .transform((t) => t.toLowerCase())

/** Frames a client may send (JSON text). */
export const clientFrameSchemas = {
  auth: z.strictObject({ type: z.literal('auth'), token: z.string().min(1).max(512) }),
  subscribe: z.strictObject({ type: z.literal('subscribe'), topics: z.array(topicSchema).min(1).max(100) }),
  unsubscribe: z.strictObject({ type: z.literal('unsubscribe'), topics: z.array(topicSchema).min(1).max(100) }),
  ping: z.strictObject({ type: z.literal('ping') }),
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

/** Whether an event belongs to any of the topics. Only conversation events are published. */
export function matchesTopics(topics: ReadonlySet<string>, event: Pick<DomainEvent, 'conversationId'>): boolean {
  if (!event.conversationId) return false
  return topics.has(ALL_CONVERSATIONS) || topics.has(`conversation:${event.conversationId.toLowerCase()}`)
}

export function toEventView(e: DomainEvent): EventView {
  return { id: e.id, type: e.type, conversationId: e.conversationId, contactId: e.contactId, actor: e.actor, payload: e.payload, createdAt: e.createdAt }
}
