import { sql } from 'kysely'
import type { Db } from '../db/database.ts'

const BATCH = 1000

/**
 * Prunes the outbox: events dispatched more than `retentionDays` ago are
 * deleted, except `keepTypes` (a conversation's history: its timeline reads them
 * from the outbox, so they are kept whatever their age, like the messages beside them), in batches of 1,000 rows (short
 * statements that do not hold up the writers); the listener-run bookkeeping of
 * every dispatched event that old goes too (it only matters until the event
 * is dispatched). Runs with the owner's privileges, across workspaces.
 */
export async function pruneDispatchedEvents(db: Db, retentionDays: number, keepTypes: readonly string[]): Promise<{ events: number; runs: number }> {
  const cutoff = sql<Date>`now() - make_interval(days => ${retentionDays})`
  // `in ('')` rather than `in ()`: no event type is empty.
  const keep = sql.join(keepTypes.length > 0 ? [...keepTypes] : [''])
  let events = 0
  let runs = 0
  for (;;) {
    const r = await sql`
      delete from event_listener_runs where (event_id, listener_id) in (
        select r.event_id, r.listener_id from event_listener_runs r join events e on e.id = r.event_id
        where e.dispatched_at < ${cutoff} and e.type in (${keep})
        limit ${BATCH})`.execute(db)
    const n = Number(r.numAffectedRows ?? 0)
    runs += n
    if (n < BATCH) break
  }
  for (;;) {
    // Their runs go with them (ON DELETE CASCADE).
    const r = await sql`
      delete from events where id in (
        select id from events where dispatched_at < ${cutoff} and type not in (${keep})
        limit ${BATCH})`.execute(db)
    const n = Number(r.numAffectedRows ?? 0)
    events += n
    if (n < BATCH) break
  }
  return { events, runs }
}
