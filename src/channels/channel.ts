import { z } from 'zod'
import type { BlobStore } from '../platform/blob-store.ts'
import type { Config } from '../platform/config.ts'
import type { SecretBox } from '../platform/crypto.ts'
import type { Tx } from '../platform/db/tenant.ts'
import type { ErrorCode } from '../platform/errors.ts'
import type { EventBus } from '../platform/events/bus.ts'
import type { Logger } from '../platform/observability/logger.ts'

/** The channel kinds an inbox can be (the `inboxes.channel` CHECK constraint lists the same). */
export const channels = ['email', 'chat', 'sms', 'whatsapp', 'messenger', 'instagram', 'telegram', 'voice', 'api'] as const
export type Channel = (typeof channels)[number]

/**
 * What a channel sees of an inbox: the inboxes module's `Inbox` record fits
 * it. Declared here so a channel folder never imports the inboxes module.
 */
export interface ChannelInbox {
  id: string
  workspaceId: string
  name: string
  channel: Channel
  /** The public settings (secrets removed; they come separately, decrypted). */
  config: Record<string, unknown>
  active: boolean
}

/**
 * An inbox found by id without a workspace (an inbound webhook names only the
 * inbox), with its secret settings decrypted so the channel can verify the
 * provider's signature. Only active inboxes are resolved.
 */
export interface ResolvedInbox extends ChannelInbox {
  secrets: Record<string, unknown>
}

/**
 * One message a channel adapter is asked to deliver. Built by the conversations
 * module after the message row has committed; `messageId` doubles as the
 * idempotency key a provider may accept.
 */
export interface OutboundMessage {
  messageId: string
  conversationId: string
  /** Where to: the contact's identities; each adapter picks the kinds it can reach (email, phone…). */
  to: {
    identities: Array<{
      kind: string
      value: string
      /** Hard-bounced or paused by soft bounces (email): adapters must not send to it. */
      undeliverable?: boolean
      /** Why, when it bounced: the contact's deliverability (reason, the server's words, when a pause ends). */
      deliverability?: { status: string; reason: string | null; diagnostic: string | null; dsnStatus?: string | null; bouncedAt?: string | null; expiresAt: string | null }
    }>
  }
  text: string
  html?: string | null
  subject?: string | null
  /** The provider id of the message this one answers (email Message-ID, …), for threading. */
  inReplyTo?: string | null
  /**
   * The customer's message this one answers, as its channel stored it: the
   * adapter reads its own channel's metadata (an email's References chain).
   */
  parent?: { providerMessageId: string; metadata: Record<string, unknown> } | null
  attachments?: Array<{ filename: string; contentType: string; blobKey: string; size?: number }>
  /** Sent by the system on its own (an automatic acknowledgement), not by a person: email marks it `Auto-Submitted: auto-replied`. */
  automatic?: boolean
  /** The subject was chosen for this message (an acknowledgement's own subject): send it as is, without `Re:`. */
  subjectExact?: boolean
  /** The outbound message's own metadata, for its channel (a WhatsApp template to send: `whatsappTemplate`). */
  metadata?: Record<string, unknown>
}

/**
 * What a send came to. Providers' failures are results, never throws:
 * `retryable` says whether trying the same send later may succeed (rate limit,
 * timeout) or not (bad number, missing credentials). `code` is a stable
 * SCREAMING_SNAKE code, `message` is for people and never holds a secret.
 */
export type SendResult =
  | { ok: true; externalId: string }
  | {
      ok: false
      retryable: boolean
      code: string
      message: string
      /**
       * Nothing was attempted because the channel has nowhere to send (no
       * outbound server configured): the message is kept as `not_delivered`
       * with `message` as its reason, not `failed`.
       */
      notDelivered?: true
      /** Machine-readable facts about the failure (e.g. ADDRESS_UNDELIVERABLE: each address with its bounce reason). */
      details?: Record<string, unknown>
      /** The provider asked to wait this long before trying again (HTTP `Retry-After`): the next attempt is no earlier. */
      retryAfterSeconds?: number
    }

/**
 * What the instance gives every adapter besides the inbox's own settings:
 * instance-wide relays and keys, and where attachment bytes live.
 */
export interface ChannelContext {
  config: Config
  blobs: BlobStore
  box: SecretBox
  logger: Logger
  /** Fan-out to this node's (and, with a shared bus, every node's) live connections: the chat channel reaches visitors' sockets through it. */
  bus: EventBus
}

/**
 * A small, immutable value built per inbox from its validated settings and
 * decrypted secrets (see `ChannelDefinition.createAdapter`). Build one per use;
 * do not keep it longer than the use, so a settings change takes effect.
 */
export interface ChannelAdapter {
  readonly channel: string
  send(msg: OutboundMessage): Promise<SendResult>
}

/** A webhook request as received: headers and the raw, unparsed body (signatures are over the bytes). */
export interface RawInboundRequest {
  headers: Record<string, string | string[] | undefined>
  body: Buffer
}

/**
 * The inbound side of a provider: `verify` checks the request's signature with
 * the inbox's secret (false, never a throw, for a bad one); `parse` turns a
 * verified request into the channel's typed payload and may throw on malformed input.
 */
export interface InboundProvider<T> {
  verify(raw: RawInboundRequest): boolean
  parse(raw: RawInboundRequest): T
}

/**
 * One entry of the channel registry: what an inbox of this channel is
 * configured with, which of those settings are secret, and how to build its
 * outbound adapter.
 */
export interface ChannelDefinition<C extends Channel = Channel> {
  channel: C
  /** A strict zod object: unknown settings are refused. */
  configSchema: z.ZodObject
  /**
   * Settings stored encrypted and never returned by the API, as dotted paths
   * into the config (`authToken`, `imap.password`).
   */
  secretKeys: readonly string[]
  /**
   * `inbox.config` holds the public settings; `secrets` the decrypted secret
   * ones, same nesting; `ctx` the instance's (relay URLs, blob store, keys).
   */
  createAdapter(inbox: ChannelInbox, secrets: Record<string, unknown>, ctx: ChannelContext): ChannelAdapter
  /**
   * The contact identity kinds (`email`, `phone`, `whatsapp`, `widget`…) the
   * adapter delivers to; `anyone` when it needs none (the API channel).
   * Absent: the channel cannot send yet (adapter pending), and replies on it
   * are shown as unavailable (GET /conversations/{id}/reply-channels).
   */
  reachableBy?: readonly string[] | 'anyone'
  /**
   * Asked when an agent's free-text reply through an inbox of this channel is
   * requested, before anything is stored: a refusal the provider would give
   * at send time anyway (WhatsApp's 24-hour window) is answered then, as a
   * 422 with the refusal's code, instead of a failed send later. Not asked
   * for what the channel sends by other means (a WhatsApp template).
   * Absent: every reply may go.
   */
  replyGate?(trx: Tx, facts: ReplyFacts): Promise<ReplyRefusal | null>
}

/** What a channel's reply gate is told about a reply. */
export interface ReplyFacts {
  workspaceId: string
  inboxId: string
  /** When the customer last wrote through this inbox in this conversation (their message's own time); null: never. */
  lastInboundAt: Date | null
}

/** Why a channel refuses a reply now: a stable error code (422), a message for people, machine-readable facts. */
export interface ReplyRefusal {
  code: ErrorCode
  message: string
  details: Record<string, unknown>
}

/**
 * An inbox's secret settings, decrypted from the sealed JSON the inboxes
 * module stores: `{}` when none are set. Throws when they cannot be decrypted
 * (the instance secret key changed). Here, not in inboxes, so a channel's own
 * background work (the IMAP poller) can open them without importing the module.
 */
export function openSecrets(box: Pick<SecretBox, 'decrypt'>, sealed: string | null): Record<string, unknown> {
  return sealed === null ? {} : (JSON.parse(box.decrypt(sealed)) as Record<string, unknown>)
}

/** A secret setting: write-only in the JSON schema UIs render. */
export const secret = (description = 'Secret: stored encrypted, never returned') => z.string().min(1).max(4096).meta({ writeOnly: true, description })

/** A phone number in E.164 form (+ country code, up to 15 digits). */
export const e164 = z.string().trim().regex(/^\+[1-9]\d{6,14}$/, 'must be an E.164 phone number such as +14155550100')

/** An identifier assigned by a provider (page id, phone number id…). */
export const providerId = z.string().trim().min(1).max(200)

/** The adapter of a channel whose provider integration is not built yet: every send fails, not retryable. */
export function unavailableAdapter(channel: Channel): ChannelAdapter {
  return Object.freeze({
    channel,
    async send(): Promise<SendResult> {
      return { ok: false, retryable: false, code: 'CHANNEL_NOT_AVAILABLE', message: `The ${channel} channel adapter is not installed yet` }
    },
  })
}
