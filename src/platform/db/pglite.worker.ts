import { parentPort, workerData } from 'node:worker_threads'
import { PGlite } from '@electric-sql/pglite'

/**
 * The embedded PostgreSQL in a thread of its own (pglite-thread.ts starts it): PostgreSQL's WASM
 * runs here, on the second core, while the main thread serves HTTP and SMTP and runs our code.
 *
 * It answers one message at a time, in the order they come: `exec` hands a batch of protocol
 * messages to PostgreSQL and answers with the raw bytes PostgreSQL wrote (the main thread parses
 * them); `close` closes the database and ends the thread. `execProtocolRawSync` is synchronous,
 * so nothing here interleaves. Errors go back as `{ id, error }` with the message and stack.
 */
export interface ThreadSetup {
  dataDir: string | undefined
  startParams: string[]
  /** PostgreSQL's WASM, compiled once by the main thread and shared with every database thread. */
  wasmModule: WebAssembly.Module
}
export type ThreadRequest = { id: number; op: 'exec'; data: Uint8Array } | { id: number; op: 'close' }
export type ThreadAnswer =
  | { id: 0; ready: true }
  | { id: number; data: Uint8Array }
  | { id: number; closed: true }
  | { id: number; error: { message: string; stack?: string | undefined; code?: unknown } }

const port = parentPort
if (!port) throw new Error('pglite.worker.ts runs as a worker thread (pglite-thread.ts)')
const setup = workerData as ThreadSetup

const errorOf = (err: unknown) =>
  err instanceof Error ? { message: err.message, stack: err.stack, code: (err as { code?: unknown }).code } : { message: String(err) }

let lite: PGlite | undefined
try {
  lite = await PGlite.create(setup.dataDir, { startParams: setup.startParams, pgliteWasmModule: setup.wasmModule })
  port.postMessage({ id: 0, ready: true } satisfies ThreadAnswer)
} catch (err) {
  port.postMessage({ id: 0, error: errorOf(err) } satisfies ThreadAnswer)
}

port.on('message', (req: ThreadRequest) => {
  if (!lite) return port.postMessage({ id: req.id, error: { message: 'the embedded database did not start' } } satisfies ThreadAnswer)
  if (req.op === 'exec') {
    try {
      // A fresh array of just the answer: moved to the main thread, not copied.
      let data = lite.execProtocolRawSync(req.data)
      if (data.byteOffset !== 0 || data.byteLength !== data.buffer.byteLength) data = data.slice()
      port.postMessage({ id: req.id, data } satisfies ThreadAnswer, [data.buffer as ArrayBuffer])
    } catch (err) {
      port.postMessage({ id: req.id, error: errorOf(err) } satisfies ThreadAnswer)
    }
    return
  }
  const id = req.id
  lite.close().then(
    () => port.postMessage({ id, closed: true } satisfies ThreadAnswer),
    (err: unknown) => port.postMessage({ id, error: errorOf(err) } satisfies ThreadAnswer),
  )
  lite = undefined
})
