import type { Database } from './database.ts'
import type { Logger } from '../observability/logger.ts'

/**
 * Planner statistics for the embedded database. PGlite runs no autovacuum, so
 * without an explicit ANALYZE every plan is made on default estimates, and
 * plans that were fine on an empty database degrade as data grows (a join
 * tested every identity of a workspace for every open conversation). On
 * PostgreSQL autovacuum does this; the keeper does nothing there.
 *
 * ANALYZE runs after migrations changed the schema (migrate.ts), every
 * `everyWrites` audited writes (told by the audit appender) and every
 * `everyMs` while anything was written since the last run.
 */
export class StatisticsKeeper {
  private writes = 0
  private timer: NodeJS.Timeout | null = null
  private running: Promise<void> | null = null

  constructor(
    private readonly database: Database,
    private readonly logger: Logger,
    private readonly everyWrites = 5000,
    private readonly everyMs = 60 * 60 * 1000,
  ) {}

  private get enabled(): boolean {
    return this.database.backend === 'pglite'
  }

  /** Runs ANALYZE now (embedded database only); waits for a run in progress. */
  async analyze(): Promise<void> {
    if (!this.enabled) return
    if (this.running) return this.running
    this.writes = 0
    this.running = (async () => {
      const t0 = performance.now()
      try {
        await this.database.analyze()
        this.logger.debug({ ms: Math.round(performance.now() - t0) }, 'ANALYZE done')
      } catch (err) {
        this.logger.warn({ err }, 'ANALYZE failed')
      } finally {
        this.running = null
      }
    })()
    return this.running
  }

  /** Counts writes; ANALYZE runs in the background once enough accumulated. */
  noteWrites(n: number): void {
    if (!this.enabled) return
    this.writes += n
    if (this.writes >= this.everyWrites) void this.analyze()
  }

  start(): void {
    if (!this.enabled || this.timer) return
    this.timer = setInterval(() => {
      if (this.writes > 0) void this.analyze()
    }, this.everyMs)
    this.timer.unref()
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer)
    this.timer = null
    await this.running
  }
}
