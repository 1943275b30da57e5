import { setTimeout as sleep } from 'node:timers/promises'
import { sql } from 'kysely'
import type { Database } from './database.ts'
import type { Logger } from '../observability/logger.ts'

/** Timing of the keeper's background work; the defaults suit a small team. */
export interface StatisticsKeeperOptions {
  /** ANALYZE after this many audited writes. */
  everyWrites?: number
  /**
   * The first ANALYZE of a process comes after this many writes, then each one after twice as
   * many as the one before, up to `everyWrites`: plans change most while tables are young.
   */
  firstAfterWrites?: number
  /** ANALYZE this often while anything was written since the last run. */
  everyMs?: number
  /** How often to look for a table to VACUUM (one table per tick). */
  vacuumEveryMs?: number
  /** Ticks a VACUUM may be put off while the session is busy before it runs anyway. */
  vacuumMaxDeferrals?: number
  /** The pause between two tables' ANALYZE, so a request never waits behind more than one. */
  analyzeGapMs?: number
}

/** A table whose dead row versions passed autovacuum's default rule: dead > 50 + 0.2 × live. */
export interface VacuumCandidate {
  table: string
  live: number
  dead: number
}

/**
 * Planner statistics and dead row versions for the embedded database. PGlite
 * runs no autovacuum, so without an explicit ANALYZE every plan is made on
 * default estimates, and plans that were fine on an empty database degrade as
 * data grows (a join tested every identity of a workspace for every open
 * conversation); and without VACUUM the row versions left by every UPDATE and
 * DELETE (an SLA clock evaluation, a claimed job, a dispatched event, a
 * processed mail) stay on disk and in every scan forever. On PostgreSQL
 * autovacuum does both, and the keeper only makes the early ANALYZEs of a
 * process (below): autovacuum looks at a table once a minute, and until then the
 * plans a connection made on a new database's empty tables (generic plans of its
 * named statements after five runs, foreign-key checks) scan whole tables: rows
 * read by sequential scans per API create grew from ~1,000 to ~2,900 over the
 * first 1,500 creates at 8 connections, ~600–1,300 with one ANALYZE early on.
 *
 * ANALYZE runs after migrations changed the schema (migrate.ts, the whole database), every
 * `everyWrites` audited writes (told by the audit appender) and every
 * `everyMs` while anything was written since the last run. A new install's
 * tables were analyzed empty (the migrated template), and the plans made on
 * those statistics can scan where an index would serve (threading's "did a
 * reply arrive first" lookup did): so the first runs of a process come sooner,
 * after 250, 500, 1,000, … writes, until the interval reaches `everyWrites`
 * (on PostgreSQL the keeper stops after that run).
 * The keeper's runs analyze only the tables changed past autovacuum's analyze
 * rule, one statement each, and after a table's first run only its narrow
 * columns (narrowColumns), so none holds PGlite's session for long.
 *
 * VACUUM (plain, never FULL) runs on one table per tick, every `vacuumEveryMs`:
 * the table with most dead rows among those past autovacuum's default rule
 * (`pg_stat_user_tables`: dead > 50 + 0.2 × live). VACUUM cannot run in a
 * transaction and holds PGlite's only session while it runs (~0.4 s for a
 * 200,000-row table with 50,000 dead rows), so a tick waits for a quiet moment:
 * it is skipped while a query holds or waits for the session, unless it was
 * put off `vacuumMaxDeferrals` times in a row (a bloated table slows the busy
 * server more than one VACUUM does).
 */
export class StatisticsKeeper {
  private writes = 0
  private threshold: number
  private timer: NodeJS.Timeout | null = null
  private vacuumTimer: NodeJS.Timeout | null = null
  private deferrals = 0
  private running: Promise<unknown> | null = null
  /** Tables this process has analyzed whole (every column) at least once. */
  private readonly analyzedWhole = new Set<string>()
  private readonly everyWrites: number
  private readonly everyMs: number
  private readonly vacuumEveryMs: number
  private readonly vacuumMaxDeferrals: number
  private readonly analyzeGapMs: number

  constructor(
    private readonly database: Database,
    private readonly logger: Logger,
    opts: StatisticsKeeperOptions = {},
  ) {
    this.everyWrites = opts.everyWrites ?? 5000
    this.threshold = Math.min(this.everyWrites, opts.firstAfterWrites ?? 250)
    this.everyMs = opts.everyMs ?? 60 * 60 * 1000
    this.vacuumEveryMs = opts.vacuumEveryMs ?? 60 * 1000
    this.vacuumMaxDeferrals = opts.vacuumMaxDeferrals ?? 10
    this.analyzeGapMs = opts.analyzeGapMs ?? 25
  }

  /** PGlite: all of the keeper's work. */
  private get enabled(): boolean {
    return this.database.backend === 'pglite'
  }

  /** On PostgreSQL the early ANALYZEs are over: autovacuum has it from there. */
  private earlyOver = false

  /** ANALYZE runs: always on PGlite, the early runs of a process on PostgreSQL. */
  private get analyzing(): boolean {
    return this.enabled || !this.earlyOver
  }

  /**
   * Runs ANALYZE now (on PostgreSQL only while the early runs are not over) on the tables changed
   * enough since their last one, each in a statement of its own; waits for a run in progress.
   * Returns the tables analyzed.
   */
  async analyze(): Promise<string[]> {
    if (!this.analyzing) return []
    if (this.running) {
      await this.running
      return []
    }
    this.writes = 0
    return this.exclusive(async () => {
      const t0 = performance.now()
      const done: string[] = []
      try {
        for (const table of await this.analyzeCandidates()) {
          // One table per pool checkout, a pause between two: the requests queued on PGlite's one
          // session go in between, each waiting behind one table's ANALYZE (~2–30 ms) at most.
          // (PostgreSQL: other connections serve meanwhile, and a whole ANALYZE samples at most 30,000 rows.)
          if (done.length > 0 && this.analyzeGapMs > 0 && this.enabled) await sleep(this.analyzeGapMs)
          // A process's first ANALYZE of a table takes every column; later ones the narrow columns only.
          const columns = this.enabled && this.analyzedWhole.has(table) ? await this.narrowColumns(table) : null
          await this.database.pool.query(columns ? `analyze ${table} (${columns.join(', ')})` : `analyze ${table}`)
          this.analyzedWhole.add(table)
          done.push(table)
        }
        this.logger.debug({ ms: Math.round(performance.now() - t0), tables: done.length }, 'ANALYZE done')
      } catch (err) {
        this.logger.warn({ err }, 'ANALYZE failed')
      }
      return done
    })
  }

  /**
   * The columns of `table` worth refreshing often: not JSON, bytea, tsvector or xml, and ~48 bytes
   * wide or less on average by their last statistics. Sampling and sorting long text and JSON is
   * most of an ANALYZE's time: a 6,000-row messages table took ~145 ms whole and ~9 ms without
   * them, events ~135 → ~43 ms, audit entries ~150 → ~20 ms (bench/session-holds.ts showed those
   * whole ANALYZEs as the API's p99 at 8 connections). The wide columns keep the statistics of the
   * table's first ANALYZE in this process (and of every ANALYZE after migrations): they serve
   * full-text and JSON lookups through their indexes, where those estimates matter little.
   * Null when every column is wide: the whole table then.
   */
  async narrowColumns(table: string): Promise<string[] | null> {
    const { rows } = await sql<{ col: string }>`
      select quote_ident(a.attname) as col
        from pg_attribute a
        join pg_type t on t.oid = a.atttypid
        -- The catalog itself, not the pg_stats view: the view builds every column's arrays (~40 ms cold).
        left join pg_statistic s on s.starelid = a.attrelid and s.staattnum = a.attnum and not s.stainherit
       where a.attrelid = ${table}::regclass and a.attnum > 0 and not a.attisdropped
         and t.typname not in ('json', 'jsonb', 'bytea', 'tsvector', 'xml')
         and coalesce(s.stawidth, 0) <= 48
       order by a.attnum`.execute(this.database.db)
    return rows.length > 0 ? rows.map((r) => r.col) : null
  }

  /**
   * Tables whose rows changed past autovacuum's analyze rule since their last ANALYZE:
   * modified > 50 + 0.1 × rows (`pg_stat_user_tables.n_mod_since_analyze`, the rows from
   * `pg_class.reltuples`, 0 for a table never analyzed). An ANALYZE of the whole database also
   * samples every system catalog: ~100–150 ms in one piece on PGlite even when the tables are
   * small, while the user tables alone take ~15 ms in all.
   */
  async analyzeCandidates(): Promise<string[]> {
    if (!this.analyzing) return []
    const { db } = this.database
    // This session's own counters (PGlite has one session; on PostgreSQL the others' reach the view within seconds).
    if (this.enabled) await sql`select pg_stat_force_next_flush()`.execute(db)
    const { rows } = await sql<{ table: string }>`
      select quote_ident(s.schemaname) || '.' || quote_ident(s.relname) as table
        from pg_stat_user_tables s join pg_class c on c.oid = s.relid
       where s.n_mod_since_analyze > 50 + 0.1 * greatest(c.reltuples, 0)
       order by s.n_mod_since_analyze desc, s.relname`.execute(db)
    return rows.map((r) => r.table)
  }

  /** Tables past autovacuum's rule, most dead rows first (embedded database only). */
  async vacuumCandidates(): Promise<VacuumCandidate[]> {
    if (!this.enabled) return []
    const { db } = this.database
    // A session's counters reach the statistics views when it reports them (at most once a second,
    // on going idle); a flush asked for here happens at the end of this statement's transaction.
    await sql`select pg_stat_force_next_flush()`.execute(db)
    const { rows } = await sql<{ table: string; live: string; dead: string }>`
      select quote_ident(schemaname) || '.' || quote_ident(relname) as table, n_live_tup::text as live, n_dead_tup::text as dead
        from pg_stat_user_tables
       where n_dead_tup > 50 + 0.2 * n_live_tup
       order by n_dead_tup desc, relname`.execute(db)
    return rows.map((r) => ({ table: r.table, live: Number(r.live), dead: Number(r.dead) }))
  }

  /**
   * One VACUUM tick: the table with most dead rows past the rule, if any and
   * the session is quiet (or the tick was put off too often). Returns the table
   * vacuumed, or null.
   */
  async vacuumTick(opts: { force?: boolean } = {}): Promise<string | null> {
    if (!this.enabled || this.running) return null
    const { pool } = this.database
    const busy = pool.waitingCount > 0 || pool.idleCount < pool.totalCount
    if (busy && !opts.force && this.deferrals < this.vacuumMaxDeferrals) {
      this.deferrals++
      return null
    }
    this.deferrals = 0
    return this.exclusive(async () => {
      try {
        const [candidate] = await this.vacuumCandidates()
        if (!candidate) return null
        const t0 = performance.now()
        // Outside any transaction: a pool query on PGlite's one session runs on its own.
        await pool.query(`vacuum ${candidate.table}`)
        this.logger.debug({ ...candidate, ms: Math.round(performance.now() - t0) }, 'VACUUM done')
        return candidate.table
      } catch (err) {
        this.logger.warn({ err }, 'VACUUM failed')
        return null
      }
    })
  }

  /** Counts writes; ANALYZE runs in the background once enough accumulated. */
  noteWrites(n: number): void {
    if (!this.analyzing) return
    this.writes += n
    if (this.writes < this.threshold) return
    if (!this.enabled && this.threshold >= this.everyWrites) this.earlyOver = true
    this.threshold = Math.min(this.everyWrites, this.threshold * 2)
    this.writes = 0
    void this.analyze()
  }

  start(): void {
    if (!this.enabled || this.timer) return
    this.timer = setInterval(() => {
      if (this.writes > 0) void this.analyze()
    }, this.everyMs)
    this.timer.unref()
    this.vacuumTimer = setInterval(() => void this.vacuumTick(), this.vacuumEveryMs)
    this.vacuumTimer.unref()
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer)
    if (this.vacuumTimer) clearInterval(this.vacuumTimer)
    this.timer = null
    this.vacuumTimer = null
    await this.running
  }

  /** One ANALYZE or VACUUM at a time. */
  private async exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = work()
    this.running = run
    try {
      return await run
    } finally {
      this.running = null
    }
  }
}
