import path from 'node:path'
import { PGlite } from '@electric-sql/pglite'
import { Kysely, PostgresDialect } from 'kysely'
import pg from 'pg'
import { migrationNames } from './migrate.ts'
import { sessionPool } from './pg-session.ts'
import { useLiteralTenantSwitch } from './tenant.ts'
import { pgliteClientConfig } from './pglite-connection.ts'
import { PgliteThread } from './pglite-thread.ts'
import { pgliteStartParams, preferSmallWasmCode, prepareDataDir } from './pglite.ts'
import type { DB } from './schema.ts'

// Return bigint (int8) columns as strings (ids, counters), and parse nothing else
// surprising: timestamps come back as Date.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => v)

export type Db = Kysely<DB>

export interface Database {
  db: Db
  pool: pg.Pool
  backend: 'pglite' | 'postgres'
  /** Where the data lives, for logs: a directory or a redacted URL. */
  location: string
  /** PGlite runs in a worker thread of its own. */
  thread?: boolean
  /** Refreshes the planner's statistics (ANALYZE). PGlite has no autovacuum to do it. */
  analyze(): Promise<void>
  close(): Promise<void>
}

export interface DatabaseOptions {
  /** postgres:// URL; when absent, the embedded PGlite is used. */
  url?: string | undefined
  /** PGlite data directory; `memory://` or undefined keeps it in memory. */
  dataDir?: string | undefined
  poolSize?: number
  /** PostgreSQL: how many statement texts each connection keeps prepared by name (pg-session.ts); 0 for none. */
  preparedStatements?: number
  /** A new PGlite data directory starts from the plain (initdb) template, not the migrated one: for making the latter. */
  plainTemplate?: boolean
  /** PGlite runs in a worker thread of its own (pglite-thread.ts) instead of on the calling thread (default). */
  pgliteThread?: boolean
}


export async function openDatabase(opts: DatabaseOptions): Promise<Database> {
  if (opts.url) {
    const pool = new pg.Pool({ connectionString: opts.url, max: opts.poolSize ?? 10 })
    pool.on('error', () => {}) // idle client errors surface on the next query instead
    await pool.query('select 1')
    // BEGIN sent with the next statement, named prepared statements (pg-session.ts).
    const db: Db = new Kysely<DB>({ dialect: new PostgresDialect({ pool: sessionPool(pool, { statementNames: opts.preparedStatements }) }) })
    // The tenant switch without parameters, so that it travels with BEGIN.
    useLiteralTenantSwitch(db)
    return {
      db,
      pool,
      backend: 'postgres',
      location: opts.url.replace(/\/\/[^@/]*@/, '//***@'),
      // PostgreSQL's autovacuum keeps statistics current; an explicit call still works.
      analyze: async () => void (await pool.query('analyze')),
      close: () => db.destroy(),
    }
  }
  const dir = opts.dataDir && opts.dataDir !== 'memory://' ? path.join(opts.dataDir, 'pglite') : undefined
  // initdb never runs in this process: a new data directory is a copy of a template made by a child
  // (migrated at build time when the build's migrations match: the first start then runs none).
  if (dir) await prepareDataDir(dir, opts.plainTemplate ? {} : { migrations: migrationNames() })
  preferSmallWasmCode()
  // In a thread of its own PostgreSQL's WASM runs on another core than HTTP, SMTP and the app, but
  // every round trip of a transaction then waits for the main thread's event loop, where the
  // other requests' work runs meanwhile: slower on 2 cores (docs/architecture.md), so off by default.
  const lite = opts.pgliteThread ? await PgliteThread.start(dir, pgliteStartParams) : await PGlite.create(dir, { startParams: pgliteStartParams })
  await lite.waitReady
  // PGlite is one session: max 1 makes the pool serialise whole checkouts, so a
  // transaction never shares its session with an unrelated query. pgliteClientConfig hands
  // PostgreSQL each query's protocol messages in one call (pglite-connection.ts).
  const pool = new pg.Pool({ ...pgliteClientConfig(lite), max: 1 })
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) })
  // Single-user PostgreSQL has no autovacuum: the app's StatisticsKeeper (statistics.ts) calls this.
  const analyze = async () => void (await pool.query('analyze'))
  return {
    db,
    pool,
    backend: 'pglite',
    location: dir ?? 'memory',
    thread: lite instanceof PgliteThread,
    analyze,
    async close() {
      await db.destroy()
      await lite.close()
    },
  }
}
