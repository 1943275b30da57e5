import { createHash } from 'node:crypto'
import { createRequire } from 'node:module'
import type { PostgresCursor, PostgresPool, PostgresPoolClient, PostgresQueryResult } from 'kysely'
import type pg from 'pg'
import { mayChangeStatements } from './pglite-statements.ts'

/**
 * The pool Kysely is given on PostgreSQL: node-postgres's pool, with three savings of statement
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
 * **A transaction's last write travels with its COMMIT.** A statement marked `WITH_COMMIT` (the
 * outbox events and audit entries a transaction writes just before it commits, deferred-writes.ts)
 * answers nothing its caller reads: it is held back, answered at once with no rows, and sent with
 * the COMMIT that follows as one simple-protocol query `<statement>;commit`, its parameters written
 * as literals exactly as node-postgres would have sent them (`prepareValue`, then `escapeLiteral`).
 * One round trip fewer per write transaction, and the last lock a create takes (the workspace's
 * number, docs/architecture.md "Lock order") is held for one round trip instead of two. When it
 * fails, the COMMIT is not run (PostgreSQL stops a query string at its first error) and the COMMIT
 * answers that error: Kysely rolls back, as when the statement itself failed. Any other statement
 * after it sends it first, as before; a ROLLBACK drops it. A value without a text form that
 * node-postgres would send as is (a Buffer), or an unmarked transaction, keeps the two round trips.
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

/** node-postgres's own conversion of a parameter to the text it binds (not in its typings). */
const pgUtils = createRequire(import.meta.url)('pg/lib/utils.js') as { prepareValue(v: unknown): unknown }

/** Ends a statement that may travel with its transaction's COMMIT (see above); a comment elsewhere. */
export const WITH_COMMIT = '/* omnidesk:with-commit */'

const BEGIN = /^\s*(?:begin|start\s+transaction)\b[^;]*$/i
const END = /^\s*(commit|rollback|end|abort)\s*;?\s*$/i
const STALE_PLAN = 'cached plan must not change result type'

type Result = pg.QueryResult<pg.QueryResultRow>

class SessionClient implements PostgresPoolClient {
  /** The BEGIN (or START TRANSACTION …) Kysely asked for and that is not sent yet. */
  #begin: string | undefined
  /** A transaction is open on the session (its BEGIN was sent). */
  #inTransaction = false
  /** A WITH_COMMIT statement held back for the COMMIT, as literal SQL. */
  #held: string | undefined

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
    const held = this.#held
    this.#held = undefined
    if (held !== undefined) {
      const verb = end?.[1]!.toLowerCase()
      if (verb === 'commit' || verb === 'end') {
        this.#inTransaction = false
        const results = (await this.client.query(`${held};${text}`)) as unknown as Result[]
        return results[results.length - 1]!
      }
      // A ROLLBACK drops it (it would be rolled back); anything else runs after it.
      if (!end) await this.client.query(held)
    }
    if (end) this.#inTransaction = false
    else if (this.#inTransaction && text.endsWith(WITH_COMMIT)) {
      const literal = inlined(text, parameters, (v) => this.client.escapeLiteral(v))
      if (literal !== undefined) {
        this.#held = literal
        // Answered now, with no rows: nothing reads them (Kysely counts affected rows only for INSERT, UPDATE, DELETE).
        return { ...empty('SELECT'), rowCount: 0 }
      }
    }
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
    this.#held = undefined
    this.#begin = undefined
    this.#inTransaction = false
    this.client.release(err)
  }
}

/**
 * `text` with each `$n` replaced by parameter n as a literal, in the text node-postgres would have
 * bound (`prepareValue`); undefined when a value has no such text (a Buffer goes as binary). Only for
 * the statements this project marks WITH_COMMIT: built by Kysely, no `$` inside quoted text.
 */
function inlined(text: string, parameters: ReadonlyArray<unknown>, escape: (v: string) => string): string | undefined {
  const literals: string[] = []
  for (const p of parameters) {
    const v: unknown = pgUtils.prepareValue(p)
    if (v === null || v === undefined) literals.push('NULL')
    else if (typeof v === 'string') literals.push(escape(v))
    else return undefined
  }
  let ok = true
  const out = text.replace(/\$(\d+)/g, (_, n: string) => {
    const lit = literals[Number(n) - 1]
    if (lit === undefined) ok = false
    return lit ?? ''
  })
  return ok ? out : undefined
}

function empty(command: string): Result {
  return { command, rowCount: null, rows: [], oid: 0, fields: [] }
}

/** A kept statement PostgreSQL can no longer run: its result type changed, or it was deallocated behind our back. */
function isStalePlan(err: unknown): boolean {
  const e = err as { code?: string; message?: string } | null
  return (e?.code === '0A000' && e.message?.includes(STALE_PLAN) === true) || e?.code === '26000'
}
