import type { Actor } from '../auth/actor.ts'
import type { Tx } from '../db/tenant.ts'
import { deferEvent } from './deferred-writes.ts'

/**
 * Domain events, named `noun.verb-past`. Payloads are documented where each is
 * emitted; listeners must tolerate fields they do not know.
 */
export interface DomainEvent<P = Record<string, unknown>> {
  id: string
  workspaceId: string
  type: string
  conversationId: string | null
  contactId: string | null
  actor: { type: Actor['kind']; id: string | null; label: string }
  payload: P
  createdAt: string
}

export interface NewEvent {
  type: string
  conversationId?: string | null
  contactId?: string | null
  payload?: Record<string, unknown>
}

/**
 * Writes an event into the outbox inside the caller's transaction: the event
 * exists exactly when the state change it describes has committed. In a
 * transaction of `p.tx` the row is buffered and written with the others just
 * before commit (deferred-writes.ts).
 */
export async function appendEvent(trx: Tx, actor: Actor, event: NewEvent): Promise<void> {
  const row = {
    workspace_id: actor.workspaceId,
    type: event.type,
    conversation_id: event.conversationId ?? null,
    contact_id: event.contactId ?? null,
    actor: JSON.stringify({ type: actor.kind, id: actor.userId, label: actor.label }),
    payload: JSON.stringify(event.payload ?? {}),
    ...(actor.occurredAt && { created_at: actor.occurredAt }),
  }
  if (!deferEvent(trx, row)) await trx.insertInto('events').values(row).execute()
}

/**
 * A listener reacts to committed events. `id` is stable forever (it keys the
 * record of which events it has handled). `handle` must be safe to run twice
 * for the same event, and should skip events its own effects caused.
 *
 * A listener whose effects are in the database runs in a tenant transaction
 * that also records its run: it runs effectively once. On PGlite the
 * dispatcher runs the database listeners of several consecutive events of one
 * workspace in one transaction, and when any of them fails it rolls that back
 * and runs each in a transaction of its own. A listener with `handleMany`
 * gets all its events of such a transaction in one call. On PostgreSQL only
 * listeners with `handleMany` share, and only for the events of one
 * conversation (dispatcher.ts, runConversation). A
 * listener with `database: false` (e.g. a realtime publish) runs without a
 * transaction and its runs are recorded once per dispatcher batch: it runs at
 * least once (a crash before the batch is recorded runs it again).
 */
export type Listener = DatabaseListener | PlainListener

interface ListenerBase {
  id: string
  /** Event types this listener wants; `'*'` for all. */
  types: readonly string[] | '*'
  /**
   * A pure test on the event alone (no I/O, same answer every time): false
   * when the listener has nothing to do with it. Nothing is run, opened or
   * recorded for such an event.
   */
  accepts?(event: DomainEvent): boolean
}

export interface DatabaseListener extends ListenerBase {
  database?: true
  handle(event: DomainEvent, trx: Tx): Promise<void>
  /**
   * Optional: handles several events of one workspace at once (in id order),
   * with the same effects as `handle` on each in turn — e.g. a conversation's
   * clocks recomputed once for its two or three events. Used where the
   * dispatcher runs consecutive events in one transaction (PGlite; on
   * PostgreSQL the events of one conversation); the runs
   * of all of them are recorded in that transaction, so they commit or roll
   * back together. When it fails, each event goes to `handle` on its own.
   */
  handleMany?(events: DomainEvent[], trx: Tx): Promise<void>
  /**
   * The first lock it may take is one of the first rank of the lock order
   * (docs/architecture.md), e.g. the routing lock, before any row. Where the
   * dispatcher shares a transaction between listeners on PostgreSQL it runs
   * such a listener before the others, and never two of them together.
   */
  locksFirst?: boolean
}

export interface PlainListener extends ListenerBase {
  /** Touches no database: runs without a transaction. */
  database: false
  handle(event: DomainEvent): Promise<void>
}
