import { sql } from 'kysely'
import type { Db } from '../db/database.ts'
import { WITH_COMMIT } from '../db/pg-session.ts'
import { withTenant } from '../db/tenant.ts'
import type { Row } from '../db/schema.ts'
import type { Logger } from '../observability/logger.ts'
import { pruneDispatchedEvents } from './retention.ts'
import type { DatabaseListener, DomainEvent, Listener } from './events.ts'

const MAX_ATTEMPTS = 12
/**
 * Events whose database listeners share one transaction, at most. Bounded
 * because on PGlite that transaction holds the one session the API also waits
 * for. The listeners a mail or a create wakes read what they need once per
 * transaction (handleMany, per-transaction memos), so a chunk's hold grows far
 * slower than its size: under the 8-way mail load, chunks of 50 held the
 * session ~7.6 ms on average and ~13 ms at most, chunks of 10 ~3.6 and ~13 ms,
 * four times as often (2026-12-03, busy machine).
 */
export const TOGETHER = 50
/** Consecutive events of one conversation sharing a transaction on PostgreSQL (see runConversation), at most. */
const TOGETHER_PER_CONVERSATION = 10

/** Consecutive events of one workspace, at most TOGETHER each: the id order is kept. */
function workspaceChunks(rows: Row<'events'>[]): Row<'events'>[][] {
  return chunksBy(rows, TOGETHER, (a, b) => a.workspace_id === b.workspace_id)
}

/** Consecutive events of one conversation (events without one stand alone), at most TOGETHER_PER_CONVERSATION each. */
function conversationChunks(rows: Row<'events'>[]): Row<'events'>[][] {
  return chunksBy(rows, TOGETHER_PER_CONVERSATION, (a, b) => a.workspace_id === b.workspace_id && a.conversation_id !== null && a.conversation_id === b.conversation_id)
}

function chunksBy(rows: Row<'events'>[], most: number, together: (first: Row<'events'>, row: Row<'events'>) => boolean): Row<'events'>[][] {
  const chunks: Row<'events'>[][] = []
  for (const row of rows) {
    const last = chunks.at(-1)
    if (last && last.length < most && last[0] && together(last[0], row)) last.push(row)
    else chunks.push([row])
  }
  return chunks
}

export function toDomainEvent(r: Row<'events'>): DomainEvent {
  return {
    id: r.id,
    workspaceId: r.workspace_id,
    type: r.type,
    conversationId: r.conversation_id,
    contactId: r.contact_id,
    actor: r.actor as DomainEvent['actor'],
    payload: r.payload,
    createdAt: r.created_at.toISOString(),
  }
}

export interface DispatcherOptions {
  /** Poll interval when idle (ms). */
  idleMs?: number
  /** Dispatched events older than this are pruned (0: never). */
  retentionDays?: number
  /** How often pruning runs (ms). */
  pruneEveryMs?: number
  /** Event types never pruned: the history that timelines read from the outbox (given by the composition root). */
  keepEventTypes?: readonly string[]
  /**
   * Which listener runs share a transaction. `workspace` (embedded PGlite: one
   * session, so no lock can be waited on, and every statement saved counts):
   * the database listeners of up to TOGETHER consecutive events of one
   * workspace. `conversation` (PostgreSQL): only listeners with `handleMany`,
   * only for consecutive events of one conversation, in lock order (see
   * runConversation). `none` (the default): a transaction per listener run.
   */
  shareTransactions?: 'workspace' | 'conversation' | 'none'
}

/**
 * Delivers outbox events to listeners, at least once, in id order. A listener
 * with database effects runs in its own tenant transaction that also records
 * the run, so it runs effectively once; a crash before the record commits means
 * the event is delivered again after restart. A listener without database
 * effects (`database: false`) runs without a transaction; its runs are
 * recorded in one insert per batch. A failing listener is retried with
 * exponential backoff and does not block the others. Dispatched events older
 * than the retention are pruned in batches (see `retention.ts`).
 */
export class EventDispatcher {
  private timer: NodeJS.Timeout | null = null
  private running: Promise<void> | null = null
  private again = false
  private stopped = true
  private lastPrune = 0
  private readonly idleMs: number
  private readonly retentionDays: number
  private readonly pruneEveryMs: number
  private readonly keepEventTypes: readonly string[]
  private readonly shareTransactions: 'workspace' | 'conversation' | 'none'

  constructor(
    private readonly db: Db,
    private readonly listeners: Listener[],
    private readonly logger: Logger,
    opts: DispatcherOptions = {},
  ) {
    this.idleMs = opts.idleMs ?? 500
    this.retentionDays = opts.retentionDays ?? 7
    this.pruneEveryMs = opts.pruneEveryMs ?? 60 * 60 * 1000
    this.keepEventTypes = opts.keepEventTypes ?? []
    this.shareTransactions = opts.shareTransactions ?? 'none'
  }

  register(listener: Listener): void {
    if (this.listeners.some((l) => l.id === listener.id)) throw new Error(`Duplicate listener id ${listener.id}`)
    this.listeners.push(listener)
  }

  start(): void {
    this.stopped = false
    this.kick()
  }

  /** Asks for a pass soon (after a commit that wrote events). */
  kick(): void {
    if (this.stopped) return
    if (this.running) {
      this.again = true
      return
    }
    if (this.timer) clearTimeout(this.timer)
    this.timer = setTimeout(() => void this.pass(), 0)
  }

  async stop(): Promise<void> {
    this.stopped = true
    if (this.timer) clearTimeout(this.timer)
    await this.running
  }

  /** Runs passes until nothing is due: for tests and for shutdown. */
  async drain(): Promise<void> {
    await this.running
    while ((await this.runOnce()) > 0) {
      /* keep going */
    }
  }

  private async pass(): Promise<void> {
    this.timer = null
    this.running = (async () => {
      try {
        let handled: number
        do {
          this.again = false
          handled = await this.runOnce()
        } while ((handled > 0 || this.again) && !this.stopped)
        if (this.retentionDays > 0 && Date.now() - this.lastPrune >= this.pruneEveryMs && !this.stopped) {
          this.lastPrune = Date.now()
          const pruned = await pruneDispatchedEvents(this.db, this.retentionDays, this.keepEventTypes)
          if (pruned.events + pruned.runs > 0) this.logger.info(pruned, 'pruned dispatched events')
        }
      } catch (err) {
        this.logger.error({ err }, 'event dispatcher pass failed')
      }
    })()
    await this.running
    this.running = null
    if (!this.stopped) this.timer = setTimeout(() => void this.pass(), this.idleMs)
  }

  /** One batch; returns how many events it settled. */
  async runOnce(): Promise<number> {
    // The dispatcher's own bookkeeping is single statements with the owner's
    // privileges, each atomic by itself: wrapping each in BEGIN/COMMIT only added
    // round trips on the session the API also needs (PGlite has one).
    const rows = await this.db
      .selectFrom('events')
      .selectAll()
      .where('dispatched_at', 'is', null)
      .where((eb) => eb.or([eb('next_attempt_at', 'is', null), eb('next_attempt_at', '<=', sql<Date>`now()`)]))
      .orderBy('id')
      .limit(100)
      .execute()
    if (rows.length === 0) return 0
    const done = new Map<string, Set<string>>(rows.map((r) => [r.id, new Set()]))
    const runs = await this.db
      .selectFrom('event_listener_runs')
      .select(['event_id', 'listener_id'])
      .where('event_id', 'in', rows.map((r) => r.id))
      .execute()
    for (const r of runs) done.get(r.event_id)?.add(r.listener_id)
    // A listener that failed in a shared transaction, by event id: not run a second time in this pass.
    const failed = new Map<string, Map<string, unknown>>()
    if (this.shareTransactions === 'workspace') for (const chunk of workspaceChunks(rows)) await this.runTogether(chunk, done, failed, (l) => l.database !== false)
    if (this.shareTransactions === 'conversation') for (const chunk of conversationChunks(rows)) await this.runConversation(chunk, done, failed)
    const delivered: string[] = []
    // Runs of listeners without a transaction, recorded together after the batch.
    const plainRuns: Array<{ event_id: string; listener_id: string }> = []
    for (const row of rows) if (await this.deliver(row, done.get(row.id) ?? new Set(), plainRuns, failed.get(row.id))) delivered.push(row.id)
    if (plainRuns.length > 0)
      await this.db.insertInto('event_listener_runs').values(plainRuns).onConflict((oc) => oc.columns(['event_id', 'listener_id']).doNothing()).execute()
    // Marked once per batch: a crash before this line delivers these events
    // again, and every listener whose run was recorded skips them.
    if (delivered.length > 0)
      await this.db.updateTable('events').set({ dispatched_at: sql`now()`, last_error: null }).where('id', 'in', delivered).execute()
    return rows.length
  }

  /** The listeners that want `event` and have not handled it yet. */
  private pendingFor(event: DomainEvent, done: Set<string>): Listener[] {
    return this.listeners.filter((l) => (l.types === '*' || l.types.includes(event.type)) && !done.has(l.id) && (l.accepts?.(event) ?? true))
  }

  /**
   * PostgreSQL: the events of one conversation, where transactions run side by
   * side and a shared transaction must take its locks in the documented lock
   * order (docs/architecture.md). Only listeners with `handleMany` take part
   * (each call is what handling the events in turn would do, so its own locks
   * keep their order); the others keep a transaction per run.
   *
   * - Events that begin with the conversation's `conversation.created` (what a
   *   create or a new mail wrote): all those listeners in one transaction, the
   *   one that takes a first-rank lock (`locksFirst`, the routing lock) first,
   *   at most one such. The rows they lock after it are the new case's own:
   *   its routing entry, which routing writes only for a case not yet in
   *   routing (for a new case, an insert no other transaction can see), then
   *   its SLA clock row and that entry again, SLA's usual order. So no other
   *   transaction can hold one of them while waiting for a lock this one holds.
   * - Any other run of events: each such listener gets all its events of the
   *   conversation in one transaction of its own.
   */
  private async runConversation(rows: Row<'events'>[], done: Map<string, Set<string>>, failed: Map<string, Map<string, unknown>>): Promise<void> {
    if (rows.length < 2) return
    const many = (l: Listener): l is DatabaseListener & { handleMany: NonNullable<DatabaseListener['handleMany']> } => l.database !== false && l.handleMany !== undefined
    if (rows[0]?.type === 'conversation.created') {
      let first: Listener | undefined
      await this.runTogether(rows, done, failed, (l) => {
        if (!many(l)) return false
        if (!l.locksFirst) return true
        first ??= l
        return first === l
      }, true)
      return
    }
    const listeners = new Set(rows.flatMap((row) => this.pendingFor(toDomainEvent(row), done.get(row.id) ?? new Set()).filter(many)))
    for (const listener of listeners) await this.runTogether(rows, done, failed, (l) => l === listener)
  }

  /**
   * The listeners `take` picks, of consecutive events of one workspace, in one
   * tenant transaction with one insert recording their runs: 4 statements
   * per listener run fewer. A listener with `handleMany` gets all its events
   * of the chunk in one call, at the place of the first (with `lockOrder`, a
   * `locksFirst` listener is moved before the others). Any failure rolls the whole transaction back and
   * leaves them to deliver(), which runs each in a transaction of its own (so
   * one failing listener neither blocks nor repeats the others' effects); the
   * one that failed is noted in `failed` and counts as failed for this pass.
   */
  private async runTogether(
    rows: Row<'events'>[],
    done: Map<string, Set<string>>,
    failed: Map<string, Map<string, unknown>>,
    take: (l: Listener) => boolean,
    lockOrder = false,
  ): Promise<void> {
    const picked = rows.flatMap((row) => {
      const event = toDomainEvent(row)
      const ran = done.get(row.id) ?? new Set<string>()
      return this.pendingFor(event, ran).flatMap((l) => (l.database === false || !take(l) ? [] : [{ event, listener: l, ran }]))
    })
    // A stable sort: the listener taking the first-rank lock before any that takes a row.
    const work = lockOrder ? [...picked.filter((w) => w.listener.locksFirst), ...picked.filter((w) => !w.listener.locksFirst)] : picked
    if (work.length < 2) return
    const workspaceId = rows[0]?.workspace_id as string
    try {
      await withTenant(this.db, workspaceId, async (trx) => {
        const batched = new Set<DatabaseListener>()
        for (const w of work) {
          const { listener } = w
          if (listener.handleMany) {
            // All its events at the place of the first: each listener still sees an event after the ones before it.
            if (batched.has(listener)) continue
            batched.add(listener)
            const events = work.filter((x) => x.listener === listener).map((x) => x.event)
            try {
              await listener.handleMany(events, trx)
            } catch (err) {
              // Which event failed is unknown: with several, deliver() runs each on its own (the others then succeed).
              if (events.length === 1) failed.set(w.event.id, new Map([[listener.id, err]]))
              throw err
            }
            continue
          }
          try {
            await listener.handle(w.event, trx)
          } catch (err) {
            failed.set(w.event.id, new Map([[listener.id, err]]))
            throw err
          }
        }
        // The transaction's last statement: on PostgreSQL it goes with the COMMIT (pg-session.ts).
        await trx.insertInto('event_listener_runs').values(work.map((w) => ({ event_id: w.event.id, listener_id: w.listener.id }))).modifyEnd(sql.raw(WITH_COMMIT)).execute()
      })
    } catch (err) {
      this.logger.debug({ err, workspaceId }, 'listeners run together failed; running each on its own')
      return
    }
    for (const w of work) w.ran.add(w.listener.id)
  }

  /** Runs the listeners that have not handled `row` yet; true when all succeeded. */
  private async deliver(
    row: Row<'events'>,
    done: Set<string>,
    plainRuns: Array<{ event_id: string; listener_id: string }>,
    failedTogether: Map<string, unknown> = new Map(),
  ): Promise<boolean> {
    const event = toDomainEvent(row)
    const errors: string[] = []
    for (const listener of this.pendingFor(event, done)) {
      try {
        if (failedTogether.has(listener.id)) throw failedTogether.get(listener.id)
        if (listener.database === false) {
          await listener.handle(event)
          plainRuns.push({ event_id: event.id, listener_id: listener.id })
        } else {
          await withTenant(this.db, event.workspaceId, async (trx) => {
            await listener.handle(event, trx)
            await trx.insertInto('event_listener_runs').values({ event_id: event.id, listener_id: listener.id }).modifyEnd(sql.raw(WITH_COMMIT)).execute()
          })
        }
      } catch (err) {
        errors.push(`${listener.id}: ${(err as Error).message}`)
        this.logger.warn({ err, eventId: event.id, listener: listener.id }, 'listener failed; will retry')
      }
    }
    if (errors.length === 0) return true
    const attempts = row.attempts + 1
    const giveUp = attempts >= MAX_ATTEMPTS
    if (giveUp) this.logger.error({ eventId: event.id, errors }, 'event delivery abandoned after retries')
    const backoffSeconds = Math.min(2 ** attempts, 600)
    await this.db
      .updateTable('events')
      .set({
        attempts,
        last_error: errors.join('; ').slice(0, 2000),
        next_attempt_at: sql`now() + make_interval(secs => ${backoffSeconds})`,
        dispatched_at: giveUp ? sql`now()` : null,
      })
      .where('id', '=', event.id)
      .execute()
    return false
  }
}
