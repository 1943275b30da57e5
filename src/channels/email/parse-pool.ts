import os from 'node:os'
import { pathToFileURL } from 'node:url'
import { Piscina } from 'piscina'
import type { Logger } from '../../platform/observability/logger.ts'
import { runsFrom, serverModule } from '../../platform/paths.ts'
import { type ParsedEmail, parseEmail } from './parse.ts'
import type { ParseTaskResult } from './parse.worker.ts'

/**
 * MIME parsing off the main thread: mailparser is CPU-bound (decoding,
 * charset conversion, HTML), and on the main thread it delays the SMTP
 * server, the HTTP API and the database round trips of the mail before it.
 * A piscina pool of worker threads (one per spare core, at most two) parses
 * while the main thread writes. If the pool cannot run (no worker support,
 * the worker file missing from a bundle, a crashed worker), the message is
 * parsed on the main thread instead and the pool is not used again; while
 * the pool's thread is still starting, too.
 */
export function createParsePool(logger: Logger, opts: { threads?: number } = {}) {
  const threads = opts.threads ?? Math.max(1, Math.min(2, os.availableParallelism() - 1))
  let pool: Piscina<Uint8Array[], ParseTaskResult[]> | null = null
  let broken = false
  try {
    // Compiled (dist/*.js) the worker is a .js file beside this one; from the sources (tsx) a .ts file,
    // and the worker needs tsx's loader itself: `scripts/start.mjs` registers tsx in-process
    // (`register()`), which worker threads do not inherit, unlike a `--import tsx` flag.
    const fromSources = runsFrom === 'src'
    // From the bundle too (paths.ts): the compiled worker in dist/.
    const worker = pathToFileURL(serverModule('channels/email/parse.worker'))
    // A worker inherits the process's flags, V8's heap flags (`--max-semi-space-size` of
    // `npm start`) included, but refuses them in an explicit execArgv
    // (ERR_WORKER_INVALID_EXEC_ARGV, and the pool would be lost): only tsx's loader is added.
    const execArgv = fromSources && !process.execArgv.some((a) => a.includes('tsx')) ? [...process.execArgv.filter((a) => !V8_HEAP_FLAG.test(a)), '--import', 'tsx'] : undefined
    pool = new Piscina({ filename: worker.href, minThreads: 0, maxThreads: threads, idleTimeout: 30_000, ...(execArgv && { execArgv }) })
    // A worker that dies outside a task (it failed to load, say) is reported here: without a
    // listener the pool's 'error' event would take the whole server down.
    pool.on('error', (err: unknown) => {
      if (!broken) logger.warn({ err }, 'inbound email: a MIME worker failed; parsing on the main thread from now on')
      broken = true
    })
  } catch (err) {
    logger.warn({ err }, 'inbound email: no MIME worker pool; parsing on the main thread')
  }

  // A worker thread takes a while to start (loading mailparser: 1–2 s under load); the pool
  // starts none until mail comes and lets it go after 30 s idle, for the idle memory. While no
  // thread is ready, mail is parsed on the main thread and an empty task starts one, so the
  // first mails of a burst do not wait for the thread.
  let ready = false
  let warming: Promise<boolean> | null = null
  function warm(p: Piscina<Uint8Array[], ParseTaskResult[]>): Promise<boolean> {
    // In an async function, a Worker that throws while starting rejects instead of throwing here.
    warming ??= (async () => p.run([]))().then(
      () => {
        ready = true
        warming = null
        return true
      },
      (err: unknown) => {
        broken = true
        warming = null
        logger.warn({ err }, 'inbound email: the MIME worker pool failed; parsing on the main thread from now on')
        return false
      },
    )
    return warming
  }

  // Mails asked for in the same turn of the event loop (the processor asks for a claimed batch
  // at once) go to the threads together: one task per thread instead of one per mail, so the
  // main thread posts (and wakes a thread) once per batch, not once per mail.
  interface Asked {
    raw: Buffer
    resolve: (p: ParsedEmail) => void
    reject: (err: unknown) => void
  }
  let asked: Asked[] = []
  function flush(p: Piscina<Uint8Array[], ParseTaskResult[]>): void {
    const all = asked
    asked = []
    const per = Math.ceil(all.length / Math.max(1, Math.min(threads, all.length)))
    for (let i = 0; i < all.length; i += per) void runTask(p, all.slice(i, i + per))
  }
  async function runTask(p: Piscina<Uint8Array[], ParseTaskResult[]>, group: Asked[]): Promise<void> {
    let answers: ParseTaskResult[] | null = null
    try {
      // A copy of just these bytes (a Buffer may view a larger shared slab), moved to the worker, not cloned.
      const bytes = group.map((a) => new Uint8Array(a.raw))
      answers = await p.run(bytes, { transferList: bytes.map((b) => b.buffer) })
    } catch (err) {
      if (!broken) logger.warn({ err }, 'inbound email: the MIME worker pool failed; parsing on the main thread from now on')
      broken = true
    }
    group.forEach((a, i) => {
      const answer = answers?.[i]
      if (!answer) return parseEmail(a.raw).then(a.resolve, a.reject)
      if (!answer.ok) return a.reject(new Error(answer.error))
      a.resolve(revive(answer.parsed))
    })
  }

  return {
    /** Parses `raw`; rejects only when mailparser rejects the message. */
    async parse(raw: Buffer): Promise<ParsedEmail> {
      // The thread exited after its idle timeout: start one again.
      if (pool && ready && pool.threads.length === 0) ready = false
      if (pool && !broken && !ready) void warm(pool)
      const p = pool
      if (p && !broken && ready) {
        return new Promise<ParsedEmail>((resolve, reject) => {
          if (asked.length === 0) setImmediate(() => flush(p))
          asked.push({ raw, resolve, reject })
        })
      }
      return parseEmail(raw)
    },
    /** Starts a worker thread if none is ready: true once one answers, false when parsing stays on the main thread. */
    async warm(): Promise<boolean> {
      if (pool && ready && pool.threads.length === 0) ready = false
      if (!pool || broken) return false
      return ready || warm(pool)
    },
    async close(): Promise<void> {
      const p = pool
      pool = null
      await p?.destroy()
    },
  }
}
export type ParsePool = ReturnType<typeof createParsePool>

/** V8's heap-sizing flags: process-wide, refused in a worker's execArgv. */
const V8_HEAP_FLAG = /^--(max|min)-(semi|old)-space-size\b|^--semi-space-growth-factor\b|^--max-heap-size\b/

/** Structured cloning turns Buffers into plain Uint8Arrays: attachments get their Buffer back (no copy). */
function revive(parsed: ParsedEmail): ParsedEmail {
  return {
    ...parsed,
    attachments: parsed.attachments.map((a) => {
      const c = a.content as Uint8Array
      return { ...a, content: Buffer.isBuffer(c) ? c : Buffer.from(c.buffer, c.byteOffset, c.byteLength) }
    }),
  }
}
