import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { Kysely, PostgresDialect, sql } from 'kysely'
import pg from 'pg'
import { createThrowawayDatabase } from '../../../test/server-database.ts'
import { type Database, openDatabase } from './database.ts'
import { sessionPool, WITH_COMMIT } from './pg-session.ts'

// The PostgreSQL pool Kysely is given (pg-session.ts), driven through Kysely as the app drives
// it, on one connection so that what one transaction leaves behind meets the next. PostgreSQL only.
const url = process.env.DATABASE_URL
const skip = !url
let server: { url: string; drop: () => Promise<void> }
let database: Database
let db: Kysely<any> // eslint-disable-line @typescript-eslint/no-explicit-any -- tables made by the test itself

/** Counts round trips (pg client query calls) while `fn` runs. */
async function roundTrips(fn: () => Promise<unknown>): Promise<{ trips: number; texts: string[] }> {
  const texts: string[] = []
  const original = pg.Client.prototype.query
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a transparent wrapper of an overloaded method
  ;(pg.Client.prototype as any).query = function (this: pg.Client, ...args: unknown[]) {
    const q = args[0]
    texts.push(typeof q === 'string' ? q : (q as { text: string }).text)
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- see above
    return (original as any).apply(this, args)
  }
  try {
    await fn().catch(() => {})
  } finally {
    pg.Client.prototype.query = original
  }
  return { trips: texts.length, texts }
}

const inTransaction = async () => (await sql<{ x: string | null }>`select txid_current_if_assigned()::text as x`.execute(db)).rows[0]
const count = async () => Number((await sql<{ n: string }>`select count(*) as n from t`.execute(db)).rows[0]?.n)
const prepared = async () => (await sql<{ name: string }>`select name from pg_prepared_statements where name like 'od%' order by name`.execute(db)).rows.map((r) => r.name)

before(async () => {
  if (skip) return
  server = await createThrowawayDatabase(url, 'omnidesk_pgsession')
  database = await openDatabase({ url: server.url, poolSize: 1 })
  db = database.db as unknown as Kysely<any> // eslint-disable-line @typescript-eslint/no-explicit-any -- see above
  await sql`create table t (id int primary key, note text)`.execute(db)
})
after(async () => {
  if (skip) return
  await database.close()
  await server.drop()
})

test('BEGIN goes with a first statement without parameters: one round trip, and the transaction commits', { skip }, async () => {
  const { trips, texts } = await roundTrips(() =>
    db.transaction().execute(async (trx) => {
      await sql`insert into t values (1, 'one')`.execute(trx)
      await trx.insertInto('t').values({ id: 2, note: 'two' }).execute()
    }),
  )
  assert.deepEqual(texts, ['begin;insert into t values (1, \'one\')', 'insert into "t" ("id", "note") values ($1, $2)', 'commit'])
  assert.equal(trips, 3)
  assert.equal(await count(), 2)
})

test('a failing merged first statement rolls back, and the connection is reusable', { skip }, async () => {
  await assert.rejects(
    db.transaction().execute(async (trx) => {
      await sql`insert into t values (1, 'duplicate')`.execute(trx)
    }),
    /duplicate key/,
  )
  // A parse error: PostgreSQL runs nothing of the string, not even the BEGIN.
  await assert.rejects(db.transaction().execute((trx) => sql`selec 1`.execute(trx)), /syntax error/)
  assert.equal((await inTransaction())?.x, null)
  // A merged first statement that succeeds is rolled back with a later one that fails.
  await assert.rejects(
    db.transaction().execute(async (trx) => {
      await sql`insert into t values (10, 'ten')`.execute(trx)
      await trx.insertInto('t').values({ id: 1, note: 'dup' }).execute()
    }),
    /duplicate key/,
  )
  assert.equal(await count(), 2)
  assert.equal((await inTransaction())?.x, null)
})

test('a first statement with parameters sends BEGIN before it, as before; its failure rolls back', { skip }, async () => {
  const { texts } = await roundTrips(() =>
    db.transaction().execute(async (trx) => {
      await trx.insertInto('t').values({ id: 3, note: 'three' }).execute()
      await trx.insertInto('t').values({ id: 1, note: 'dup' }).execute()
    }),
  )
  assert.deepEqual(texts, ['begin', 'insert into "t" ("id", "note") values ($1, $2)', 'insert into "t" ("id", "note") values ($1, $2)', 'rollback'])
  assert.equal(await count(), 2)
  assert.equal((await inTransaction())?.x, null)
})

test('a transaction without statements sends nothing, whether it commits or throws', { skip }, async () => {
  assert.equal((await roundTrips(() => db.transaction().execute(async () => 'nothing'))).trips, 0)
  const thrown = await roundTrips(() =>
    db.transaction().execute(async () => {
      throw new Error('before any statement')
    }),
  )
  assert.equal(thrown.trips, 0)
  assert.equal(await db.transaction().execute(async () => 42), 42)
  // The next transaction opens normally.
  await db.transaction().execute((trx) => sql`insert into t values (4, 'four')`.execute(trx))
  assert.equal(await count(), 3)
})

test('statements with parameters are kept by name per connection; DDL through the pool makes them start afresh', { skip }, async () => {
  const read = (id: number) => db.selectFrom('t').selectAll().where('id', '=', id).executeTakeFirst()
  for (let i = 0; i < 7; i++) assert.equal((await read(1))?.note, 'one') // past five runs: a generic plan may be kept
  const names = await prepared()
  assert.ok(names.length > 0, 'the connection keeps named statements')
  await sql`alter table t add column extra text`.execute(db)
  assert.deepEqual(await read(1), { id: 1, note: 'one', extra: null }, 'select * sees the new column')
  assert.ok((await prepared()).every((n) => !names.includes(n)), 'the statements of before the DDL were dropped')
})

test('DDL from elsewhere: a kept statement outside a transaction is retried unnamed; inside one it fails once', { skip }, async () => {
  const read = (trx: Kysely<any> = db) => trx.selectFrom('t').selectAll().where('id', '=', 2).executeTakeFirst() // eslint-disable-line @typescript-eslint/no-explicit-any -- see above
  for (let i = 0; i < 3; i++) await read()
  const other = new pg.Client({ connectionString: server.url })
  await other.connect()
  try {
    await other.query('alter table t add column more int')
    assert.equal((await read())?.more, null)
    await other.query('alter table t add column most int')
    for (let i = 0; i < 3; i++) await read()
    await other.query('alter table t drop column most')
    await assert.rejects(db.transaction().execute(async (trx) => read(trx)), /cached plan must not change result type/)
    assert.deepEqual(await db.transaction().execute(async (trx) => read(trx)), { id: 2, note: 'two', extra: null, more: null })
  } finally {
    await other.end()
  }
})

test('a connection names at most `statementNames` texts, then sends the rest unnamed', { skip }, async () => {
  const pool = new pg.Pool({ connectionString: server.url, max: 1 })
  const small = new Kysely<any>({ dialect: new PostgresDialect({ pool: sessionPool(pool, { statementNames: 2 }) }) }) // eslint-disable-line @typescript-eslint/no-explicit-any -- see above
  try {
    for (const n of [1, 2, 3, 4]) assert.equal((await sql<{ v: number }>`select ${n}::int + ${String(n)}::int as v`.execute(small)).rows[0]?.v, 2 * n)
    for (const c of ['a', 'b', 'c']) assert.equal((await sql<Record<string, string>>`select ${c}::text as ${sql.raw(c)}`.execute(small)).rows[0]?.[c], c)
    const names = await sql<{ n: string }>`select count(*) as n from pg_prepared_statements where name like 'od%'`.execute(small)
    assert.equal(Number(names.rows[0]?.n), 2)
  } finally {
    await small.destroy()
  }
})

test('a statement marked WITH_COMMIT goes with the COMMIT: one round trip, its values exactly as bound', { skip }, async () => {
  await sql`create table wc (id int primary key, note text, n numeric, at timestamptz, doc jsonb, flag boolean)`.execute(db)
  await sql`select 1`.execute(db) // the checkout after DDL drops the connection's kept statements: not counted below
  const tricky = "it's a \\back\\slash, a 'quote', $1 and ünïcödé ✓ -- not a comment"
  const at = new Date('2026-12-03T10:11:12.345Z')
  const doc = { a: "o'k", b: [1, 2], c: null, d: 'back\\slash' }
  const row = (id: number) => ({ id, note: tricky, n: '12.50', at, doc: JSON.stringify(doc), flag: true })
  const { texts } = await roundTrips(() =>
    db.transaction().execute(async (trx) => {
      await sql`select 1`.execute(trx)
      const r = await trx.insertInto('wc').values([row(1), { id: 2, note: null, n: null, at: null, doc: null, flag: null }]).modifyEnd(sql.raw(WITH_COMMIT)).execute()
      assert.equal(r.length, 1, 'answered at once')
    }),
  )
  assert.equal(texts.length, 2, texts.join(' | '))
  assert.ok(texts[1]!.endsWith(`${WITH_COMMIT};commit`), texts[1])
  // The same row through parameters, for comparison.
  await db.insertInto('wc').values(row(3)).execute()
  const rows = (await sql<Record<string, unknown>>`select id, note, n::text, at, doc, flag from wc order by id`.execute(db)).rows
  assert.deepEqual(rows[0], { ...rows[2], id: 1 })
  assert.deepEqual(rows[0], { id: 1, note: tricky, n: '12.50', at, doc, flag: true })
  assert.deepEqual(rows[1], { id: 2, note: null, n: null, at: null, doc: null, flag: null })
  assert.equal((await inTransaction())?.x, null)
})

test('a failing WITH_COMMIT statement fails the COMMIT and rolls back the whole transaction', { skip }, async () => {
  await assert.rejects(
    db.transaction().execute(async (trx) => {
      await trx.insertInto('wc').values({ id: 10 }).execute()
      await trx.insertInto('wc').values({ id: 1 }).modifyEnd(sql.raw(WITH_COMMIT)).execute() // a duplicate key
    }),
    /duplicate key/,
  )
  assert.equal((await inTransaction())?.x, null)
  assert.equal((await db.selectFrom('wc').select('id').where('id', '=', 10).execute()).length, 0, 'the statement before it was rolled back too')
  // The connection is usable, and the next transaction commits normally.
  await db.transaction().execute(async (trx) => {
    await trx.insertInto('wc').values({ id: 11 }).modifyEnd(sql.raw(WITH_COMMIT)).execute()
  })
  assert.equal((await db.selectFrom('wc').select('id').where('id', '=', 11).execute()).length, 1)
})

test('a statement after a WITH_COMMIT one sees it; a ROLLBACK drops it; outside a transaction it runs at once', { skip }, async () => {
  const seen = await db.transaction().execute(async (trx) => {
    await sql`select 1`.execute(trx)
    await trx.insertInto('wc').values({ id: 20 }).modifyEnd(sql.raw(WITH_COMMIT)).execute()
    return (await trx.selectFrom('wc').select('id').where('id', '=', 20).execute()).length
  })
  assert.equal(seen, 1)
  const { texts } = await roundTrips(() =>
    db.transaction().execute(async (trx) => {
      await sql`select 1`.execute(trx)
      await trx.insertInto('wc').values({ id: 21 }).modifyEnd(sql.raw(WITH_COMMIT)).execute()
      throw new Error('changed my mind')
    }),
  )
  assert.deepEqual(texts.slice(1), ['rollback'], 'the held statement is never sent')
  assert.equal((await db.selectFrom('wc').select('id').where('id', '=', 21).execute()).length, 0)
  await db.insertInto('wc').values({ id: 22 }).modifyEnd(sql.raw(WITH_COMMIT)).execute()
  assert.equal((await db.selectFrom('wc').select('id').where('id', '=', 22).execute()).length, 1)
})
