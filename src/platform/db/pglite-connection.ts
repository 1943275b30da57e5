import { EventEmitter } from 'node:events'
import { MemoryFS, type PGlite, protocol } from '@electric-sql/pglite'
import { NodeFS } from '@electric-sql/pglite/nodefs'

type Serialize = typeof protocol.serialize
type Arg<K extends keyof Serialize> = Parameters<Serialize[K]>[0]

/**
 * node-postgres's connection to the embedded PGlite, in place of
 * `@electric-sql/pglite/node-postgres`, whose connection enters PostgreSQL once per protocol
 * message: an extended-protocol query (Parse, Bind, Describe, Execute, Sync) was five calls into
 * the WASM main loop, five promise hops and five file-system syncs. pg corks its stream around
 * the messages of one query; here cork/uncork collect them, and the batch enters PostgreSQL in
 * one call, which answers them in order as a server on a socket would (an error still skips to
 * the Sync). Otherwise the same contract: one session, messages handled in the order sent.
 *
 * The file-system sync after each call is skipped on the Node and memory file systems, whose
 * sync is PGlite's base-class no-op (PostgreSQL's writes reach the directory as it makes them:
 * skipping it changes nothing but the promise and mutex it cost); any other file system keeps it.
 */
export class PgliteConnection extends EventEmitter {
  // The fields node-postgres's Client and Query read or write on a connection.
  _connecting = false
  parsedStatements: Record<string, string> = {}
  submittedNamedStatements: Record<string, string> = {}
  readonly stream = {
    destroy: () => this.end(),
    cork: () => void (this.#corked = true),
    uncork: () => {
      this.#corked = false
      this.#send()
    },
  }

  readonly #lite: PGlite
  readonly #syncToFs: boolean
  /** Messages not yet handed to PostgreSQL (while corked). */
  #pending: Uint8Array[] = []
  #corked = false
  /** The end of the chain of calls into PostgreSQL: one at a time, in order. */
  #queue: Promise<void>

  constructor(lite: PGlite) {
    super()
    this.#lite = lite
    this.#queue = lite.waitReady
    this.#syncToFs = !(lite.fs instanceof NodeFS || lite.fs instanceof MemoryFS)
  }

  async connect(_port?: number, _host?: string): Promise<void> {
    this._connecting = true
    await this.#lite.waitReady
    // No startup exchange: PGlite's one session is ready.
    process.nextTick(() => this.emit('readyForQuery'))
  }

  end(): void {
    this.#queue = this.#queue.then(() => void this.emit('end'))
    for (const event of this.eventNames()) if (event !== 'newListener') this.removeAllListeners(event)
  }

  // The messages node-postgres sends.
  query(text: string) {
    this.#write(protocol.serialize.query(text))
  }
  parse(query: Arg<'parse'>) {
    this.#write(protocol.serialize.parse(query))
  }
  bind(config: Arg<'bind'>) {
    this.#write(protocol.serialize.bind(config))
  }
  describe(msg: Arg<'describe'>) {
    this.#write(protocol.serialize.describe(msg))
  }
  execute(config: Arg<'execute'>) {
    this.#write(protocol.serialize.execute(config))
  }
  close(msg: Arg<'close'>) {
    this.#write(protocol.serialize.close(msg))
  }
  flush() {
    this.#write(protocol.serialize.flush())
  }
  sync() {
    this.#write(protocol.serialize.sync())
  }
  sendCopyFromChunk(chunk: ArrayBuffer) {
    this.#write(protocol.serialize.copyData(chunk))
  }
  endCopyFrom() {
    this.#write(protocol.serialize.copyDone())
  }
  sendCopyFail(message: string) {
    this.#write(protocol.serialize.copyFail(message))
  }
  sendSASLInitialResponseMessage(mechanism: string, initialResponse: string) {
    this.#write(protocol.serialize.sendSASLInitialResponseMessage(mechanism, initialResponse))
  }
  sendSCRAMClientFinalMessage(additionalData: string) {
    this.#write(protocol.serialize.sendSCRAMClientFinalMessage(additionalData))
  }
  // What a socket connection has and one session in this process does not need.
  requestSsl() {}
  startup(_config: unknown) {}
  cancel(_processId: unknown, _secretKey: unknown) {}
  password(_password: string) {}
  ref() {}
  unref() {}

  #write(message: Uint8Array) {
    this.#pending.push(message)
    if (!this.#corked) this.#send()
  }

  #send() {
    if (this.#pending.length === 0) return
    const batch = this.#pending.length === 1 ? this.#pending[0]! : Buffer.concat(this.#pending)
    this.#pending = []
    this.#queue = this.#queue
      .then(() => this.#lite.execProtocolStream(batch, { throwOnError: false, syncToFs: this.#syncToFs }))
      .then((messages) => {
        const raw = this.listenerCount('message') > 0
        for (const m of messages) {
          if (raw) this.emit('message', m)
          this.emit(m.name === 'error' ? 'errorMessage' : m.name, m)
        }
      })
      .catch((err: unknown) => void this.emit('error', err))
  }
}

/** node-postgres client options for the PGlite session (Pool max 1: one session). */
export function pgliteClientConfig(lite: PGlite) {
  return { connection: new PgliteConnection(lite), user: 'postgres', password: 'dummy', database: 'postgres', host: 'localhost', port: 5432 }
}
