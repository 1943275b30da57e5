import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { after, before, test } from 'node:test'
import { type Kysely, sql } from 'kysely'
import type pg from 'pg'
import { type Database, openDatabase } from './database.ts'
import { migrateToLatest } from './migrate.ts'
import { withSystem, withTenant } from './tenant.ts'

// The PGlite connection's prepared-statement cache (pglite-statements.ts), observed through
// node-postgres, Kysely and PostgreSQL's own pg_prepared_statements. Skipped on PostgreSQL.
const onPglite = !process.env.DATABASE_URL
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'omnidesk-pscache-'))
let database: Database
let pool: pg.Pool
// Tables made by the tests themselves, outside the app's schema.
let raw: Kysely<Record<string, Record<string, unknown>>>

before(async () => {
  if (!onPglite) return
  database = await openDatabase({ dataDir: tmp })
  await migrateToLatest(database.db)
  pool = database.pool
  raw = database.db as never
})
after(async () => {
  await database?.close()
  fs.rmSync(tmp, { recursive: true, force: true })
})

/** The session's statements prepared by the cache; with `text`, only those of that text. Asked in the simple protocol, so not cached itself. */
async function prepared(text?: string): Promise<number> {
  const where = text === undefined ? '' : ` and statement = '${text.replaceAll("'", "''")}'`
  const r = await pool.query(`select count(*)::int as n from pg_prepared_statements where name like 'omnidesk\\_%'${where}`)
  return r.rows[0].n
}

test('the same text run many times is one prepared statement, answering each run with its own parameters', { skip: !onPglite }, async () => {
  const text = 'select $1::int + 1 as n'
  for (let i = 0; i < 12; i++) assert.equal((await pool.query(text, [i])).rows[0].n, i + 1)
  assert.equal(await prepared(text), 1)
  // Kysely's queries too, concurrently on the one session.
  const rows = await Promise.all(Array.from({ length: 10 }, (_, i) => sql<{ s: string }>`select ${`v${i}`}::text as s`.execute(database.db)))
  assert.deepEqual(rows.map((r) => r.rows[0]?.s), Array.from({ length: 10 }, (_, i) => `v${i}`))
  assert.equal(await prepared('select $1::text as s'), 1)
})

test('DDL under a cached select * : the next run returns the new columns, without "cached plan must not change result type"', { skip: !onPglite }, async () => {
  await pool.query('create table alt (id int primary key)')
  await pool.query('insert into alt values (1)')
  const text = 'select * from alt where id = $1'
  for (let i = 0; i < 8; i++) assert.deepEqual((await pool.query(text, [1])).rows, [{ id: 1 }])
  await pool.query(`alter table alt add column note text not null default 'x'`)
  assert.deepEqual((await pool.query(text, [1])).rows, [{ id: 1, note: 'x' }])
  // DDL inside a DO block (Kysely's schema builder sends no parameters: the simple protocol).
  await pool.query(`do $$ begin alter table alt add column n2 int not null default 2; end $$`)
  assert.deepEqual((await pool.query(text, [1])).rows, [{ id: 1, note: 'x', n2: 2 }])
  // DDL the text check cannot see (inside a function): that run fails as PostgreSQL's own
  // cached plan does, and the cache forgets its statements, so the next run works.
  await pool.query(`create function widen() returns void language sql as $$ alter table alt add column n3 int not null default 3 $$`)
  for (let i = 0; i < 3; i++) await pool.query(text, [1])
  await pool.query('select widen()')
  await assert.rejects(pool.query(text, [1]), /cached plan must not change result type/)
  assert.deepEqual((await pool.query(text, [1])).rows, [{ id: 1, note: 'x', n2: 2, n3: 3 }])
})

test('a statement that fails to parse is not cached; the session and the next statement work', { skip: !onPglite }, async () => {
  // Twice: the second run must fail the same way, not on a statement name that was never made.
  for (let i = 0; i < 2; i++) await assert.rejects(pool.query('selec $1::int', [1]), /syntax error/)
  for (let i = 0; i < 2; i++) await assert.rejects(pool.query('select n from no_such_table where n = $1', [1]), /does not exist/)
  assert.equal(await pool.query(`select count(*)::int as n from pg_prepared_statements where statement like 'selec %' or statement like '%no_such_table%'`).then((r) => r.rows[0].n), 0)
  assert.equal((await pool.query('select $1::int * 2 as n', [21])).rows[0].n, 42)
  // Once the table exists, the same text parses and runs.
  await pool.query('create table no_such_table (n int)')
  await pool.query('insert into no_such_table values (7)')
  assert.deepEqual((await pool.query('select n from no_such_table where n = $1', [7])).rows, [{ n: 7 }])
  assert.equal(await prepared('select n from no_such_table where n = $1'), 1)
})

test('more distinct texts than the cache holds keep the prepared statements bounded; an evicted text parses again', { skip: !onPglite }, async () => {
  for (let i = 0; i < 620; i++) assert.equal((await pool.query(`select $1::int + ${i} as n`, [1])).rows[0].n, i + 1)
  const n = await prepared()
  assert.ok(n <= 505 && n >= 400, `${n} prepared statements`)
  assert.equal(await prepared('select $1::int + 0 as n'), 0)
  assert.equal((await pool.query('select $1::int + 0 as n', [5])).rows[0].n, 5)
  assert.equal(await prepared('select $1::int + 0 as n'), 1)
})

test('errors in transactions: a duplicate key, a rollback, and a statement first parsed in an aborted transaction', { skip: !onPglite }, async () => {
  await pool.query('create table uniq (id int primary key)')
  for (let round = 0; round < 3; round++) {
    await assert.rejects(
      raw.transaction().execute(async (trx) => {
        await trx.insertInto('uniq').values({ id: 1 }).execute()
        await trx.insertInto('uniq').values({ id: 1 }).execute()
      }),
      /duplicate key/,
    )
  }
  await raw.insertInto('uniq').values({ id: 1 }).execute()
  await assert.rejects(raw.insertInto('uniq').values({ id: 1 }).execute(), /duplicate key/)
  await raw.insertInto('uniq').values({ id: 2 }).execute()
  assert.deepEqual((await pool.query('select id from uniq order by id')).rows, [{ id: 1 }, { id: 2 }])

  // A text never seen before, parsed while the transaction is aborted: its Parse fails, so it must not be cached.
  const fresh = 'select id from uniq where id = $1 and id > -1'
  await assert.rejects(
    raw.transaction().execute(async (trx) => {
      await trx.insertInto('uniq').values({ id: 1 }).execute().catch(() => {})
      await sql`select id from uniq where id = ${2} and id > -1`.execute(trx)
    }),
    /current transaction is aborted/,
  )
  assert.equal(await prepared(fresh), 0)
  assert.deepEqual((await pool.query(fresh, [2])).rows, [{ id: 2 }])
  assert.equal(await prepared(fresh), 1)
})

test('RLS: a cached statement run as different tenants and as the owner returns only what each may see', { skip: !onPglite }, async () => {
  const ws = await raw.insertInto('workspaces').values([{ name: 'A' }, { name: 'B' }]).returning('id').execute()
  const [a, b] = ws.map((w) => w.id as string) as [string, string]
  await raw.insertInto('tags').values([{ workspace_id: a, name: 'a-only' }, { workspace_id: b, name: 'b-only' }, { workspace_id: b, name: 'b-too' }]).execute()
  // No workspace filter: only the row-level security policy separates the tenants.
  const names = (db: Kysely<never>) =>
    (db as unknown as typeof raw).selectFrom('tags').select('name').where('name', 'like', '%-%').orderBy('name').execute().then((rows) => rows.map((r) => r.name))
  const check = async () => {
    for (let i = 0; i < 8; i++) {
      assert.deepEqual(await withTenant(database.db, a, (trx) => names(trx as never)), ['a-only'])
      assert.deepEqual(await withTenant(database.db, b, (trx) => names(trx as never)), ['b-only', 'b-too'])
      assert.deepEqual(await withSystem(database.db, (trx) => names(trx as never)), ['a-only', 'b-only', 'b-too'])
    }
  }
  await check()
  // The same with plans PostgreSQL keeps for every parameter value (what plan_cache_mode=auto may pick after 5 runs).
  await pool.query('set plan_cache_mode = force_generic_plan')
  try {
    await check()
  } finally {
    await pool.query('reset plan_cache_mode')
  }
  assert.equal(await prepared(`select "name" from "tags" where "name" like $1 order by "name"`), 1)
})
