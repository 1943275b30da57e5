import { systemActor } from '../../platform/auth/actor.ts'
import { withSystem } from '../../platform/db/tenant.ts'
import type { Row } from '../../platform/db/schema.ts'
import { appendEvent } from '../../platform/events/events.ts'
import type { Platform } from '../../platform/platform.ts'
import * as repo from './email.repository.ts'
import { AppError } from '../../platform/errors.ts'
import { createInboundHandler, type HandlerDeps, PermanentFailure, type PlannedMail } from './inbound-handler.ts'
import { type ParsedEmail, parseEmail, rawHeaderValues } from './parse.ts'
import { createParsePool, type ParsePool } from './parse-pool.ts'
import type { RecentRaw } from './recent-raw.ts'

/** Unexpected failures (database down, blob unreadable…) are retried this often before quarantine. */
export const MAX_ATTEMPTS = 3

export type ProcessorDeps = Pick<Platform, 'db' | 'tx' | 'blobs' | 'logger'> &
  HandlerDeps & {
    /** The parser; tests inject a failing one. */
    parse?: (raw: Buffer) => Promise<ParsedEmail>
    /** Raw mail the inbound store just wrote, taken from memory instead of the blob store. */
    recent?: RecentRaw
  }

export interface ProcessorOptions {
  idleMs?: number
  soleOwner?: boolean
  /** Rows claimed per statement (default 16). */
  batchSize?: number
  /**
   * Raw bytes of one batch at most (default 4 MiB; a single larger mail still
   * makes a batch of its own). A batch is parsed at once and the next one is
   * parsed while it is written, so this bounds the mail held in memory
   * (about twice this, parsed) whatever the size of the mails.
   */
  batchBytes?: number
  /** Workspace chunks of a batch written at once: 1 on the embedded database (one connection), a few on PostgreSQL. */
  concurrency?: number
  /**
   * PostgreSQL: how long a batch transaction waits for a lock before it
   * gives up and its mails are written one per transaction (see runOnce).
   * Unset on the embedded database, where no other transaction runs beside it.
   */
  batchLockTimeoutMs?: number
  /** MIME worker threads once started (default: one per spare core, at most two); 0: parse on the main thread. */
  parseThreads?: number
}

/**
 * Turns stored inbound mail into conversations, oldest first. Claims due rows
 * in batches (one statement), reads and parses them ahead in a worker pool
 * while earlier ones are written, and writes each in one transaction (thread
 * decision, contact, conversation, message, the row's outcome), `concurrency`
 * at a time. A row stays `received` until that transaction commits, so mail
 * stored before a crash is processed after the restart, exactly once.
 * Shaped like the event dispatcher: kick() after a store, a poll as safety
 * net, drain() for tests. drain() without start() parses on the main thread.
 */
export function createInboundProcessor(deps: ProcessorDeps, opts: ProcessorOptions = {}) {
  const idleMs = opts.idleMs ?? 1000
  const batchSize = opts.batchSize ?? 16
  const batchBytes = opts.batchBytes ?? 4 * 1024 * 1024
  const concurrency = Math.max(1, opts.concurrency ?? 1)
  let pool: ParsePool | null = null
  const parse = deps.parse ?? ((raw: Buffer) => (pool ? pool.parse(raw) : parseEmail(raw)))
  const handler = createInboundHandler(deps)
  let timer: NodeJS.Timeout | null = null
  let running: Promise<void> | null = null
  let again = false
  let stopped = true

  async function quarantine(row: Row<'inbound_emails'>, reason: string, extra: { from?: string | null; subject?: string | null } = {}) {
    const ws = row.workspace_id
    await deps.tx(ws, async (trx) => {
      await repo.updateInbound(trx, ws, row.id, {
        status: 'quarantined',
        reason: reason.slice(0, 2000),
        last_error: reason.slice(0, 2000),
        next_attempt_at: null,
        processed_at: new Date(),
        ...(extra.from !== undefined && { from_address: extra.from }),
        ...(extra.subject !== undefined && { subject: extra.subject }),
      })
      await appendEvent(trx, systemActor(ws, 'email'), { type: 'email.quarantined', payload: { inboundEmailId: row.id, reason: reason.slice(0, 500) } })
    })
    deps.logger.warn({ inboundEmailId: row.id, reason }, 'inbound email quarantined')
  }

  /** Best-effort From/Subject for the quarantine list when the parser gave up. */
  const headerFacts = (raw: Buffer | null) => ({
    from: raw ? (rawHeaderValues(raw, 'from')[0]?.slice(0, 500) ?? null) : null,
    subject: raw ? (rawHeaderValues(raw, 'subject')[0]?.slice(0, 500) ?? null) : null,
  })

  /** Reading and parsing a claimed row: no database, so it runs ahead of the writes. */
  interface Prepared {
    raw: Buffer | null
    parsed: ParsedEmail | null
    parseError: string | null
    /** Reading the blob failed: retried like any unexpected failure. */
    readError: unknown
  }
  async function prepare(row: Row<'inbound_emails'>): Promise<Prepared> {
    let raw: Buffer
    try {
      raw = deps.recent?.take(row.raw_blob_key) ?? (await deps.blobs.get(row.raw_blob_key))
    } catch (err) {
      return { raw: null, parsed: null, parseError: null, readError: err }
    }
    try {
      return { raw, parsed: await parse(raw), parseError: null, readError: null }
    } catch (err) {
      return { raw, parsed: null, parseError: (err as Error).message || String(err), readError: null }
    }
  }

  /** An unexpected failure is retried later (with backoff), a permanent one or the last attempt quarantines. */
  async function failed(claimed: Row<'inbound_emails'>, err: unknown, raw: Buffer | null): Promise<void> {
    const ws = claimed.workspace_id
    const message = (err as Error).message || String(err)
    if (err instanceof PermanentFailure) return quarantine(claimed, message, headerFacts(raw))
    if (claimed.attempts >= MAX_ATTEMPTS) return quarantine(claimed, `failed ${claimed.attempts} times; last error: ${message}`, headerFacts(raw))
    deps.logger.warn({ err, inboundEmailId: claimed.id, attempts: claimed.attempts }, 'inbound email processing failed; will retry')
    const backoffSeconds = 2 ** claimed.attempts * 5
    await deps.tx(ws, (trx) =>
      repo.updateInbound(trx, ws, claimed.id, { last_error: message.slice(0, 2000), next_attempt_at: new Date(Date.now() + backoffSeconds * 1000) }),
    )
  }

  /** What stops a row before planning: too many attempts, an unreadable blob, a parse error (unless released). */
  function refusal(claimed: Row<'inbound_emails'>, p: Prepared): (() => Promise<void>) | null {
    const before = claimed.attempts - 1
    // Earlier attempts never wrote an outcome: the process died while handling this mail.
    if (before >= MAX_ATTEMPTS)
      return () => quarantine(claimed, `processing did not complete after ${before} attempts${claimed.last_error ? ` (last error: ${claimed.last_error})` : ''}`)
    if (p.readError) return () => failed(claimed, p.readError, null)
    if (p.parseError !== null && claimed.released_at === null) return () => failed(claimed, new PermanentFailure(`could not parse the message: ${p.parseError}`), p.raw)
    return null
  }

  /** One mail in a transaction of its own. `claimed`: the row as claimDueAnyWorkspace left it (this attempt already counted). */
  async function processRow(claimed: Row<'inbound_emails'>, p: Prepared): Promise<void> {
    const refused = refusal(claimed, p)
    if (refused) return refused()
    try {
      await handler.handle(claimed, p.parsed, p.parseError)
    } catch (err) {
      await failed(claimed, err, p.raw)
    }
  }

  /**
   * The mails of one workspace in one transaction (each planned first: one
   * that cannot be planned fails on its own). If the transaction fails, the
   * mails are written again one per transaction, so one bad mail fails alone
   * and the others commit.
   */
  async function writeChunk(workspaceId: string, items: Array<{ row: Row<'inbound_emails'>; p: Prepared }>): Promise<void> {
    const plans: PlannedMail[] = []
    for (const { row, p } of items) {
      try {
        plans.push(await handler.plan(row, p.parsed, p.parseError))
      } catch (err) {
        await failed(row, err, p.raw)
      }
    }
    if (plans.length === 0) return
    try {
      await handler.writeBatch(workspaceId, plans, { ...(opts.batchLockTimeoutMs !== undefined && { lockTimeoutMs: opts.batchLockTimeoutMs }) })
      return
    } catch (err) {
      if (plans.length === 1) return failed(plans[0]!.row, err instanceof AppError && err.status < 500 ? new PermanentFailure(`${err.code}: ${err.message}`) : err, items[0]!.p.raw)
      deps.logger.info({ err, mails: plans.length }, 'inbound email: a batch transaction failed; writing its mails one by one')
    }
    const byId = new Map(items.map((i) => [i.row.id, i.p]))
    for (const m of plans) await processRow(m.row, byId.get(m.row.id) as Prepared)
  }

  /** A claimed batch, its rows being read and parsed. */
  interface Claimed {
    rows: Array<Row<'inbound_emails'>>
    prepared: Array<Promise<Prepared>>
  }
  async function claim(): Promise<Claimed> {
    const rows = await withSystem(deps.db, async (trx) => {
      const claimed = await repo.claimDueAnyWorkspace(trx, batchSize)
      // Past the byte budget the rest is given back (due again at once, the attempt not counted), in the same transaction.
      let bytes = 0
      const keep = claimed.findIndex((r, i) => (bytes += Number(r.size)) > batchBytes && i > 0)
      if (keep < 0) return claimed
      await repo.unclaimAnyWorkspace(trx, claimed.slice(keep).map((r) => r.id))
      return claimed.slice(0, keep)
    })
    return { rows, prepared: rows.map((row) => prepare(row)) }
  }
  /** The next batch, claimed while the current one is written (its parsing overlaps the writes). */
  let ahead: Promise<Claimed> | null = null

  /**
   * One batch; returns how many rows it took. The rows were claimed in one
   * statement and are parsed concurrently in the worker pool; as soon as they
   * are parsed, the next batch is claimed, so its parsing overlaps these
   * writes. The mails of each workspace are written in one transaction
   * (`concurrency` workspaces at a time): the thread locks of all of them
   * first, then each mail's thread decision, intake and outcome, in claim
   * order, so a reply later in the batch sees its parent. Those later locks
   * (contact, conversation, the workspace's number) are taken mail after
   * mail, which is not the documented lock order for the batch as a whole:
   * on PostgreSQL the transaction therefore waits at most `batchLockTimeoutMs`
   * for any of them (far below deadlock_timeout) and then rolls back and
   * writes its mails one per transaction, so it never joins a deadlock cycle
   * with a writer that keeps the order.
   */
  async function runOnce(): Promise<number> {
    const pending = ahead ?? claim()
    ahead = null
    const current = await pending
    if (current.rows.length === 0) return 0
    const prepared = await Promise.all(current.prepared)
    if (!stopped && !ahead) {
      ahead = claim()
      // Awaited by the next runOnce (or released by stop()); this only keeps a failure from counting as unhandled meanwhile.
      ahead.catch(() => {})
    }
    const chunks = new Map<string, Array<{ row: Row<'inbound_emails'>; p: Prepared }>>()
    const alone: Array<() => Promise<void>> = []
    current.rows.forEach((row, i) => {
      const p = prepared[i] as Prepared
      const refused = refusal(row, p)
      if (refused) alone.push(refused)
      else chunks.set(row.workspace_id, [...(chunks.get(row.workspace_id) ?? []), { row, p }])
    })
    for (const refused of alone) await refused()
    const queue = [...chunks]
    const worker = async () => {
      for (let next = queue.shift(); next; next = queue.shift()) await writeChunk(next[0], next[1])
    }
    await Promise.all(Array.from({ length: Math.min(concurrency, queue.length) }, worker))
    return current.rows.length
  }

  /** Gives back a batch claimed ahead but not written (stop): due again at once, the attempt not counted. */
  async function releaseAhead(): Promise<void> {
    const next = ahead
    ahead = null
    const claimed = await next?.catch(() => null)
    if (!claimed || claimed.rows.length === 0) return
    await Promise.all(claimed.prepared)
    await withSystem(deps.db, (trx) => repo.unclaimAnyWorkspace(trx, claimed.rows.map((r) => r.id)))
  }

  async function pass(): Promise<void> {
    timer = null
    running = (async () => {
      try {
        let handled: number
        do {
          again = false
          handled = await runOnce()
        } while ((handled > 0 || again) && !stopped)
      } catch (err) {
        deps.logger.error({ err }, 'inbound email pass failed')
      }
    })()
    await running
    running = null
    if (!stopped) timer = setTimeout(() => void pass(), idleMs)
  }

  return {
    /**
     * Begins processing. As the sole owner of the database (embedded PGlite),
     * claims left by a killed process are released first, so the mail it was
     * handling is taken up at once instead of after the claim lease.
     */
    async start(): Promise<void> {
      if (opts.soleOwner) {
        const released = await withSystem(deps.db, (trx) => repo.releaseClaimsAnyWorkspace(trx))
        if (released > 0) deps.logger.info({ released }, 'inbound email: took up mail a previous process had not finished')
      }
      // Parsing moves to worker threads only for a started processor: drain() alone (tests) leaves no threads behind.
      if (!pool && !deps.parse && opts.parseThreads !== 0) pool = createParsePool(deps.logger, { ...(opts.parseThreads && { threads: opts.parseThreads }) })
      stopped = false
      this.kick()
    },
    /** Asks for a pass soon (after mail was stored). */
    kick(): void {
      if (stopped) return
      if (running) {
        again = true
        return
      }
      if (timer) clearTimeout(timer)
      timer = setTimeout(() => void pass(), 0)
    },
    async stop(): Promise<void> {
      stopped = true
      if (timer) clearTimeout(timer)
      await running
      await releaseAhead()
      const p = pool
      pool = null
      await p?.close()
    },
    /** Processes until nothing is due: for tests and shutdown. */
    async drain(): Promise<void> {
      for (;;) {
        if (running) await running
        else if ((await runOnce()) === 0 && !running) return
      }
    },
    runOnce,
  }
}
export type InboundProcessor = ReturnType<typeof createInboundProcessor>
