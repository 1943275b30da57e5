import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { sql } from 'kysely'
import { createThrowawayDatabase } from '../../../test/server-database.ts'
import { type Database, openDatabase } from './database.ts'

// node-postgres drops a pool client when a query fails through `pool.query` (pg-boss's path) or
// when it is released with an error, even with its last query still on the way. On PostgreSQL that
// closes a socket; on PGlite the next client takes over the same session, and must see nothing of
// the dropped one: not its replies, not its open transaction, not a half-written message. The same
// assertions run on both backends: PostgreSQL is the reference behaviour.
let database: Database
let drop: (() => Promise<void>) | undefined

before(async () => {
  if (process.env.DATABASE_URL) {
    const throwaway = await createThrowawayDatabase(process.env.DATABASE_URL, 'omnidesk_drop')
    drop = throwaway.drop
    database = await openDatabase({ url: throwaway.url })
  } else {
    database = await openDatabase({ dataDir: 'memory://' })
  }
  await sql`create table t (id int primary key, note text)`.execute(database.db)
})
after(async () => {
  await database.close()
  await drop?.()
})

/** Concurrent queries through Kysely, each of which must get its own row back. */
async function eachGetsItsOwnRows(n = 16) {
  const answers = await Promise.all(Array.from({ length: n }, (_, i) => sql<{ n: number; s: string }>`select ${i}::int as n, ${`v${i}`}::text as s`.execute(database.db)))
  assert.deepEqual(
    answers.map((r) => r.rows),
    Array.from({ length: n }, (_, i) => [{ n: i, s: `v${i}` }]),
  )
}

test('a parameter that cannot be serialised fails its query only; the next clients get their own rows', async () => {
  const { pool } = database
  const unserialisable = {
    toPostgres() {
      throw new Error('cannot serialise')
    },
  }
  const circular: Record<string, unknown> = {}
  circular.self = circular
  for (let round = 0; round < 3; round++) {
    // pool.query releases its client with the error: the pool drops it and makes another.
    await assert.rejects(pool.query('select $1::text as x', [unserialisable]), /cannot serialise/)
    await eachGetsItsOwnRows()
    await assert.rejects(pool.query('select $1::jsonb as x', [circular]), /circular/)
    await eachGetsItsOwnRows()
    // The same texts with good values run (the statement cache stayed consistent).
    assert.deepEqual((await pool.query('select $1::text as x', ['fine'])).rows, [{ x: 'fine' }])
    assert.deepEqual((await pool.query('select $1::jsonb as x', [{ a: 1 }])).rows, [{ x: { a: 1 } }])
    // Through Kysely (the client is released without an error and kept) as well.
    await assert.rejects(sql`select ${unserialisable}::text as x`.execute(database.db), /cannot serialise/)
    await eachGetsItsOwnRows()
  }
})

test('a client released with an error while its query is on the way: its answer reaches no one else', async () => {
  const { pool } = database
  for (let round = 0; round < 10; round++) {
    const client = await pool.connect()
    // A statement text new to the session (parsed and named on PGlite), then one it knows.
    const inflight = [client.query(`select $1::int + ${round} as n`, [1000]), client.query('select $1::int as n', [-1])].map((q) =>
      q.then(
        (r) => ({ rows: r.rows }),
        (err: Error) => ({ error: err.message }),
      ),
    )
    client.release(new Error('dropped'))
    await eachGetsItsOwnRows(8)
    // The dropped client's queries end with an error or their own rows, never another's.
    for (const [i, outcome] of (await Promise.all(inflight)).entries()) {
      if ('rows' in outcome) assert.deepEqual(outcome.rows, [{ n: i === 0 ? 1000 + round : -1 }])
    }
    // Its statement texts work for the next client.
    assert.deepEqual((await pool.query(`select $1::int + ${round} as n`, [1])).rows, [{ n: 1 + round }])
  }
})

test('a client dropped inside a transaction leaves no transaction open for the next', async () => {
  const { pool, db } = database
  const client = await pool.connect()
  await client.query('begin')
  await client.query('insert into t values (10, $1)', ['uncommitted'])
  client.release(new Error('dropped'))
  // The next work commits on its own, and the dropped transaction's row never appears.
  await db.transaction().execute(async (trx) => {
    await sql`insert into t values (11, 'committed')`.execute(trx)
  })
  await pool.query('insert into t values (12, $1)', ['autocommit'])
  const rows = await pool.query('select id from t where id >= 10 order by id')
  assert.deepEqual(rows.rows, [{ id: 11 }, { id: 12 }])
  const status = await pool.query('select count(*)::int as n from pg_stat_activity where pid = pg_backend_pid() and xact_start is not null and state = $1', ['idle in transaction'])
  assert.equal(status.rows[0].n, 0)
})

test('64 concurrent callers mixing failing and good queries each get their own outcome', async () => {
  const { pool, db } = database
  const bad = {
    toPostgres() {
      throw new Error('cannot serialise')
    },
  }
  const outcomes = await Promise.all(
    Array.from({ length: 64 }, async (_, i) => {
      try {
        if (i % 4 === 0) return await pool.query('select $1::text as s', [bad])
        if (i % 4 === 1) return (await pool.query('select $1::int as n', [i])).rows
        if (i % 4 === 2) return await pool.query('select * from no_such_table where id = $1', [i])
        return (await sql<{ n: number }>`select ${i}::int as n`.execute(db)).rows
      } catch (err) {
        return (err as Error).message
      }
    }),
  )
  for (const [i, outcome] of outcomes.entries()) {
    if (i % 4 === 0) assert.match(String(outcome), /cannot serialise/)
    else if (i % 4 === 2) assert.match(String(outcome), /no_such_table/)
    else assert.deepEqual(outcome, [{ n: i }])
  }
  await eachGetsItsOwnRows()
})
