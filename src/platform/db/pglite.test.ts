import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { after, test } from 'node:test'
import { sql } from 'kysely'
import { openDatabase } from './database.ts'
import { migrateToLatest, migrationNames } from './migrate.ts'
import { prepareDataDir } from './pglite.ts'
import { ensureMigratedTemplate } from './template.ts'

// The embedded database on disk, as `npm start` opens it. Skipped on PostgreSQL.
const onPglite = !process.env.DATABASE_URL
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'omnidesk-pglite-'))
after(() => fs.rmSync(tmp, { recursive: true, force: true }))

test('a new data directory is a copy of the template; an existing one is left alone', { skip: !onPglite }, async () => {
  const dir = path.join(tmp, 'prepared', 'pglite')
  assert.equal(await prepareDataDir(dir), 'template')
  assert.ok(fs.existsSync(path.join(dir, 'PG_VERSION')))
  fs.writeFileSync(path.join(dir, 'marker'), 'kept')
  assert.equal(await prepareDataDir(dir), 'existing')
  assert.equal(fs.readFileSync(path.join(dir, 'marker'), 'utf8'), 'kept')
  // An empty directory (made by hand, or left by an interrupted copy) is filled too.
  const empty = path.join(tmp, 'empty', 'pglite')
  fs.mkdirSync(empty, { recursive: true })
  assert.equal(await prepareDataDir(empty), 'template')
  assert.deepEqual(fs.readdirSync(path.dirname(empty)), ['pglite'], 'no temporary copy left beside it')
})

test('the data directory opens with small-team settings, keeps data across a reopen and analyzes on demand', { skip: !onPglite }, async () => {
  const dataDir = path.join(tmp, 'data')
  const first = await openDatabase({ dataDir })
  try {
    const { rows } = await first.pool.query<{ shared_buffers: string }>('show shared_buffers')
    assert.equal(rows[0]?.shared_buffers, '16MB')
    await migrateToLatest(first.db)
    await sql`create table analyzed (id int primary key, kind text)`.execute(first.db)
    await sql`insert into analyzed select g, case when g % 10 = 0 then 'rare' else 'common' end from generate_series(1, 2000) g`.execute(first.db)
    const stats = () => first.pool.query<{ n: string }>(`select count(*)::text as n from pg_stats where tablename = 'analyzed'`)
    // PGlite has no autovacuum: nothing gathers statistics unless we ask.
    assert.equal((await stats()).rows[0]?.n, '0')
    await first.analyze()
    assert.equal((await stats()).rows[0]?.n, '2')
  } finally {
    await first.close()
  }
  const again = await openDatabase({ dataDir })
  try {
    const { rows } = await again.pool.query<{ n: string }>('select count(*)::text as n from analyzed')
    assert.equal(rows[0]?.n, '2000')
  } finally {
    await again.close()
  }
})

test('migrations that apply leave statistics behind them', { skip: !onPglite }, async () => {
  const database = await openDatabase({})
  try {
    await migrateToLatest(database.db)
    // ANALYZE sets reltuples of an analysed table from -1 (never analysed) to a count.
    const { rows } = await database.pool.query<{ n: string }>(
      `select count(*)::text as n from pg_class c join pg_namespace s on s.oid = c.relnamespace where s.nspname = 'public' and c.relkind = 'r' and c.reltuples < 0`,
    )
    assert.equal(rows[0]?.n, '0', 'every table has been analysed')
  } finally {
    await database.close()
  }
})

test('a new data directory starts from the migrated template when its migrations match: the first start runs none', { skip: !onPglite }, async () => {
  await ensureMigratedTemplate()
  const migrated = path.join(tmp, 'migrated')
  await prepareDataDir(path.join(migrated, 'pglite'), { migrations: migrationNames() })
  const database = await openDatabase({ dataDir: migrated })
  try {
    const { rows } = await database.pool.query<{ name: string }>('select name from kysely_migration order by name')
    assert.deepEqual(rows.map((r) => r.name), migrationNames())
    assert.deepEqual(await migrateToLatest(database.db), [], 'nothing left to apply')
  } finally {
    await database.close()
  }
  // A build whose migrations the template does not hold (another order, an unknown name) gets the plain template.
  const plain = path.join(tmp, 'plain', 'pglite')
  await prepareDataDir(plain, { migrations: ['0000-other', ...migrationNames()] })
  const other = await openDatabase({ dataDir: path.dirname(plain) })
  try {
    const { rows } = await other.pool.query<{ t: string | null }>(`select to_regclass('public.kysely_migration')::text as t`)
    assert.equal(rows[0]?.t, null)
  } finally {
    await other.close()
  }
})
