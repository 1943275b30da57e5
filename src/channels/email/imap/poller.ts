import type { ImapFlow } from 'imapflow'
import { withSystem } from '../../../platform/db/tenant.ts'
import type { Listener } from '../../../platform/events/events.ts'
import type { Platform } from '../../../platform/platform.ts'
import { openSecrets } from '../../channel.ts'
import type { InboundStore } from '../inbound-store.ts'
import * as repo from './checkpoints.repository.ts'
import { syncFolder } from './folder-sync.ts'
import { createHealthRecorder, type HealthOptions, type HealthRecorder } from './health.ts'
import { type Mailbox, toMailbox } from './imap.types.ts'

export type PollerDeps = Pick<Platform, 'db' | 'tx' | 'box' | 'logger'> & { store: InboundStore }

export interface PollerOptions extends HealthOptions {
  /** Fallback poll when IDLE brings no news (and the poll of folders other than the first). */
  pollIntervalMs: number
  /** How often the inbox settings are read again (changes also trigger a re-scan through inbox events). */
  rescanMs?: number
}

/** IDLE is restarted at least this often: servers may drop an IDLE older than 30 minutes (RFC 2177). */
const MAX_IDLE_MS = 25 * 60_000

interface Worker {
  fingerprint: string
  stop(): Promise<void>
}

/**
 * One connection per mailbox, kept open: sync every folder, then IDLE on the
 * first folder until the server reports new mail (EXISTS) or the poll interval
 * ends, and again. Any failure closes the connection, is recorded in the
 * mailbox's health, and the worker reconnects after the backoff it returns.
 */
function startWorker(deps: PollerDeps, health: HealthRecorder, m: Mailbox, opts: PollerOptions, fingerprint: string): Worker {
  const log = deps.logger.child({ component: 'imap', inboxId: m.inboxId })
  let stopped = false
  let client: ImapFlow | null = null
  // Set by the server's EXISTS (new mail) and by stop(); resolves the current wait early.
  let wake: (() => void) | null = null
  let dirty = false

  const wait = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms)
      function done() {
        clearTimeout(timer)
        wake = null
        resolve()
      }
      wake = done
    })

  async function closeClient(c: ImapFlow): Promise<void> {
    if (!c.usable) return c.close()
    const timeout = new Promise<void>((resolve) => setTimeout(resolve, 3000).unref())
    await Promise.race([c.logout().catch(() => undefined), timeout])
    c.close()
  }

  async function session(): Promise<void> {
    if (m.password === null) throw new Error('the IMAP password of this inbox is not set or cannot be decrypted (was the instance secret key changed?); enter it again')
    // Loaded on first use: most instances never poll IMAP, and imapflow is slow to load.
    const { ImapFlow: Client } = await import('imapflow')
    const c = new Client({
      host: m.host,
      port: m.port,
      secure: m.secure,
      auth: { user: m.user, pass: m.password },
      // imapflow's own logging would include protocol traffic; failures are logged by us, without secrets.
      logger: false,
      // Automatic IDLE starts only after ~15 s of inactivity; we call idle() ourselves.
      disableAutoIdle: true,
      connectionTimeout: 30_000,
      greetingTimeout: 15_000,
      // A silent connection (no reply, no IDLE keepalive) is given up a minute after the longest legitimate silence.
      socketTimeout: Math.min(opts.pollIntervalMs, MAX_IDLE_MS) + 60_000,
    })
    client = c
    c.on('error', (err: Error) => log.debug({ error: err.message }, 'IMAP connection error'))
    // Only the current connection may wake the worker: a closed one's late 'close' must not cut a backoff short.
    c.on('exists', () => {
      if (client !== c) return
      dirty = true
      wake?.()
    })
    c.on('close', () => {
      if (client === c) wake?.()
    })
    try {
      await c.connect()
      while (!stopped) {
        dirty = false
        // The watched folder last, so it is the selected one when IDLE starts.
        for (const folder of [...m.folders.slice(1), ...m.folders.slice(0, 1)]) {
          const r = await syncFolder(deps, c, m, folder, () => stopped)
          if (r.fetched > 0) log.debug({ folder, fetched: r.fetched, duplicates: r.duplicates }, 'IMAP fetched mail')
          if (stopped) return
        }
        await health.success(m)
        if (dirty) continue
        // The next command (the next sync's SELECT) breaks IDLE; its promise settles then.
        c.idle().catch((err: unknown) => log.debug({ error: (err as Error).message }, 'IMAP IDLE ended with an error'))
        await wait(Math.min(opts.pollIntervalMs, MAX_IDLE_MS))
        if (!stopped && !c.usable) throw new Error('the IMAP server closed the connection')
      }
    } finally {
      client = null
      await closeClient(c).catch(() => undefined)
    }
  }

  const done = (async () => {
    while (!stopped) {
      let delay = 0
      try {
        await session()
      } catch (err) {
        if (stopped) break
        delay = await health.failure(m, err).catch((e: unknown) => {
          log.error({ err: e }, 'could not record the IMAP mailbox health')
          return opts.backoffBaseMs ?? 5000
        })
      }
      if (!stopped && delay > 0) await wait(delay)
    }
  })()

  return {
    fingerprint,
    async stop() {
      stopped = true
      wake?.()
      // Let a sync in progress finish its current message; a hung connection is cut.
      const graceful = await Promise.race([done.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 5000).unref())])
      if (!graceful) {
        client?.close()
        await done
      }
    },
  }
}

/**
 * Polls every active email inbox that has IMAP settings, across workspaces.
 * Settings are read at start(), every `rescanMs`, and after inbox events; a
 * mailbox whose settings changed is restarted, one deactivated or deleted is
 * stopped. Without any IMAP inbox nothing connects anywhere.
 */
export function createImapPoller(deps: PollerDeps, opts: PollerOptions) {
  const health = createHealthRecorder(deps, opts)
  const workers = new Map<string, Worker>()
  const log = deps.logger.child({ component: 'imap' })
  let running = false
  let timer: NodeJS.Timeout | null = null
  let scanning: Promise<void> = Promise.resolve()

  function passwordOf(secrets: string | null): string | null {
    if (secrets === null) return null
    try {
      const open = openSecrets(deps.box, secrets) as { imap?: { password?: unknown } }
      return typeof open.imap?.password === 'string' ? open.imap.password : null
    } catch {
      return null
    }
  }

  async function scan(): Promise<void> {
    const rows = await withSystem(deps.db, (trx) => repo.imapInboxesAnyWorkspace(trx))
    const wanted = new Map<string, { mailbox: Mailbox; fingerprint: string }>()
    for (const row of rows) {
      const mailbox = toMailbox(row, passwordOf(row.secrets))
      if (!mailbox) {
        log.error({ inboxId: row.id }, 'the IMAP settings of this inbox are invalid; not polling it')
        continue
      }
      wanted.set(row.id, { mailbox, fingerprint: JSON.stringify([row.config, row.secrets]) })
    }
    if (!running) return
    const stopping: Array<Promise<void>> = []
    for (const [id, w] of workers)
      if (wanted.get(id)?.fingerprint !== w.fingerprint) {
        workers.delete(id)
        stopping.push(w.stop())
      }
    await Promise.all(stopping)
    for (const [id, { mailbox, fingerprint }] of wanted)
      if (!workers.has(id) && running) {
        log.info({ inboxId: id, host: mailbox.host, folders: mailbox.folders }, 'IMAP mailbox: starting')
        workers.set(id, startWorker(deps, health, mailbox, opts, fingerprint))
      }
  }

  /** Scans now, after any scan in progress; scans never overlap. */
  function rescan(): Promise<void> {
    scanning = scanning.then(scan).catch((err: unknown) => log.error({ err }, 'IMAP: reading the inbox settings failed'))
    return scanning
  }

  function schedule() {
    timer = setTimeout(() => {
      void rescan().finally(() => {
        if (running) schedule()
      })
    }, opts.rescanMs ?? 30_000)
    timer.unref()
  }

  return {
    async start(): Promise<void> {
      if (running) return
      running = true
      await rescan()
      schedule()
    },
    rescan,
    async stop(): Promise<void> {
      running = false
      if (timer) clearTimeout(timer)
      await scanning
      await Promise.all([...workers.values()].map((w) => w.stop()))
      workers.clear()
    },
    /** Inbox ids being polled (for tests and diagnostics). */
    get mailboxes(): string[] {
      return [...workers.keys()]
    },
    /** Re-reads the settings soon after an inbox changes. Safe to run twice: a re-scan is idempotent. */
    listener: {
      id: 'email.imap-rescan',
      types: ['inbox.created', 'inbox.updated', 'inbox.deactivated', 'inbox.deleted'],
      async handle() {
        if (running) void rescan()
      },
    } satisfies Listener,
  }
}
export type ImapPoller = ReturnType<typeof createImapPoller>
