import assert from 'node:assert/strict'
import { test } from 'node:test'
import { sql } from 'kysely'
import { openDatabase } from './database.ts'

// The embedded session driven through node-postgres and Kysely as the app drives it. Skipped on PostgreSQL.
const onPglite = !process.env.DATABASE_URL

test('queries sent as one batch each answer in order; an error ends only its own query, and a transaction rolls back', { skip: !onPglite }, async () => {
  const database = await openDatabase({ dataDir: 'memory://' })
  try {
    const { db, pool } = database
    await sql`create table t (id int primary key, note text)`.execute(db)
    // Concurrent queries on the one session: each gets its own rows.
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => sql<{ n: number }>`select ${i}::int as n`.execute(db)))
    assert.deepEqual(answers.map((r) => r.rows[0]?.n), Array.from({ length: 20 }, (_, i) => i))
    await db.insertInto('t' as never).values({ id: 1, note: 'one' } as never).execute()
    // An error in Bind/Execute (duplicate key) fails that query; the session goes on.
    await assert.rejects(db.insertInto('t' as never).values({ id: 1, note: 'again' } as never).execute(), /duplicate key/)
    // A parse error (the first message of the batch) too.
    await assert.rejects(sql`selec 1`.execute(db), /syntax error/)
    await assert.rejects(
      db.transaction().execute(async (trx) => {
        await trx.insertInto('t' as never).values({ id: 2, note: 'two' } as never).execute()
        await trx.insertInto('t' as never).values({ id: 1, note: 'dup' } as never).execute()
      }),
      /duplicate key/,
    )
    const rows = await pool.query('select id, note from t order by id')
    assert.deepEqual(rows.rows, [{ id: 1, note: 'one' }])
    // The simple protocol (no parameters, several statements) still works.
    await pool.query('insert into t values (3, $$three$$); insert into t values (4, $$four$$)')
    assert.equal((await pool.query('select count(*)::int as n from t')).rows[0].n, 3)
  } finally {
    await database.close()
  }
})
