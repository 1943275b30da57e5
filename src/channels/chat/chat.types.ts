import { z } from 'zod'
import { humanText } from '../../platform/http/schemas.ts'
import { e164 } from '../channel.ts'
import type { HistoryRow } from './chat.repository.ts'

/** Messages a widget receives on connecting (the newest). */
export const HISTORY_LIMIT = 200

/** A client id: the widget's own id for a message, which makes a resend idempotent. */
export const clientIdSchema = z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, 'must be 8-64 letters, digits, - or _')

/**
 * Visitor → server frames (JSON text). The first must be `hello`.
 *   {"type":"hello","token"?:"…","locale"?:"fr"}          resume (token from localStorage) or start
 *   {"type":"message","clientId":"…","text":"…"}             idempotent per clientId
 *   {"type":"typing","typing":true|false}
 *   {"type":"read","upTo":"<ISO time of the newest message seen>"}
 *   {"type":"prechat","name"?,"email"?,"topic"?}
 *   {"type":"identify","id":"…","email"?,"name"?,"hash"?}
 *   {"type":"ping"}
 *   {"type":"callback","phone":"+14155550100","note"?:"…"}  ask to be called back (after a first message)
 */
export const visitorFrameSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('hello'), token: z.string().max(100).optional(), locale: z.string().max(20).optional() }),
  z.strictObject({ type: z.literal('message'), clientId: clientIdSchema, text: z.string().max(20_000) }),
  z.strictObject({ type: z.literal('typing'), typing: z.boolean() }),
  z.strictObject({ type: z.literal('read'), upTo: z.iso.datetime({ offset: true }) }),
  z.strictObject({
    type: z.literal('prechat'),
    name: humanText(200).optional(),
    email: z.email().max(320).optional(),
    topic: humanText(200).optional(),
  }),
  z.strictObject({ type: z.literal('identify'), id: humanText(256).pipe(z.string().min(1)), email: z.email().max(320).optional(), name: humanText(200).optional(), hash: z.string().max(128).optional() }),
  z.strictObject({ type: z.literal('ping') }),
  z.strictObject({ type: z.literal('callback'), phone: e164, note: humanText(500).optional() }),
])
export type VisitorFrame = z.infer<typeof visitorFrameSchema>

/** A message as the widget shows it. `author` is the agent's name for outbound messages. */
export interface ChatMessageView {
  id: string
  /** The widget's client id, for the visitor's own messages. */
  clientId: string | null
  direction: 'inbound' | 'outbound'
  text: string
  author: { name: string; avatarUrl: string | null } | null
  attachments: Array<{ filename: string; contentType: string }>
  createdAt: string
}

/** What the widget shows before any message: header, welcome or away message, form, limits. */
export interface ChatWelcome {
  title: string
  /** Inside business hours (or none configured). */
  open: boolean
  message: string | null
  preChatForm: boolean
  avatarUrl: string | null
  limits: { maxMessageLength: number; maxFileBytes: number; allowedTypes: string[] }
}

export function toMessageView(r: HistoryRow, visitorId: string, attachments: ChatMessageView['attachments'], avatarUrl: string | undefined): ChatMessageView {
  const prefix = `${visitorId}:`
  const clientId = r.provider_message_id?.startsWith(prefix) ? r.provider_message_id.slice(prefix.length) : null
  const outbound = r.direction === 'outbound'
  return {
    id: r.id,
    clientId,
    direction: outbound ? 'outbound' : 'inbound',
    text: r.text,
    author: outbound ? { name: r.author_name ?? 'Support', avatarUrl: avatarUrl ?? null } : null,
    attachments,
    createdAt: r.created_at.toISOString(),
  }
}

/** WebSocket close codes of the chat socket (4000-4999 are the application's). */
export const chatCloseCodes = {
  badHello: 4400,
  unauthenticated: 4401,
  forbiddenOrigin: 4403,
  inboxNotFound: 4404,
  inboxDisabled: 4410,
  tooManyConnections: 4429,
} as const
