import { createHash, randomBytes } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import pg from 'pg'

export interface ThrowawayOptions {
  /**
   * Start from a copy of a database that already holds this checkout's migrations
   * (made once per set of migration sources, kept on the server as a template), so
   * a test file does not spend seconds migrating. Off for what measures a first
   * start (the benches).
   */
  migrated?: boolean
}

/**
 * A throwaway database on the PostgreSQL server of `url` (DATABASE_URL), for
 * tests and benchmarks that run a whole server process: created empty (or from
 * the migrated template), dropped with FORCE (a killed server may still hold
 * connections). test/harness.ts gives every test file one.
 */
export async function createThrowawayDatabase(url: string, prefix = 'omnidesk_t', opts: ThrowawayOptions = {}): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `${prefix}_${process.pid}_${randomBytes(4).toString('hex')}`
  const template = opts.migrated ? await migratedTemplate(url) : null
  const admin = new pg.Client({ connectionString: url })
  await admin.connect()
  try {
    await whileInUse(() => admin.query(template ? `CREATE DATABASE ${name} TEMPLATE ${template}` : `CREATE DATABASE ${name}`))
  } finally {
    await admin.end()
  }
  return {
    url: withDatabase(url, name),
    async drop() {
      const c = new pg.Client({ connectionString: url })
      await c.connect()
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
      } finally {
        await c.end()
      }
    },
  }
}

function withDatabase(url: string, name: string): string {
  const u = new URL(url)
  u.pathname = `/${name}`
  return u.toString()
}

const migrationsDir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'src', 'platform', 'db', 'migrations')

/** A name for the migrated template that changes whenever a migration's source does. */
function templateName(): string {
  const hash = createHash('sha256')
  for (const f of fs.readdirSync(migrationsDir).sort()) hash.update(f).update(fs.readFileSync(path.join(migrationsDir, f)))
  return `omnidesk_tmpl_${hash.digest('hex').slice(0, 16)}`
}

/** Retries `fn` while PostgreSQL says the database is still in use (a closed connection's backend exits a moment later). */
async function whileInUse<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn()
    } catch (err) {
      if ((err as { code?: string }).code !== '55006' || attempt >= 50) throw err
      await new Promise((r) => setTimeout(r, 100))
    }
  }
}

let made: Promise<string> | undefined

/**
 * The migrated template database, made by the first test process that needs it
 * (the others wait on an advisory lock): migrated under a temporary name, every
 * connection to it closed, then renamed, so a template that exists is complete
 * and nobody is connected to it (CREATE DATABASE … TEMPLATE needs that).
 */
function migratedTemplate(url: string): Promise<string> {
  made ??= (async () => {
    const name = templateName()
    const admin = new pg.Client({ connectionString: url })
    await admin.connect()
    try {
      const exists = async () => (await admin.query('select 1 from pg_database where datname = $1', [name])).rowCount === 1
      if (await exists()) return name
      await admin.query(`select pg_advisory_lock(hashtext('omnidesk test template'))`)
      try {
        if (await exists()) return name
        const building = `${name}_building`
        await admin.query(`DROP DATABASE IF EXISTS ${building} WITH (FORCE)`)
        await admin.query(`CREATE DATABASE ${building}`)
        // Imported here: the benches use this file without the app's migrations.
        const { openDatabase } = await import('../src/platform/db/database.ts')
        const { migrateToLatest } = await import('../src/platform/db/migrate.ts')
        const database = await openDatabase({ url: withDatabase(url, building), poolSize: 1 })
        try {
          await migrateToLatest(database.db)
        } finally {
          await database.close()
        }
        await whileInUse(() => admin.query(`ALTER DATABASE ${building} RENAME TO ${name}`))
        await dropOldTemplates(admin)
        return name
      } finally {
        await admin.query(`select pg_advisory_unlock(hashtext('omnidesk test template'))`)
      }
    } finally {
      await admin.end()
    }
  })()
  return made
}

/**
 * Each change of the migrations makes a new template; the older ones would stay on the server
 * forever. Keeps the newest few (other checkouts, such as a worktree on an older branch, may still
 * use theirs) and drops the rest, best effort: one in use stays for next time.
 */
async function dropOldTemplates(admin: pg.Client, keep = 4): Promise<void> {
  const { rows } = await admin.query<{ datname: string }>(
    `select datname from pg_database where datname ~ '^omnidesk_tmpl_[0-9a-f]{16}$' order by oid desc offset $1`,
    [keep],
  )
  for (const { datname } of rows) await admin.query(`DROP DATABASE IF EXISTS ${datname}`).catch(() => {})
}
