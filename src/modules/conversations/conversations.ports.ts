import type { Actor } from '../../platform/auth/actor.ts'
import type { Tx } from '../../platform/db/tenant.ts'
import type { OutboundMessage, ReplyRefusal, SendResult } from '../inboxes/index.ts'
import type { ConversationFilters, ConversationSort } from './conversations.types.ts'

export type { OutboundMessage, ReplyRefusal, SendResult }

/**
 * What this module uses of its neighbours, stated here so the dependency is
 * explicit and narrow. The real services (contacts, inboxes, taxonomy) satisfy
 * these structurally; index.ts passes them in.
 */
export interface ContactsPort {
  /** The contact's latest consent on a channel: `withdrawn` (STOP) means nothing may be sent there. */
  findConsentInTx(trx: Tx, workspaceId: string, contactId: string, channel: string): Promise<{ status: 'granted' | 'withdrawn'; keyword: string | null; changedAt: string } | null>
  /** Finds or creates the contact for these details; 400 on an invalid email or phone. */
  resolveContactInTx(trx: Tx, actor: Actor, input: { name?: string; email?: string; phone?: string }): Promise<{ contactId: string; created: boolean }>
  /** Name and first identity of each contact, for list rows (no audit entry: no attributes are read). */
  summariesInTx(trx: Tx, workspaceId: string, contactIds: string[]): Promise<Map<string, { id: string; name: string | null; identity: string | null }>>
  /** The contact (or the one it was merged into) with the identities a channel can reach. */
  getContactInTx(
    trx: Tx,
    workspaceId: string,
    id: string,
  ): Promise<{ identities: Array<{ kind: string; value: string; undeliverable: boolean; deliverability?: { status: string; reason: string | null; diagnostic: string | null; dsnStatus: string | null; bouncedAt: string | null; expiresAt: string | null } }> } | null>
}

export interface InboxRef {
  id: string
  name: string
  channel: string
  active: boolean
}

export interface ChannelAdapterPort {
  send(message: OutboundMessage): Promise<SendResult>
}

export interface InboxesPort {
  getInTx(trx: Tx, workspaceId: string, id: string): Promise<InboxRef | null>
  /** Active inboxes, oldest first. */
  listActiveInTx(trx: Tx, workspaceId: string): Promise<InboxRef[]>
  /** Every channel, in the registry's order. */
  readonly channelNames: readonly string[]
  /** The identity kinds a channel delivers to (`anyone`: none needed); null when it cannot send yet. */
  reachOf(channel: string): readonly string[] | 'anyone' | null
  ensureDefaultApiInboxInTx(trx: Tx, workspaceId: string): Promise<InboxRef>
  adapterForInTx(trx: Tx, workspaceId: string, inboxId: string): Promise<ChannelAdapterPort>
  /** Whether the inbox's channel accepts a free-text reply now (WhatsApp's window); null: it does. */
  replyRefusalInTx(trx: Tx, workspaceId: string, inbox: { id: string; channel: string }, facts: { lastInboundAt: Date | null }): Promise<ReplyRefusal | null>
}

/** The workspace's continuity rule (workspaces module). */
export interface WorkspacesPort {
  continuityInTx(trx: Tx, workspaceId: string): Promise<{ mode: 'any_channel' | 'same_channel' | 'off'; windowDays: number }>
  /** The channels a reply falls back to, in order, when its own is down or refuses it (empty: no fallback). */
  fallbackOrderInTx(trx: Tx, workspaceId: string): Promise<readonly string[]>
}

export interface TaxonomyPort {
  assertCategoryInTx(trx: Tx, workspaceId: string, categoryId: string): Promise<void>
  validateCustomFieldsInTx(trx: Tx, workspaceId: string, values: Record<string, unknown>): Promise<Record<string, unknown>>
  ensureTagsInTx(trx: Tx, workspaceId: string, names: string[]): Promise<string[]>
  missingRequirementsInTx(
    trx: Tx,
    workspaceId: string,
    state: { categoryId: string | null; customFields: Record<string, unknown>; tags: string[]; assigneeId: string | null; teamId: string | null },
    action: 'solve' | 'transfer',
  ): Promise<string[]>
}

export interface ViewsPort {
  /** A saved view the actor may use (theirs, or shared); 404 otherwise. */
  resolveView(actor: Actor, id: string): Promise<{ filters: ConversationFilters; sort: ConversationSort }>
}
