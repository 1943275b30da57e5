import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { after, test } from 'node:test'
import { sql } from 'kysely'
import pg from 'pg'
import { openDatabase } from './database.ts'
import { pgliteClientConfig } from './pglite-connection.ts'
import { PgliteThread } from './pglite-thread.ts'
import { pgliteStartParams } from './pglite.ts'

// PGlite in a worker thread (PGLITE_THREAD=true), driven through node-postgres and Kysely as the
// app drives it: the same answers as in-process, data that outlives a restart, and a clear error
// once the thread is gone. Skipped on PostgreSQL.
const onPglite = !process.env.DATABASE_URL
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'omnidesk-pglite-thread-'))
after(() => fs.rmSync(dir, { recursive: true, force: true }))

test('in its own thread, the embedded database answers each query in order, fails only the failed one, and keeps its data across a restart', { skip: !onPglite }, async () => {
  const database = await openDatabase({ dataDir: dir, pgliteThread: true })
  try {
    assert.equal(database.thread, true)
    const { db, pool } = database
    await sql`create table t (id int primary key, note text, body jsonb)`.execute(db)
    const answers = await Promise.all(Array.from({ length: 32 }, (_, i) => sql<{ n: number; s: string }>`select ${i}::int as n, ${`v${i}`}::text as s`.execute(db)))
    assert.deepEqual(
      answers.map((r) => r.rows),
      Array.from({ length: 32 }, (_, i) => [{ n: i, s: `v${i}` }]),
    )
    // Larger answers than a message buffer, and values that need escaping, come back whole.
    const big = 'x'.repeat(300_000)
    await db.insertInto('t' as never).values({ id: 1, note: big, body: JSON.stringify({ q: "it's \\ $1" }) } as never).execute()
    const back = await db.selectFrom('t' as never).select(['note' as never, 'body' as never]).executeTakeFirstOrThrow()
    assert.deepEqual(back, { note: big, body: { q: "it's \\ $1" } })
    await assert.rejects(db.insertInto('t' as never).values({ id: 1, note: 'again' } as never).execute(), /duplicate key/)
    await assert.rejects(sql`selec 1`.execute(db), /syntax error/)
    await assert.rejects(
      db.transaction().execute(async (trx) => {
        await trx.insertInto('t' as never).values({ id: 2, note: 'two' } as never).execute()
        await trx.insertInto('t' as never).values({ id: 1, note: 'dup' } as never).execute()
      }),
      /duplicate key/,
    )
    await pool.query('insert into t (id, note) values (3, $$three$$); insert into t (id, note) values (4, $$four$$)')
    assert.deepEqual((await pool.query('select id from t order by id')).rows, [{ id: 1 }, { id: 3 }, { id: 4 }])
  } finally {
    await database.close()
  }
  const again = await openDatabase({ dataDir: dir, pgliteThread: true })
  try {
    assert.deepEqual((await again.pool.query('select id from t order by id')).rows, [{ id: 1 }, { id: 3 }, { id: 4 }])
  } finally {
    await again.close()
  }
})

test('once the database thread is gone, every query fails saying so, and close still returns', { skip: !onPglite }, async () => {
  const thread = await PgliteThread.start(path.join(dir, 'pglite'), pgliteStartParams)
  await thread.waitReady
  const pool = new pg.Pool({ ...pgliteClientConfig(thread), max: 1 })
  assert.equal((await pool.query('select count(*)::int as n from t')).rows[0].n, 3)
  // The thread ends as it would if PostgreSQL aborted.
  await thread.terminate()
  await assert.rejects(pool.query('select 1'), /embedded database thread has exited/)
  await assert.rejects(pool.query('select 2'), /embedded database thread has exited/)
  await pool.end()
  await thread.close()
})
