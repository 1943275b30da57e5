import type { Compilable, CompiledQuery, QueryResult } from 'kysely'
import type { Db } from './database.ts'

/**
 * A Kysely query built and compiled once, then run with new values: for the
 * few queries every inbound mail runs, where building the query tree and
 * compiling it again each time is a cost of its own.
 *
 * `db` is the database or a transaction (a Kysely<DB> either way).
 * `build` must give the query one shape whatever its values: it gets a
 * placeholder for each value and must put each into the query as one
 * parameter (e.g. `where('id', '=', id)`, `sql\`… ${days} …\``), never branch
 * on it, spread it into a list (`in`) or turn it into SQL text. The first run
 * compiles it with those placeholders and checks that each became exactly one
 * parameter, so later runs only swap the values in; a value the builder
 * mishandled fails there, loudly, instead of running another query. Values
 * the builder writes itself (`'solved'`, a limit) stay as compiled.
 */
export function preparedQuery<P extends unknown[], R>(build: (db: Db, ...values: P) => Compilable<R>): (db: Db, ...values: P) => Promise<QueryResult<R>> {
  let compiled: { query: CompiledQuery<R>; slots: number[] } | null = null
  return async (db, ...values) => {
    if (!compiled) {
      const marks = values.map((_, i) => `\u0000prepared-query-value-${i}`)
      const query = build(db, ...(marks as P)).compile()
      const slots = marks.map((mark) => {
        const at = query.parameters.indexOf(mark)
        if (at < 0 || query.parameters.lastIndexOf(mark) !== at) throw new Error(`preparedQuery: value ${marks.indexOf(mark)} must be exactly one parameter of: ${query.sql}`)
        return at
      })
      compiled = { query, slots }
    }
    const { query, slots } = compiled
    const parameters = [...query.parameters]
    slots.forEach((at, i) => (parameters[at] = values[i]))
    return db.executeQuery<R>({ ...query, parameters })
  }
}
