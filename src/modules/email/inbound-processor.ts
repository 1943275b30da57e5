import { systemActor } from '../../platform/auth/actor.ts'
import { withSystem } from '../../platform/db/tenant.ts'
import type { Row } from '../../platform/db/schema.ts'
import { appendEvent } from '../../platform/events/events.ts'
import type { Platform } from '../../platform/platform.ts'
import * as repo from './email.repository.ts'
import { createInboundHandler, type HandlerDeps, PermanentFailure } from './inbound-handler.ts'
import { type ParsedEmail, parseEmail, rawHeaderValues } from './parse.ts'

/** Unexpected failures (database down, blob unreadable…) are retried this often before quarantine. */
export const MAX_ATTEMPTS = 3

export type ProcessorDeps = Pick<Platform, 'db' | 'tx' | 'blobs' | 'logger'> &
  HandlerDeps & {
    /** The parser; tests inject a failing one. */
    parse?: (raw: Buffer) => Promise<ParsedEmail>
  }

/**
 * Turns stored inbound mail into conversations, oldest first. A row stays
 * `received` until its outcome is written, so mail stored before a crash is
 * processed after the restart; ingestInbound is idempotent on the Message-ID,
 * so a crash between the two commits cannot double a message. Shaped like the
 * event dispatcher: kick() after a store, a poll as safety net, drain() for tests.
 */
export function createInboundProcessor(deps: ProcessorDeps, opts: { idleMs?: number; soleOwner?: boolean } = {}) {
  const idleMs = opts.idleMs ?? 1000
  const parse = deps.parse ?? parseEmail
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

  async function processRow(row: Row<'inbound_emails'>): Promise<void> {
    const ws = row.workspace_id
    if (!(await deps.tx(ws, (trx) => repo.claimInbound(trx, ws, row.id, row.attempts)))) return
    const claimed = { ...row, attempts: row.attempts + 1 }
    if (row.attempts >= MAX_ATTEMPTS) {
      // Earlier attempts never wrote an outcome: the process died while handling this mail.
      return quarantine(claimed, `processing did not complete after ${row.attempts} attempts${row.last_error ? ` (last error: ${row.last_error})` : ''}`)
    }
    let raw: Buffer | null = null
    try {
      raw = await deps.blobs.get(row.raw_blob_key)
      let parsed: ParsedEmail | null = null
      let parseError: string | null = null
      try {
        parsed = await parse(raw)
      } catch (err) {
        parseError = (err as Error).message || String(err)
        if (row.released_at === null) throw new PermanentFailure(`could not parse the message: ${parseError}`)
      }
      await handler.handle(claimed, parsed, parseError)
    } catch (err) {
      const message = (err as Error).message || String(err)
      if (err instanceof PermanentFailure) return quarantine(claimed, message, headerFacts(raw))
      if (claimed.attempts >= MAX_ATTEMPTS) return quarantine(claimed, `failed ${claimed.attempts} times; last error: ${message}`, headerFacts(raw))
      deps.logger.warn({ err, inboundEmailId: row.id, attempts: claimed.attempts }, 'inbound email processing failed; will retry')
      const backoffSeconds = 2 ** claimed.attempts * 5
      await deps.tx(ws, (trx) =>
        repo.updateInbound(trx, ws, row.id, { last_error: message.slice(0, 2000), next_attempt_at: new Date(Date.now() + backoffSeconds * 1000) }),
      )
    }
  }

  /** One batch; returns how many rows it took. */
  async function runOnce(): Promise<number> {
    const rows = await withSystem(deps.db, (trx) => repo.pendingAnyWorkspace(trx, 20))
    for (const row of rows) await processRow(row)
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
