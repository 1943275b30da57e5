import { randomBytes } from 'node:crypto'
import pg from 'pg'

/**
 * A throwaway database on the PostgreSQL server of `url` (DATABASE_URL), for
 * tests and benchmarks that run a whole server process: created empty, dropped
 * with FORCE (a killed server may still hold connections). test/harness.ts
 * gives every test file one.
 */
export async function createThrowawayDatabase(url: string, prefix = 'omnidesk_t'): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `${prefix}_${process.pid}_${randomBytes(4).toString('hex')}`
  const admin = new pg.Client({ connectionString: url })
  await admin.connect()
  try {
    await admin.query(`CREATE DATABASE ${name}`)
  } finally {
    await admin.end()
  }
  const u = new URL(url)
  u.pathname = `/${name}`
  return {
    url: u.toString(),
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
