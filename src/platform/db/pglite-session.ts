import { MemoryFS, type PGlite, protocol } from '@electric-sql/pglite'
import { NodeFS } from '@electric-sql/pglite/nodefs'
import { mayChangeStatements, StatementCache } from './pglite-statements.ts'

type Serialize = typeof protocol.serialize
export type Arg<K extends keyof Serialize> = Parameters<Serialize[K]>[0]
export type BackendMessage = Awaited<ReturnType<PGlite['execProtocolStream']>>[number]
/**
 * What the session needs of PGlite: the in-process `PGlite` itself, or the database thread
 * (pglite-thread.ts). `fs` tells whether a call must sync the file system afterwards.
 */
export interface LiteBackend {
  readonly waitReady: Promise<void>
  readonly fs?: unknown
  execProtocolStream(message: Uint8Array, opts: { throwOnError: false; syncToFs: boolean }): Promise<BackendMessage[]>
}
type DatabaseError = InstanceType<typeof protocol.messages.DatabaseError>
type ReadyForQuery = InstanceType<typeof protocol.messages.ReadyForQueryMessage>

/** A node-postgres connection on the session (pglite-connection.ts): where the answers to its messages go. */
export interface SessionClient {
  /** An answer to a message this client sent, in order. */
  receive(m: BackendMessage): void
  /** A call into PostgreSQL for this client failed: its answers are lost. */
  fail(err: unknown): void
}

/** A message for PostgreSQL, with the answer the session waits for (if it follows statements). */
export interface Outgoing {
  message: Uint8Array | typeof PARSED
  expect?: Expected
}

/**
 * PGlite's one PostgreSQL session, shared by the node-postgres connections of the pool (one at a
 * time: the pool has max 1). It keeps what belongs to the session, not to a connection: the chain
 * of calls into PostgreSQL, the answers awaited, the prepared-statement cache, the statement
 * node-postgres's unnamed one stands for, and whether a transaction is open.
 *
 * Each batch of messages is sent on behalf of one connection, and its answers go to that
 * connection only: when node-postgres drops a client with a query on the way (a query failed
 * through `pool.query`, a client released with an error), the answers still coming are tracked
 * (the statement cache stays right) and discarded, never handed to the next client. `release`
 * then closes what the dropped client left open, as PostgreSQL does when a socket closes: an
 * extended-protocol exchange without its Sync gets one, and an open transaction is rolled back.
 */
export class PgliteSession {
  /** node-postgres's named statements (a query config with `name`) the session holds, by name. */
  readonly parsedStatements: Record<string, string> = {}
  readonly submittedNamedStatements: Record<string, string> = {}
  readonly #lite: LiteBackend
  readonly #syncToFs: boolean
  /** The answers awaited to Parse, Close, Sync and Query messages sent, oldest first. */
  readonly #expected: Expected[] = []
  /** PostgreSQL answered an error and skips messages until the next Sync. */
  #failed = false
  /** The last ReadyForQuery said a transaction is open (or failed). */
  #inTransaction = false
  readonly #statements: StatementCache
  /** The cached statement node-postgres's unnamed statement stands for now. */
  #unnamed: string | undefined
  /** The end of the chain of calls into PostgreSQL: one at a time, in order. */
  #queue: Promise<void>

  constructor(lite: LiteBackend, opts: { statementCacheSize?: number } = {}) {
    this.#statements = new StatementCache(opts.statementCacheSize)
    this.#lite = lite
    this.#queue = lite.waitReady
    // The file-system sync is PGlite's base-class no-op on the Node and memory file systems (the
    // database thread has one of those, and syncs nothing).
    this.#syncToFs = lite.fs !== undefined && !(lite.fs instanceof NodeFS || lite.fs instanceof MemoryFS)
  }

  get ready(): Promise<void> {
    return this.#lite.waitReady
  }

  // The messages node-postgres sends, translated in the order it writes them.
  query(text: string): Outgoing {
    if (mayChangeStatements(text)) this.#statements.clear()
    // A simple query replaces the session's unnamed statement.
    this.#unnamed = undefined
    return { message: protocol.serialize.query(text), expect: SYNC }
  }
  parse(query: Arg<'parse'>): Outgoing[] {
    const out: Outgoing[] = []
    if (query.name) {
      // node-postgres's own named statement (a query config with `name`): its business.
      out.push({ message: protocol.serialize.parse(query), expect: PARSE })
    } else {
      const use = this.#statements.lookup(query.text, query.types)
      this.#unnamed = use === null ? undefined : 'hit' in use ? use.hit : use.miss
      if (use === null) out.push({ message: protocol.serialize.parse(query), expect: PARSE })
      else if ('hit' in use) out.push({ message: PARSED })
      else out.push({ message: protocol.serialize.parse({ ...query, name: use.miss }), expect: { kind: 'parse', name: use.miss } })
    }
    for (const name of this.#statements.takeToClose()) out.push({ message: protocol.serialize.close({ type: 'S', name }), expect: { kind: 'close', ours: name } })
    return out
  }
  bind(config: Arg<'bind'>): Outgoing {
    const unnamed = !config?.statement && this.#unnamed
    // The values are mapped (node-postgres's prepareValue: toPostgres, JSON.stringify) before the
    // serializer sees them: its writer is shared and not reset when a mapping throws half-way,
    // which left the bytes of a failed Bind in front of the next message.
    const { valueMapper, values } = config ?? {}
    const mapped = values && valueMapper ? values.map((v, i) => valueMapper(v, i)) : values
    return { message: protocol.serialize.bind({ ...config, values: mapped, valueMapper: undefined, ...(unnamed ? { statement: unnamed } : {}) }) }
  }
  describe(msg: Arg<'describe'>): Outgoing {
    const unnamed = msg.type === 'S' && !msg.name && this.#unnamed
    return { message: protocol.serialize.describe(unnamed ? { ...msg, name: unnamed } : msg) }
  }
  close(msg: Arg<'close'>): Outgoing {
    if (msg.type === 'S' && !msg.name) this.#unnamed = undefined
    return { message: protocol.serialize.close(msg), expect: CLOSE }
  }
  sync(): Outgoing {
    return { message: protocol.serialize.sync(), expect: SYNC }
  }

  /** Hands `items` to PostgreSQL after everything sent before; the answers go to `client`. */
  send(client: SessionClient, items: Outgoing[]) {
    // One call into PostgreSQL per run of real messages; a cached statement's ParseComplete is
    // answered in its place, after the answers to what was sent before it.
    let run: Uint8Array[] = []
    const call = () => {
      if (run.length === 0) return
      const batch = run.length === 1 ? run[0]! : Buffer.concat(run)
      run = []
      this.#then(client, async () => {
        const messages = await this.#lite.execProtocolStream(batch, { throwOnError: false, syncToFs: this.#syncToFs })
        for (const m of messages) if (this.#track(m)) client.receive(m)
      })
    }
    for (const { message, expect } of items) {
      if (expect) this.#expected.push(expect)
      if (message !== PARSED) run.push(message)
      else {
        call()
        // After an error PostgreSQL skips to the Sync: it would not have answered this Parse either.
        this.#then(client, () => {
          if (!this.#failed) client.receive(protocol.messages.parseComplete)
        })
      }
    }
    call()
  }

  /**
   * `client` has ended (node-postgres dropped it, maybe mid-query): close what it left open once
   * its answers are in, then call `done`. `open`: it sent messages after its last Sync or Query.
   */
  release(client: SessionClient, open: boolean, done: () => void) {
    if (open) this.send(client, [this.sync()])
    this.#then(client, async () => {
      if (!this.#inTransaction) return
      // Untracked: a simple query answered within this call, awaited by no one.
      const messages = await this.#lite.execProtocolStream(protocol.serialize.query('rollback'), { throwOnError: false, syncToFs: this.#syncToFs })
      for (const m of messages) if (m.name === 'readyForQuery') this.#inTransaction = (m as ReadyForQuery).status !== 'I'
    })
    this.#queue = this.#queue.then(done)
  }

  #then(client: SessionClient, step: () => void | Promise<void>) {
    this.#queue = this.#queue.then(step).catch((err: unknown) => {
      // The answers of that call are lost: what it parsed or closed is unknown, so start afresh.
      this.#expected.length = 0
      this.#failed = false
      this.#statements.clear()
      client.fail(err)
    })
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
        this.#inTransaction = (m as ReadyForQuery).status !== 'I'
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

/** What the session waits for in answer to a message, in the order sent. */
type Expected = { kind: 'parse'; name?: string } | { kind: 'close'; ours?: string } | { kind: 'sync' }
const PARSE: Expected = { kind: 'parse' }
const CLOSE: Expected = { kind: 'close' }
const SYNC: Expected = { kind: 'sync' }
/** In place of a Parse not sent: the statement is cached. */
export const PARSED = Symbol('parsed')
