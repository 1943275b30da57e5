import { createHash } from 'node:crypto'
import type { PostgresCursor, PostgresPool, PostgresPoolClient, PostgresQueryResult } from 'kysely'
import type pg from 'pg'
import { mayChangeStatements } from './pglite-statements.ts'

/**
 * The pool Kysely is given on PostgreSQL: node-postgres's pool, with two savings per statement
 * round trip on the clients it hands out.
 *
 * **BEGIN travels with the next statement.** Kysely opens a transaction with a statement of its
 * own (`begin`), one round trip that answers nothing. Here it is held back and sent with the
 * transaction's first statement: when that statement has no parameters, as one simple-protocol
 * query `begin;<statement>` (PostgreSQL runs both in order; an explicit BEGIN keeps the
 * transaction open after the query string; the statement's result is the last one). The tenant
 * switch (tenant.ts) is such a statement. A statement with parameters needs the extended
 * protocol, which takes one statement per message, so `begin` goes first on its own, as before.
 * A transaction that ends before any statement sends nothing at all: its COMMIT or ROLLBACK is
 * answered here (an empty transaction changes nothing). Errors are those of the unmerged
 * sequence: a statement that fails after the BEGIN leaves the transaction aborted and Kysely
 * rolls it back; a string PostgreSQL cannot parse runs nothing, not even the BEGIN, and the
 * ROLLBACK that follows is a no-op (a warning, not an error).
 *
 * **Named prepared statements.** node-postgres sends a query with parameters as an unnamed
 * statement, which PostgreSQL parses, analyses and plans on every run. Here it gets a name
 * derived from its text (`od<generation>_<hash>`), so each connection parses it once and later
 * runs only bind and execute (PostgreSQL keeps the plan, or after five runs a generic one when
 * it costs no more). Bounded: a connection names its first `statementNames` texts (default 500),
 * then sends the rest unnamed. DDL can make a kept statement unusable ("cached plan must not
 * change result type" after a column is added under a `select *`): a DDL statement run through
 * this pool stops naming on every connection until it is next checked out, when `deallocate all`
 * drops its statements and it starts a new generation of names. DDL from elsewhere (another
 * process, a raw `pool.query`) surfaces as that error once: the connection starts afresh the
 * same way, and a statement outside a transaction is retried unnamed (inside one it fails, as
 * the transaction is already aborted).
 */
export function sessionPool(pool: pg.Pool, opts: { statementNames?: number } = {}): PostgresPool {
  const shared: Shared = { schema: 0, statementNames: opts.statementNames ?? 500 }
  return {
    async connect() {
      const client = await pool.connect()
      let state = states.get(client)
      if (!state) states.set(client, (state = { schema: shared.schema, generation: 0, names: new Set() }))
      if (state.schema !== shared.schema) {
        try {
          if (state.names.size > 0) await client.query('deallocate all')
        } catch (err) {
          client.release(err as Error)
          throw err
        }
        state.schema = shared.schema
        state.generation++
        state.names.clear()
      }
      return new SessionClient(client, state, shared)
    },
    end: () => pool.end(),
  }
}

interface Shared {
  /** Bumped by every DDL statement run through the pool: connections named under an older one start afresh. */
  schema: number
  statementNames: number
}

interface ClientState {
  /** The `shared.schema` its names were made under; -1 once a kept statement failed. */
  schema: number
  /** Part of every name, so names of before a `deallocate all` are never taken for kept ones. */
  generation: number
  /** The names this connection has used (node-postgres parses each once per connection). */
  names: Set<string>
}

/** Per pg client, for the client's life (node-postgres keeps its parsed statements as long). */
const states = new WeakMap<pg.PoolClient, ClientState>()

const BEGIN = /^\s*(?:begin|start\s+transaction)\b[^;]*$/i
const END = /^\s*(commit|rollback|end|abort)\s*;?\s*$/i
const STALE_PLAN = 'cached plan must not change result type'

type Result = pg.QueryResult<pg.QueryResultRow>

class SessionClient implements PostgresPoolClient {
  /** The BEGIN (or START TRANSACTION …) Kysely asked for and that is not sent yet. */
  #begin: string | undefined
  /** A transaction is open on the session (its BEGIN was sent). */
  #inTransaction = false

  constructor(
    readonly client: pg.PoolClient,
    readonly state: ClientState,
    readonly shared: Shared,
  ) {}

  // Kysely's PostgresPoolClient declares an overload for cursors; Kysely calls it only when a
  // cursor is configured, which this pool's dialect never is.
  query<R>(sql: string, parameters: ReadonlyArray<unknown>): Promise<PostgresQueryResult<R>>
  query<R>(cursor: PostgresCursor<R>): PostgresCursor<R>
  query(text: string | PostgresCursor<unknown>, parameters?: ReadonlyArray<unknown>): Promise<PostgresQueryResult<unknown>> | PostgresCursor<unknown> {
    if (typeof text !== 'string' || !parameters) throw new TypeError('pg-session: only (sql, parameters) queries are supported')
    return this.#query(text, parameters) as Promise<unknown> as Promise<PostgresQueryResult<unknown>>
  }

  async #query(text: string, parameters: ReadonlyArray<unknown>): Promise<Result> {
    if (this.#begin === undefined && !this.#inTransaction && BEGIN.test(text)) {
      this.#begin = text
      return empty('BEGIN')
    }
    const begin = this.#begin
    const end = END.exec(text)
    if (begin !== undefined) {
      this.#begin = undefined
      // Nothing ran in this transaction: nothing to send.
      if (end) return empty(end[1]!.toLowerCase() === 'commit' || end[1]!.toLowerCase() === 'end' ? 'COMMIT' : 'ROLLBACK')
      this.#inTransaction = true
      if (parameters.length === 0) {
        const results = (await this.#send(`${begin};${text}`, [])) as unknown as Result[]
        return (results.length === 2 ? results[1] : results.slice(1)) as Result
      }
      await this.client.query(begin)
    }
    if (end) this.#inTransaction = false
    return this.#send(text, parameters)
  }

  async #send(text: string, parameters: ReadonlyArray<unknown>): Promise<Result> {
    if (mayChangeStatements(text)) {
      // Counted before it runs: a connection checked out meanwhile must not name under the old schema.
      this.shared.schema++
      return this.client.query(text, parameters as unknown[])
    }
    const name = parameters.length > 0 ? this.#nameFor(text) : undefined
    if (!name) return this.client.query(text, parameters as unknown[])
    try {
      return await this.client.query({ name, text, values: parameters as unknown[] })
    } catch (err) {
      if (!isStalePlan(err)) throw err
      this.state.schema = -1 // the next checkout drops this connection's statements
      if (this.#inTransaction) throw err
      return this.client.query(text, parameters as unknown[])
    }
  }

  /** The name for `text` on this connection, or undefined to send it unnamed. */
  #nameFor(text: string): string | undefined {
    if (this.state.schema !== this.shared.schema || this.shared.statementNames === 0) return undefined
    const name = `od${this.state.generation}_${createHash('sha1').update(text).digest('base64url')}`
    if (this.state.names.has(name)) return name
    if (this.state.names.size >= this.shared.statementNames) return undefined
    this.state.names.add(name)
    return name
  }

  release(err?: Error | boolean) {
    this.#begin = undefined
    this.#inTransaction = false
    this.client.release(err)
  }
}

function empty(command: string): Result {
  return { command, rowCount: null, rows: [], oid: 0, fields: [] }
}

/** A kept statement PostgreSQL can no longer run: its result type changed, or it was deallocated behind our back. */
function isStalePlan(err: unknown): boolean {
  const e = err as { code?: string; message?: string } | null
  return (e?.code === '0A000' && e.message?.includes(STALE_PLAN) === true) || e?.code === '26000'
}
