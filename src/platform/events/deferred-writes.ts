import { type Insertable, sql } from 'kysely'
import type { Tx } from '../db/tenant.ts'
import { WITH_COMMIT } from '../db/pg-session.ts'
import type { AuditEventsTable, EventsTable } from '../db/schema.ts'

/**
 * The outbox events and audit entries of one transaction, written together
 * by one statement just before it commits instead of one INSERT each as they
 * are recorded (a conversation create records three events and two audit
 * entries). They still commit or roll back with the change they describe;
 * their ids keep the order they were recorded in (one multi-row INSERT per
 * table, its rows in order).
 *
 * Only transactions opened with `deferring` buffer; in any other transaction
 * (the dispatcher's, the CLI's, a bare `db.transaction()`) appendEvent and
 * recordAudit write at once, as before. Nothing in a buffering transaction
 * may read back its own events or audit entries before it commits (no use
 * case does: timelines and the chain are read by other requests).
 */
interface Pending {
  events: Insertable<EventsTable>[]
  audit: Insertable<AuditEventsTable>[]
}

const pending = new WeakMap<Tx, Pending>()

/** Runs `fn` with `trx` buffering its events and audit entries, then writes them in one statement. */
export async function deferring<T>(trx: Tx, fn: (trx: Tx) => Promise<T>): Promise<T> {
  const buffer: Pending = { events: [], audit: [] }
  pending.set(trx, buffer)
  try {
    const result = await fn(trx)
    await flush(trx, buffer)
    return result
  } finally {
    pending.delete(trx)
  }
}

/** Buffers the row when `trx` defers its writes; false when the caller must insert it now. */
export function deferEvent(trx: Tx, row: Insertable<EventsTable>): boolean {
  const buffer = pending.get(trx)
  buffer?.events.push(row)
  return buffer !== undefined
}

/** Like deferEvent, for an audit entry. */
export function deferAudit(trx: Tx, row: Insertable<AuditEventsTable>): boolean {
  const buffer = pending.get(trx)
  buffer?.audit.push(row)
  return buffer !== undefined
}

async function flush(trx: Tx, buffer: Pending): Promise<void> {
  const { events, audit } = buffer
  buffer.events = []
  buffer.audit = []
  // Nothing reads what it answers: on PostgreSQL it goes with the COMMIT (pg-session.ts, WITH_COMMIT).
  const withCommit = sql.raw(WITH_COMMIT)
  if (events.length > 0 && audit.length > 0) {
    // Two data-modifying CTEs run once each, whether or not the outer query reads them.
    await trx
      .with('e', (db) => db.insertInto('events').values(events))
      .with('a', (db) => db.insertInto('audit_events').values(audit))
      .selectNoFrom(sql<number>`1`.as('written'))
      .modifyEnd(withCommit)
      .execute()
  } else if (events.length > 0) await trx.insertInto('events').values(events).modifyEnd(withCommit).execute()
  else if (audit.length > 0) await trx.insertInto('audit_events').values(audit).modifyEnd(withCommit).execute()
}
