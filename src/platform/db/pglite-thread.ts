import fs from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { Worker } from 'node:worker_threads'
import { protocol } from '@electric-sql/pglite'
import { workerScript } from '../worker-script.ts'
import type { BackendMessage, LiteBackend } from './pglite-session.ts'
import type { ThreadAnswer, ThreadRequest, ThreadSetup } from './pglite.worker.ts'

const require = createRequire(import.meta.url)
// Node's WebAssembly global; the project's lib settings (no DOM) type only its namespace.
const wasm = (globalThis as unknown as { WebAssembly: { compile(bytes: Uint8Array): Promise<WebAssembly.Module> } }).WebAssembly
let compiled: Promise<WebAssembly.Module> | undefined

/**
 * PostgreSQL's WASM, compiled once per process (with the flags pglite.ts set: Liftoff only) and
 * handed to every database thread, which then instantiates it without compiling: the threads
 * share the compiled code.
 */
function pgliteWasm(): Promise<WebAssembly.Module> {
  // The package's entry points and its pglite.wasm are in the same dist/ folder.
  compiled ??= fs.promises.readFile(path.join(path.dirname(require.resolve('@electric-sql/pglite')), 'pglite.wasm')).then((bytes) => wasm.compile(bytes))
  return compiled
}

interface Call {
  resolve(answer: ThreadAnswer): void
  reject(err: Error): void
}

/**
 * The embedded PostgreSQL (PGlite) in a worker thread (pglite.worker.ts), seen from the main
 * thread: the one call the session makes into PostgreSQL, `execProtocolStream`, becomes a message
 * to the thread with the protocol bytes (moved, not copied) and an answer with the bytes
 * PostgreSQL wrote, parsed here. PostgreSQL's work then runs on the second core while this thread
 * serves HTTP and SMTP and runs the rest of the app; a call costs ~50 µs more than in-process.
 *
 * The session (pglite-session.ts) keeps one call on the way at a time, as before. If the thread
 * dies (PostgreSQL aborted), every call on the way and every later call fails with an error that
 * says so, as an in-process PGlite would after an abort. The thread keeps the process alive only
 * while a call is on the way, like a socket with a query in flight.
 */
export class PgliteThread implements LiteBackend {
  readonly waitReady: Promise<void>
  readonly #worker: Worker
  readonly #calls = new Map<number, Call>()
  readonly #parser = new protocol.Parser()
  #next = 1
  #gone: Error | undefined

  private constructor(worker: Worker) {
    this.#worker = worker
    worker.on('message', (answer: ThreadAnswer) => {
      const call = this.#calls.get(answer.id)
      if (!call) return
      this.#calls.delete(answer.id)
      if (this.#calls.size === 0) worker.unref()
      call.resolve(answer)
    })
    worker.on('error', (err) => this.#lost(new Error(`the embedded database thread failed: ${err.message}`, { cause: err })))
    worker.on('exit', (code) => this.#lost(new Error(`the embedded database thread has exited (code ${code})`)))
    // Answered by the thread once PostgreSQL is up (or failed to start): call 0.
    this.waitReady = this.#await(0).then(() => undefined)
  }

  /** Starts PostgreSQL on `dataDir` (undefined: in memory) in a new thread; `waitReady` says when it is up. */
  static async start(dataDir: string | undefined, startParams: string[]): Promise<PgliteThread> {
    const setup: ThreadSetup = { dataDir, startParams, wasmModule: await pgliteWasm() }
    const script = workerScript('platform/db/pglite.worker')
    return new PgliteThread(new Worker(script.url, { workerData: setup, eval: script.eval, name: 'omnidesk-pglite' }))
  }

  /** PGlite's `execProtocolStream` with `throwOnError: false`: every message PostgreSQL answered, errors included. */
  async execProtocolStream(message: Uint8Array): Promise<BackendMessage[]> {
    // Only the bytes of this message, in a buffer of their own that can be moved (a Buffer may view a shared slab).
    const data = message.byteOffset === 0 && message.byteLength === message.buffer.byteLength && message.buffer instanceof ArrayBuffer ? message : new Uint8Array(message)
    const id = this.#next++
    const answer = this.#await(id)
    this.#post({ id, op: 'exec', data }, [data.buffer as ArrayBuffer])
    const reply = await answer
    const out: BackendMessage[] = []
    if ('data' in reply) this.#parser.parse(reply.data, (m) => out.push(m))
    return out
  }

  /** Closes the database and ends the thread. */
  async close(): Promise<void> {
    if (this.#gone) return
    const id = this.#next++
    const answer = this.#await(id)
    this.#post({ id, op: 'close' })
    try {
      await answer
    } finally {
      await this.#worker.terminate()
    }
  }

  /** Ends the thread at once, without closing the database (as a crash would); calls on the way fail. */
  async terminate(): Promise<void> {
    await this.#worker.terminate()
  }

  #await(id: number): Promise<ThreadAnswer> {
    if (this.#gone) return Promise.reject(this.#gone)
    if (this.#calls.size === 0) this.#worker.ref()
    return new Promise<ThreadAnswer>((resolve, reject) => {
      this.#calls.set(id, {
        resolve: (answer) => {
          if ('error' in answer) reject(Object.assign(new Error(answer.error.message), answer.error))
          else resolve(answer)
        },
        reject,
      })
    })
  }

  #post(req: ThreadRequest, transfer: ArrayBuffer[] = []) {
    if (this.#gone) return
    this.#worker.postMessage(req, transfer)
  }

  #lost(err: Error) {
    this.#gone ??= err
    for (const call of this.#calls.values()) call.reject(this.#gone)
    this.#calls.clear()
  }
}
