import { z } from 'zod'
import { humanText } from '../../platform/http/schemas.ts'
import { type ChannelDefinition, secret } from '../channel.ts'
import { createChatAdapter } from './adapter.ts'

/** An origin a browser sends: scheme, host and optional port, nothing else. */
const origin = z
  .string()
  .trim()
  .max(300)
  .regex(/^https?:\/\/[a-z0-9.-]+(:\d{1,5})?$/i, 'must be an origin such as https://www.example.com (scheme, host, port; no path)')

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be HH:MM (24 h)')

/** When people answer the chat; outside these hours the widget shows the away message. */
export const businessHoursSchema = z.strictObject({
  /** An IANA time zone such as Europe/Paris. */
  timeZone: z.string().max(64).refine((tz) => {
    try {
      new Intl.DateTimeFormat('en', { timeZone: tz })
      return true
    } catch {
      return false
    }
  }, 'must be an IANA time zone such as Europe/Paris'),
  /** Opening hours per weekday (0 = Sunday … 6 = Saturday); a day not listed is closed. */
  days: z.array(z.strictObject({ day: z.number().int().min(0).max(6), open: hhmm, close: hhmm })).max(21),
})
export type BusinessHours = z.infer<typeof businessHoursSchema>

/** A MIME type or a family (`image/*`). */
const mimePattern = z.string().trim().toLowerCase().regex(/^[a-z0-9!#$&^_.+-]+\/(\*|[a-z0-9!#$&^_.+-]+)$/, 'must be a MIME type such as image/png or image/*')

export const chatDefaults = {
  maxFileBytes: 10 * 1024 * 1024,
  allowedTypes: ['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'application/pdf', 'text/plain'],
  maxMessageLength: 5000,
  messagesPerMinute: 30,
} as const

/** The website chat widget. */
export const chatConfigSchema = z.strictObject({
  /** The site the widget is installed on: its origin may open the chat. */
  websiteUrl: z.url({ protocol: /^https?$/ }).max(2000).optional(),
  /** More origins that may embed the widget (staging sites, other domains). */
  allowedOrigins: z.array(origin).max(50).optional(),
  welcomeMessage: humanText(1000).optional(),
  /** Shown instead of the welcome message outside business hours. */
  awayMessage: humanText(1000).optional(),
  businessHours: businessHoursSchema.optional(),
  /** Ask for name and email (and a topic) before the first message. */
  preChatForm: z.boolean().optional(),
  /** The name in the widget's header (default: the inbox name). */
  title: humanText(100).optional(),
  /** An https image shown beside agents' messages when the agent has none. */
  avatarUrl: z.url({ protocol: /^https$/ }).max(2000).optional(),
  /** HMAC-SHA256 key of `Omnidesk.identify()` hashes; without it every identify claim stays unverified. */
  identitySecret: secret('HMAC key for identify() hashes: stored encrypted, never returned').optional(),
  /** Files visitors may send: at most `maxFileBytes` each, of these types. */
  attachments: z
    .strictObject({
      maxFileBytes: z.number().int().min(1).max(25 * 1024 * 1024).optional(),
      allowedTypes: z.array(mimePattern).max(50).optional(),
    })
    .optional(),
  /** Longest visitor message, in characters. */
  maxMessageLength: z.number().int().min(1).max(20_000).optional(),
  /** Messages (and uploads) one visitor may send per minute; one address gets ten times that. */
  messagesPerMinute: z.number().int().min(1).max(600).optional(),
  /**
   * The email inbox a reply goes out through when the visitor has left and
   * gave an email address (default: the workspace's first active email inbox).
   */
  emailInboxId: z.uuid().optional(),
})
export type ChatConfig = z.infer<typeof chatConfigSchema>

export const chatChannel: ChannelDefinition<'chat'> = {
  channel: 'chat',
  configSchema: chatConfigSchema,
  secretKeys: ['identitySecret'],
  reachableBy: ['widget'],
  createAdapter: (inbox, _secrets, ctx) => createChatAdapter(inbox, ctx),
}
