import { systemActor } from '../../platform/auth/actor.ts'
import { withSystem } from '../../platform/db/tenant.ts'
import type { Row } from '../../platform/db/schema.ts'
import { appendEvent } from '../../platform/events/events.ts'
import type { Platform } from '../../platform/platform.ts'
import * as repo from './email.repository.ts'
import { createInboundHandler, type HandlerDeps, PermanentFailure } from './inbound-handler.ts'
import { type ParsedEmail, parseEmail, rawHeaderValues } from './parse.ts'
import { createParsePool, type ParsePool } from './parse-pool.ts'

/** Unexpected failures (database down, blob unreadable…) are retried this often before quarantine. */
export const MAX_ATTEMPTS = 3

export type ProcessorDeps = Pick<Platform, 'db' | 'tx' | 'blobs' | 'logger'> &
  HandlerDeps & {
    /** The parser; tests inject a failing one. */
    parse?: (raw: Buffer) => Promise<ParsedEmail>
  }

export interface ProcessorOptions {
  idleMs?: number
  soleOwner?: boolean
  /** Rows claimed per statement (default 16). */
  batchSize?: number
  /** Mails written at once: 1 on the embedded database (one connection), a few on PostgreSQL. */
  concurrency?: number
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
      raw = await deps.blobs.get(row.raw_blob_key)
    } catch (err) {
      return { raw: null, parsed: null, parseError: null, readError: err }
    }
    try {
      return { raw, parsed: await parse(raw), parseError: null, readError: null }
    } catch (err) {
      return { raw, parsed: null, parseError: (err as Error).message || String(err), readError: null }
    }
  }

  /** `claimed`: the row as claimDueAnyWorkspace left it (this attempt already counted). */
  async function processRow(claimed: Row<'inbound_emails'>, prepared: Promise<Prepared>): Promise<void> {
    const ws = claimed.workspace_id
    const before = claimed.attempts - 1
    if (before >= MAX_ATTEMPTS) {
      // Earlier attempts never wrote an outcome: the process died while handling this mail.
      return quarantine(claimed, `processing did not complete after ${before} attempts${claimed.last_error ? ` (last error: ${claimed.last_error})` : ''}`)
    }
    let raw: Buffer | null = null
    try {
      const p = await prepared
      raw = p.raw
      if (p.readError) throw p.readError
      if (p.parseError !== null && claimed.released_at === null) throw new PermanentFailure(`could not parse the message: ${p.parseError}`)
      await handler.handle(claimed, p.parsed, p.parseError)
    } catch (err) {
      const message = (err as Error).message || String(err)
      if (err instanceof PermanentFailure) return quarantine(claimed, message, headerFacts(raw))
      if (claimed.attempts >= MAX_ATTEMPTS) return quarantine(claimed, `failed ${claimed.attempts} times; last error: ${message}`, headerFacts(raw))
      deps.logger.warn({ err, inboundEmailId: claimed.id, attempts: claimed.attempts }, 'inbound email processing failed; will retry')
      const backoffSeconds = 2 ** claimed.attempts * 5
      await deps.tx(ws, (trx) =>
        repo.updateInbound(trx, ws, claimed.id, { last_error: message.slice(0, 2000), next_attempt_at: new Date(Date.now() + backoffSeconds * 1000) }),
      )
    }
  }

  /**
   * One batch; returns how many rows it took. Rows are prepared (read and
   * parsed) a few ahead of the writes and written `concurrency` at a time, in
   * claim order; mails of one thread still decide one after the other (the
   * handler's thread locks).
   */
  async function runOnce(): Promise<number> {
    const rows = await withSystem(deps.db, (trx) => repo.claimDueAnyWorkspace(trx, batchSize))
    const ahead = concurrency + 2
    const prepared: Array<Promise<Prepared>> = []
    const prep = (i: number) => {
      for (let j = prepared.length; j <= Math.min(i, rows.length - 1); j++) prepared.push(prepare(rows[j] as Row<'inbound_emails'>))
      return prepared[i] as Promise<Prepared>
    }
    let next = 0
    const worker = async () => {
      for (let i = next++; i < rows.length; i = next++) {
        prep(i + ahead)
        await processRow(rows[i] as Row<'inbound_emails'>, prep(i))
      }
    }
    await Promise.all(Array.from({ length: Math.min(concurrency, rows.length) }, worker))
    return rows.length
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
