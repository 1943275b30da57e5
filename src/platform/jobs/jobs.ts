import PgBoss from 'pg-boss'
import type pg from 'pg'
import type { Logger } from '../observability/logger.ts'

export interface JobOptions {
  /** Run no earlier than this many seconds from now. */
  startAfterSeconds?: number
  retryLimit?: number
  retryDelaySeconds?: number
  retryBackoff?: boolean
  singletonKey?: string
}

/**
 * Durable jobs, timers, retries and cron on pg-boss, over the same pool as the
 * rest of the app (so it works on PGlite and PostgreSQL alike). Queues are
 * created on first use.
 */
export interface Jobs {
  start(): Promise<void>
  stop(): Promise<void>
  send(queue: string, data: object, options?: JobOptions): Promise<string | null>
  work<T extends object>(queue: string, handler: (data: T, job: { id: string; retryCount: number }) => Promise<void>): Promise<void>
  schedule(queue: string, cron: string, data?: object): Promise<void>
}

export function createJobs(pool: pg.Pool, logger: Logger, opts: { pollingIntervalSeconds?: number } = {}): Jobs {
  let boss: PgBoss | null = null
  const queues = new Set<string>()
  const ensureQueue = async (name: string) => {
    if (!boss) throw new Error('Jobs are not started')
    if (queues.has(name)) return
    await boss.createQueue(name)
    queues.add(name)
  }
  return {
    async start() {
      if (boss) return
      boss = new PgBoss({
        db: { executeSql: async (text: string, values?: unknown[]) => pool.query(text, values) },
        schema: 'pgboss',
        supervise: true,
        schedule: true,
        migrate: true,
      })
      boss.on('error', (err) => logger.error({ err }, 'job queue error'))
      await boss.start()
    },
    async stop() {
      if (!boss) return
      const b = boss
      boss = null
      queues.clear()
      await b.stop({ graceful: true, wait: true, timeout: 5000 })
    },
    async send(queue, data, options = {}) {
      await ensureQueue(queue)
      return boss!.send(queue, data, {
        startAfter: options.startAfterSeconds,
        retryLimit: options.retryLimit ?? 5,
        retryDelay: options.retryDelaySeconds ?? 5,
        retryBackoff: options.retryBackoff ?? true,
        singletonKey: options.singletonKey,
      })
    },
    async work(queue, handler) {
      await ensureQueue(queue)
      await boss!.work(queue, { pollingIntervalSeconds: opts.pollingIntervalSeconds ?? 2, batchSize: 1, includeMetadata: true }, async (jobs) => {
        for (const job of jobs) await handler(job.data as never, { id: job.id, retryCount: job.retryCount })
      })
    },
    async schedule(queue, cron, data = {}) {
      await ensureQueue(queue)
      await boss!.schedule(queue, cron, data)
    },
  }
}
