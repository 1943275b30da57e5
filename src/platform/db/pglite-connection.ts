import { EventEmitter } from 'node:events'
import { protocol } from '@electric-sql/pglite'
import pg from 'pg'
import { type Arg, type BackendMessage, type LiteBackend, type Outgoing, PgliteSession, type SessionClient } from './pglite-session.ts'

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
 *
 * Each pool client gets a connection of its own on the one session (pglite-session.ts holds what
 * belongs to the session): the answers to a client's messages reach that client only, so a
 * client node-postgres drops mid-query can leak nothing to the next, and what it left open (an
 * exchange without Sync, a transaction) is closed before the session serves anyone else.
 */
export class PgliteConnection extends EventEmitter implements SessionClient {
  // The fields node-postgres's Client and Query read or write on a connection.
  _connecting = false
  /** node-postgres's own named statements: the session's, so a new client does not parse them again. */
  readonly parsedStatements: Record<string, string>
  readonly submittedNamedStatements: Record<string, string>
  readonly stream = {
    destroy: () => this.end(),
    cork: () => void (this.#corked = true),
    uncork: () => {
      this.#corked = false
      this.#flush()
    },
  }

  readonly #session: PgliteSession
  /** Messages not yet handed to the session (while corked). */
  #pending: Outgoing[] = []
  #corked = false
  /** Messages went out since the last Sync or simple Query: an exchange PostgreSQL still holds open. */
  #open = false
  #ended = false

  constructor(session: PgliteSession) {
    super()
    this.#session = session
    this.parsedStatements = session.parsedStatements
    this.submittedNamedStatements = session.submittedNamedStatements
  }

  async connect(_port?: number, _host?: string): Promise<void> {
    this._connecting = true
    await this.#session.ready
    // No startup exchange: PGlite's one session is ready.
    process.nextTick(() => this.emit('readyForQuery'))
  }

  /** node-postgres ends the client (also `stream.destroy()`, with a query on the way). */
  end(): void {
    if (this.#ended) return
    // Called from inside a query's cork (a Bind that failed, then the pool dropping the client):
    // what node-postgres wrote goes out, so the session's account of it stays whole.
    this.#corked = false
    this.#flush()
    this.#ended = true
    this.#session.release(this, this.#open, () => {
      this.emit('end')
      for (const event of this.eventNames()) if (event !== 'newListener') this.removeAllListeners(event)
    })
  }

  receive(m: BackendMessage) {
    // A socket closed by the client delivers nothing more.
    if (this.#ended) return
    if (this.listenerCount('message') > 0) this.emit('message', m)
    this.emit(m.name === 'error' ? 'errorMessage' : m.name, m)
  }

  fail(err: unknown) {
    if (!this.#ended) this.emit('error', err)
  }

  // The messages node-postgres sends.
  query(text: string) {
    this.#write(false, () => this.#session.query(text))
  }
  parse(query: Arg<'parse'>) {
    this.#write(true, () => this.#session.parse(query))
  }
  bind(config: Arg<'bind'>) {
    this.#write(true, () => this.#session.bind(config))
  }
  describe(msg: Arg<'describe'>) {
    this.#write(true, () => this.#session.describe(msg))
  }
  execute(config: Arg<'execute'>) {
    this.#write(true, () => ({ message: protocol.serialize.execute(config) }))
  }
  close(msg: Arg<'close'>) {
    this.#write(true, () => this.#session.close(msg))
  }
  flush() {
    this.#write(true, () => ({ message: protocol.serialize.flush() }))
  }
  sync() {
    this.#write(false, () => this.#session.sync())
  }
  sendCopyFromChunk(chunk: ArrayBuffer) {
    this.#write(true, () => ({ message: protocol.serialize.copyData(chunk) }))
  }
  endCopyFrom() {
    this.#write(true, () => ({ message: protocol.serialize.copyDone() }))
  }
  sendCopyFail(message: string) {
    this.#write(true, () => ({ message: protocol.serialize.copyFail(message) }))
  }
  sendSASLInitialResponseMessage(mechanism: string, initialResponse: string) {
    this.#write(true, () => ({ message: protocol.serialize.sendSASLInitialResponseMessage(mechanism, initialResponse) }))
  }
  sendSCRAMClientFinalMessage(additionalData: string) {
    this.#write(true, () => ({ message: protocol.serialize.sendSCRAMClientFinalMessage(additionalData) }))
  }
  // What a socket connection has and one session in this process does not need.
  requestSsl() {}
  startup(_config: unknown) {}
  cancel(_processId: unknown, _secretKey: unknown) {}
  password(_password: string) {}
  ref() {}
  unref() {}

  /** `open`: whether PostgreSQL still holds the exchange open after this message (all but Sync and Query). */
  #write(open: boolean, translate: () => Outgoing | Outgoing[]) {
    // A closed socket takes no more messages (the session has released this connection).
    if (this.#ended) return
    const out = translate()
    if (Array.isArray(out)) this.#pending.push(...out)
    else this.#pending.push(out)
    this.#open = open
    if (!this.#corked) this.#flush()
  }

  #flush() {
    if (this.#pending.length === 0) return
    const items = this.#pending
    this.#pending = []
    this.#session.send(this, items)
  }
}

/**
 * node-postgres pool options for the PGlite session (Pool max 1: one session). Every client the
 * pool makes gets a connection of its own on the session.
 */
export function pgliteClientConfig(lite: LiteBackend, opts: { statementCacheSize?: number } = {}) {
  const session = new PgliteSession(lite, opts)
  class PgliteClient extends pg.Client {
    // pg-pool passes its options; the type says no argument.
    constructor(config?: pg.ClientConfig) {
      super({ ...config, connection: new PgliteConnection(session) } as pg.ClientConfig)
    }
  }
  return { Client: PgliteClient, user: 'postgres', password: 'dummy', database: 'postgres', host: 'localhost', port: 5432 }
}
