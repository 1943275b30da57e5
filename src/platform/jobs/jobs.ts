import { CompiledQuery } from 'kysely'
import PgBoss from 'pg-boss'
import type pg from 'pg'
import type { Tx } from '../db/tenant.ts'
import type { Logger } from '../observability/logger.ts'

export interface JobOptions {
  /** Run no earlier than this many seconds from now. */
  startAfterSeconds?: number
  retryLimit?: number
  retryDelaySeconds?: number
  retryBackoff?: boolean
  singletonKey?: string
  /** The job's id (a UUID): sending the same id again is a no-op, which makes an enqueue idempotent. */
  id?: string
}

/** What a worker is told about the job it runs. */
export interface JobInfo {
  id: string
  /** 0 on the first run, then 1, 2… */
  retryCount: number
  /** Retries allowed in all: the run with retryCount === retryLimit is the last. */
  retryLimit: number
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
  /**
   * Enqueues inside the caller's transaction, so the job exists exactly when
   * the transaction commits (also from a tenant transaction: start() grants
   * the tenant role what the insert needs). The queue must exist already
   * (work() creates it): creating one here would need a second connection,
   * which PGlite's single one cannot give while the transaction holds it.
   */
  sendInTx(trx: Tx, queue: string, data: object, options?: JobOptions): Promise<string | null>
  /**
   * Runs `handler` for each job of the queue. pg-boss polls every interval
   * whether or not it found work, so one job per poll caps a queue at one job
   * per interval: `batchSize` > 1 takes up to that many per poll and runs them
   * one after another, each failing (and retried) on its own.
   */
  work<T extends object>(queue: string, handler: (data: T, job: JobInfo) => Promise<void>, opts?: { batchSize?: number }): Promise<void>
  schedule(queue: string, cron: string, data?: object): Promise<void>
}

export function createJobs(pool: pg.Pool, logger: Logger, opts: { pollingIntervalSeconds?: number } = {}): Jobs {
  let boss: PgBoss | null = null
  /** The running instance's adapter state (start): set once its stop returned. */
  let stoppedState: { stopped: boolean } | null = null
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
      // pg-boss's stop waits for running handlers 5 s at most; a handler still running after that
      // (a slow SLA re-evaluation on a busy machine) ends later, and pg-boss then records its outcome
      // (Manager.fail, complete) through this adapter, after the app may have ended the pool: that
      // rejection reached no one (an unhandledRejection). Once stopped, such a late statement is not
      // run and never answered (an empty answer failed inside pg-boss instead): the stopped worker
      // waits on it for good, holding nothing that keeps the process alive, and the job stays
      // active, so pg-boss retries it after its expiry, in this process's next start or another's.
      const state = { stopped: false }
      stoppedState = state
      boss = new PgBoss({
        db: {
          executeSql: async (text: string, values?: unknown[]) => {
            if (state.stopped) {
              logger.warn({ statement: text.slice(0, 60) }, 'job queue: a statement after stop was not run')
              return new Promise<never>(() => {})
            }
            return pool.query(text, values)
          },
        },
        schema: 'pgboss',
        supervise: true,
        schedule: true,
        migrate: true,
      })
      boss.on('error', (err) => logger.error({ err }, 'job queue error'))
      await boss.start()
      // Tenant transactions (role omnidesk_app) enqueue with sendInTx: the insert reads the queue's settings.
      await pool.query('GRANT USAGE ON SCHEMA pgboss TO omnidesk_app; GRANT SELECT ON pgboss.queue TO omnidesk_app; GRANT SELECT, INSERT ON pgboss.job TO omnidesk_app')
    },
    async stop() {
      if (!boss) return
      const b = boss
      boss = null
      queues.clear()
      await b.stop({ graceful: true, wait: true, timeout: 5000 })
      if (stoppedState) stoppedState.stopped = true
    },
    async send(queue, data, options = {}) {
      await ensureQueue(queue)
      return boss!.send(queue, data, toSendOptions(options))
    },
    async sendInTx(trx, queue, data, options = {}) {
      if (!boss) throw new Error('Jobs are not started')
      if (!queues.has(queue)) throw new Error(`Queue ${queue} does not exist yet: start its worker (work()) before sending to it in a transaction`)
      const db = { executeSql: (text: string, values: unknown[] = []) => trx.executeQuery(CompiledQuery.raw(text, values)) }
      return boss.send(queue, data, { ...toSendOptions(options), db })
    },
    async work(queue, handler, workOpts = {}) {
      await ensureQueue(queue)
      const batchSize = workOpts.batchSize ?? 1
      const b = boss!
      await b.work(queue, { pollingIntervalSeconds: opts.pollingIntervalSeconds ?? 2, batchSize, includeMetadata: true }, async (jobs) => {
        if (batchSize === 1) {
          for (const job of jobs) await handler(job.data as never, { id: job.id, retryCount: job.retryCount, retryLimit: job.retryLimit })
          return
        }
        // A batch: fail each job on its own, so one failure does not retry the others (pg-boss completes only the still-active ones).
        for (const job of jobs) {
          try {
            await handler(job.data as never, { id: job.id, retryCount: job.retryCount, retryLimit: job.retryLimit })
          } catch (err) {
            const message = err instanceof Error ? err.message : String(err)
            await b.fail(queue, job.id, { message }).catch((failErr: unknown) => logger.error({ err: failErr, queue, jobId: job.id }, 'could not record a job failure'))
          }
        }
      })
    },
    async schedule(queue, cron, data = {}) {
      await ensureQueue(queue)
      await boss!.schedule(queue, cron, data)
    },
  }
}

function toSendOptions(options: JobOptions): PgBoss.SendOptions {
  return {
    startAfter: options.startAfterSeconds,
    retryLimit: options.retryLimit ?? 5,
    retryDelay: options.retryDelaySeconds ?? 5,
    retryBackoff: options.retryBackoff ?? true,
    singletonKey: options.singletonKey,
    ...(options.id && { id: options.id }),
  }
}
