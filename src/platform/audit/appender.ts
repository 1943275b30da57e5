import { sql } from 'kysely'
import type { Db } from '../db/database.ts'
import type { Row } from '../db/schema.ts'
import type { Logger } from '../observability/logger.ts'
import { GENESIS_HASH, hashOfRow } from './audit.ts'

/** One key for the whole database: one appender at a time, whichever node it runs on. */
const APPENDER_LOCK = 'omnidesk:audit-appender'
/** Entries linked per transaction by default (PostgreSQL: the appender holds none of the writers' connections). */
const BATCH = 500

/**
 * Links committed, unlinked audit entries into their workspace's hash chain:
 * in id order, each gets the next `seq` of its workspace, the previous entry's
 * hash as `prev_hash`, and its own `hash`. One transaction per batch of `batch`
 * entries (default 500; on PGlite's one session a smaller batch keeps each pass
 * short, so requests queued behind it wait less), under a
 * database-wide advisory lock, so there is exactly one appender at a time even
 * with several nodes on one PostgreSQL (a chain never forks). Writers never
 * take that lock: they only insert unlinked entries.
 *
 * `wait`: block until the lock is free (readers that want the chain complete);
 * otherwise give up at once when another appender holds it. Returns how many
 * entries it linked, or -1 when it gave up.
 */
export async function chainPending(db: Db, opts: { wait: boolean; batch?: number }): Promise<number> {
  const batch = opts.batch ?? BATCH
  let linked = 0
  for (;;) {
    const n = await db.transaction().execute(async (trx) => {
      if (opts.wait) await sql`select pg_advisory_xact_lock(hashtextextended(${APPENDER_LOCK}, 0))`.execute(trx)
      else {
        const got = await sql<{ ok: boolean }>`select pg_try_advisory_xact_lock(hashtextextended(${APPENDER_LOCK}, 0)) as ok`.execute(trx)
        if (!got.rows[0]?.ok) return -1
      }
      const pending: Row<'audit_events'>[] = await trx.selectFrom('audit_events').selectAll().where('hash', 'is', null).orderBy('id').limit(batch).execute()
      if (pending.length === 0) return 0
      const workspaces = [...new Set(pending.map((r) => r.workspace_id))]
      // Each workspace's head through its (workspace_id, seq) index: one row per workspace.
      const heads = await sql<{ workspace_id: string; seq: string | null; hash: string | null }>`
        select w.id as workspace_id, h.seq, h.hash
        from unnest(${workspaces}::uuid[]) as w(id)
        left join lateral (
          select seq, hash from audit_events a where a.workspace_id = w.id and a.seq is not null order by a.seq desc limit 1
        ) h on true`.execute(trx)
      const head = new Map(heads.rows.map((h) => [h.workspace_id, { seq: Number(h.seq ?? 0), hash: h.hash ?? GENESIS_HASH }]))
      const links = pending.map((r) => {
        const prev = head.get(r.workspace_id) ?? { seq: 0, hash: GENESIS_HASH }
        const seq = String(prev.seq + 1)
        const hash = hashOfRow(r, seq, prev.hash)
        head.set(r.workspace_id, { seq: prev.seq + 1, hash })
        return sql`(${r.id}::bigint, ${seq}::bigint, ${prev.hash}, ${hash})`
      })
      const updated = await sql`
        update audit_events a set seq = v.seq, prev_hash = v.prev_hash, hash = v.hash
        from (values ${sql.join(links)}) as v(id, seq, prev_hash, hash)
        where a.id = v.id and a.hash is null`.execute(trx)
      // Under the lock nobody else links: anything else means the table changed under us.
      if (Number(updated.numAffectedRows ?? 0) !== pending.length) throw new Error(`audit appender linked ${updated.numAffectedRows} of ${pending.length} entries`)
      return pending.length
    })
    if (n < 0) return linked > 0 ? linked : -1
    linked += n
    if (n < batch) return linked
  }
}

/**
 * Runs `chainPending` in the background: woken after every commit, and every
 * `idleMs` as a safety net (entries committed by another node, a pass that
 * failed). A wake-up starts a pass `lingerMs` later, and wake-ups meanwhile
 * (or during a pass) join the next one: under a steady load a pass links the
 * entries of many commits (~6 statements each pass) instead of one or two.
 * Readers never wait for it (they link what is committed first, see flush()).
 */
export class AuditAppender {
  private timer: NodeJS.Timeout | null = null
  /** The pending timer is a wake-up's (not the idle poll): later wake-ups join it. */
  private woken = false
  private running: Promise<void> | null = null
  private again = false
  private stopped = true

  constructor(
    private readonly db: Db,
    private readonly logger: Logger,
    private readonly idleMs = 1000,
    /** Told how many entries each pass linked (e.g. to keep statistics fresh). */
    private readonly onLinked: (n: number) => void = () => {},
    private readonly lingerMs = 0,
    /** Entries per transaction (chainPending's `batch`). */
    private readonly batch?: number,
  ) {}

  start(): void {
    this.stopped = false
    this.kick()
  }

  kick(): void {
    if (this.stopped) return
    if (this.running) {
      this.again = true
      return
    }
    if (this.woken) return
    this.schedule(this.lingerMs, true)
  }

  async stop(): Promise<void> {
    this.stopped = true
    if (this.timer) clearTimeout(this.timer)
    await this.running
  }

  /** Links everything committed so far, waiting for another appender if need be. */
  async flush(): Promise<void> {
    await chainPending(this.db, { wait: true })
  }

  private schedule(ms: number, woken: boolean): void {
    if (this.timer) clearTimeout(this.timer)
    this.woken = woken
    this.timer = setTimeout(() => void this.pass(), ms)
  }

  private async pass(): Promise<void> {
    this.timer = null
    this.woken = false
    this.again = false
    this.running = (async () => {
      try {
        const n = await chainPending(this.db, { wait: false, ...(this.batch && { batch: this.batch }) })
        if (n > 0) this.onLinked(n)
      } catch (err) {
        this.logger.error({ err }, 'audit appender pass failed')
      }
    })()
    await this.running
    this.running = null
    // Woken during the pass: the next one after the linger, with whatever committed meanwhile.
    if (!this.stopped) this.schedule(this.again ? this.lingerMs : this.idleMs, this.again)
  }
}
