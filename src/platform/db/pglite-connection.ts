import { EventEmitter } from 'node:events'
import { MemoryFS, type PGlite, protocol } from '@electric-sql/pglite'
import { NodeFS } from '@electric-sql/pglite/nodefs'
import { mayChangeStatements, StatementCache } from './pglite-statements.ts'

type Serialize = typeof protocol.serialize
type Arg<K extends keyof Serialize> = Parameters<Serialize[K]>[0]
type BackendMessage = Awaited<ReturnType<PGlite['execProtocolStream']>>[number]
type DatabaseError = InstanceType<typeof protocol.messages.DatabaseError>

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
 *
 * Prepared statements: node-postgres sends every query with parameters as an unnamed Parse,
 * which PostgreSQL parses, analyses and plans again each time (half the CPU of an API create
 * before). Here the first Parse of a text is sent under a name (`omnidesk_N`) and the session
 * keeps it; later Parses of the same text (and parameter types) are not sent at all: their
 * ParseComplete is answered in place, in order, and Bind and Describe name the kept statement,
 * so PostgreSQL reuses its parse tree and, after five runs, a generic plan when it costs no more
 * (plan_cache_mode=auto). The cache (pglite-statements.ts) holds 500 texts, least recently used
 * closed first (their CloseComplete is not passed on: node-postgres did not ask); a name counts
 * only once its ParseComplete came back; DDL forgets and closes them all. Named statements of
 * node-postgres's own and parameterless queries (the simple protocol) pass through unchanged.
 * Row-level security stays right: PostgreSQL re-plans a kept statement when the role or
 * `row_security` differs from its planning, and the tenant's id is read at execution
 * (`current_setting`).
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
  #pending: (Uint8Array | typeof PARSED)[] = []
  /** The answers awaited to Parse, Close, Sync and Query messages sent, oldest first. */
  readonly #expected: Expected[] = []
  /** PostgreSQL answered an error and skips messages until the next Sync. */
  #failed = false
  readonly #statements: StatementCache
  /** The cached statement node-postgres's unnamed statement stands for now. */
  #unnamed: string | undefined
  #corked = false
  /** The end of the chain of calls into PostgreSQL: one at a time, in order. */
  #queue: Promise<void>

  constructor(lite: PGlite, opts: { statementCacheSize?: number } = {}) {
    super()
    this.#statements = new StatementCache(opts.statementCacheSize)
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
    if (mayChangeStatements(text)) this.#statements.clear()
    // A simple query replaces the session's unnamed statement.
    this.#unnamed = undefined
    this.#write(protocol.serialize.query(text), SYNC)
  }
  parse(query: Arg<'parse'>) {
    if (query.name) {
      // node-postgres's own named statement (a query config with `name`): its business.
      this.#write(protocol.serialize.parse(query), PARSE)
    } else {
      const use = this.#statements.lookup(query.text, query.types)
      this.#unnamed = use === null ? undefined : 'hit' in use ? use.hit : use.miss
      if (use === null) this.#write(protocol.serialize.parse(query), PARSE)
      else if ('hit' in use) this.#write(PARSED)
      else this.#write(protocol.serialize.parse({ ...query, name: use.miss }), { kind: 'parse', name: use.miss })
    }
    for (const name of this.#statements.takeToClose()) this.#write(protocol.serialize.close({ type: 'S', name }), { kind: 'close', ours: name })
  }
  bind(config: Arg<'bind'>) {
    const unnamed = !config?.statement && this.#unnamed
    this.#write(protocol.serialize.bind(unnamed ? { ...config, statement: unnamed } : config))
  }
  describe(msg: Arg<'describe'>) {
    const unnamed = msg.type === 'S' && !msg.name && this.#unnamed
    this.#write(protocol.serialize.describe(unnamed ? { ...msg, name: unnamed } : msg))
  }
  execute(config: Arg<'execute'>) {
    this.#write(protocol.serialize.execute(config))
  }
  close(msg: Arg<'close'>) {
    if (msg.type === 'S' && !msg.name) this.#unnamed = undefined
    this.#write(protocol.serialize.close(msg), CLOSE)
  }
  flush() {
    this.#write(protocol.serialize.flush())
  }
  sync() {
    this.#write(protocol.serialize.sync(), SYNC)
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

  #write(message: Uint8Array | typeof PARSED, expect?: Expected) {
    this.#pending.push(message)
    if (expect) this.#expected.push(expect)
    if (!this.#corked) this.#send()
  }

  #send() {
    if (this.#pending.length === 0) return
    const items = this.#pending
    this.#pending = []
    // One call into PostgreSQL per run of real messages; a cached statement's ParseComplete is
    // answered in its place, after the answers to what was sent before it.
    let run: Uint8Array[] = []
    const call = () => {
      if (run.length === 0) return
      const batch = run.length === 1 ? run[0]! : Buffer.concat(run)
      run = []
      this.#then(() => this.#lite.execProtocolStream(batch, { throwOnError: false, syncToFs: this.#syncToFs }).then((messages) => this.#receive(messages)))
    }
    for (const item of items) {
      if (item !== PARSED) run.push(item)
      else {
        call()
        // After an error PostgreSQL skips to the Sync: it would not have answered this Parse either.
        this.#then(() => {
          if (!this.#failed) this.#emit(protocol.messages.parseComplete)
        })
      }
    }
    call()
  }

  #then(step: () => void | Promise<void>) {
    this.#queue = this.#queue.then(step).catch((err: unknown) => {
      // The answers of that call are lost: what it parsed or closed is unknown, so start afresh.
      this.#expected.length = 0
      this.#failed = false
      this.#statements.clear()
      this.emit('error', err)
    })
  }

  #receive(messages: BackendMessage[]) {
    for (const m of messages) if (this.#track(m)) this.#emit(m)
  }

  #emit(m: BackendMessage) {
    if (this.listenerCount('message') > 0) this.emit('message', m)
    this.emit(m.name === 'error' ? 'errorMessage' : m.name, m)
  }

  /** Follows the answers to the messages that create and drop statements; false for an answer node-postgres did not ask for. */
  #track(m: BackendMessage): boolean {
    switch (m.name) {
      case 'parseComplete': {
        const e = this.#expected[0]?.kind === 'parse' ? this.#expected.shift() : undefined
        if (e?.kind === 'parse' && e.name) this.#statements.ready(e.name)
        return true
      }
      case 'closeComplete': {
        const e = this.#expected[0]?.kind === 'close' ? this.#expected.shift() : undefined
        return !(e?.kind === 'close' && e.ours)
      }
      case 'readyForQuery': {
        // Everything before the Sync that got no answer was skipped after an error.
        for (let e = this.#expected.shift(); e && e.kind !== 'sync'; e = this.#expected.shift()) {
          if (e.kind === 'parse' && e.name) this.#statements.forget(e.name)
          if (e.kind === 'close' && e.ours) this.#statements.closeSkipped(e.ours)
        }
        this.#failed = false
        return true
      }
      case 'error': {
        this.#failed = true
        // DDL the text check missed (in a function, say): forget every statement so the next try parses afresh.
        const { code, message } = m as DatabaseError
        if ((code === '0A000' && message === 'cached plan must not change result type') || (code === '26000' && message.includes('"omnidesk_'))) this.#statements.clear()
        return true
      }
      default:
        return true
    }
  }
}

/** What the connection waits for in answer to a message, in the order sent. */
type Expected = { kind: 'parse'; name?: string } | { kind: 'close'; ours?: string } | { kind: 'sync' }
const PARSE: Expected = { kind: 'parse' }
const CLOSE: Expected = { kind: 'close' }
const SYNC: Expected = { kind: 'sync' }
/** In place of a Parse not sent: the statement is cached. */
const PARSED = Symbol('parsed')

/** node-postgres client options for the PGlite session (Pool max 1: one session). */
export function pgliteClientConfig(lite: PGlite) {
  return { connection: new PgliteConnection(lite), user: 'postgres', password: 'dummy', database: 'postgres', host: 'localhost', port: 5432 }
}
