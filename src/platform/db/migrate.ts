import { type Kysely, type Migration, type MigrationProvider, Migrator, sql } from 'kysely'
import * as m0001 from './migrations/0001-core.ts'
import * as m0002 from './migrations/0002-email.ts'
import * as m0003 from './migrations/0003-threading.ts'
import * as m0004 from './migrations/0004-imap.ts'
import * as m0005 from './migrations/0005-email-replies-index.ts'
import * as m0006 from './migrations/0006-bounce-reasons.ts'
import * as m0007 from './migrations/0007-fast-path.ts'
import * as m0008 from './migrations/0008-merge-suggestions.ts'
import * as m0009 from './migrations/0009-chat.ts'
import * as m0010 from './migrations/0010-desk.ts'
import * as m0011 from './migrations/0011-routing.ts'
import * as m0012 from './migrations/0012-sla.ts'
import * as m0013 from './migrations/0013-sms-voice.ts'
import * as m0014 from './migrations/0014-messaging-channels.ts'
import * as m0019 from './migrations/0019-routing-escalations.ts'
import * as m0020 from './migrations/0020-conversation-counters.ts'
import * as m0021 from './migrations/0021-drop-workspace-seq.ts'

/** Migrations are listed here, in order, so they run the same from source or a bundle. */
const migrations: Record<string, Migration> = {
  '0001-core': m0001,
  '0002-email': m0002,
  '0003-threading': m0003,
  '0004-imap': m0004,
  '0005-email-replies-index': m0005,
  '0006-bounce-reasons': m0006,
  '0007-fast-path': m0007,
  '0008-merge-suggestions': m0008,
  '0009-chat': m0009,
  '0010-desk': m0010,
  '0011-routing': m0011,
  '0012-sla': m0012,
  '0013-sms-voice': m0013,
  '0014-messaging-channels': m0014,
  '0019-routing-escalations': m0019,
  '0020-conversation-counters': m0020,
  '0021-drop-workspace-seq': m0021,
}

const provider: MigrationProvider = { getMigrations: async () => migrations }

/** The migrations this build knows, in order. */
export const migrationNames = (): string[] => Object.keys(migrations)

/**
 * Whether every known migration is recorded as executed, in one statement:
 * the start of an up-to-date database skips the migrator, whose own check
 * (tables, lock table, a locked transaction) costs several round trips. A
 * missing migration table (a new database) or a missing migration: false.
 */
async function upToDate(db: Kysely<any>): Promise<boolean> { // eslint-disable-line @typescript-eslint/no-explicit-any -- see migrateToLatest
  let names: string[]
  try {
    const { rows } = await sql<{ name: string }>`select name from kysely_migration`.execute(db)
    names = rows.map((r) => r.name)
  } catch (err) {
    if ((err as { code?: unknown }).code === '42P01') return false // undefined_table: a new database
    throw err
  }
  const done = new Set(names)
  return migrationNames().every((n) => done.has(n))
}

export async function migrateToLatest(db: Kysely<any>): Promise<string[]> { // eslint-disable-line @typescript-eslint/no-explicit-any -- the migrator is schema-agnostic
  if (await upToDate(db)) return []
  const migrator = new Migrator({ db, provider })
  const { error, results } = await migrator.migrateToLatest()
  if (error) throw error instanceof Error ? error : new Error(String(error))
  const applied = (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName)
  // New tables and indexes start without statistics, and PGlite has no autovacuum to gather them.
  if (applied.length > 0) await sql`analyze`.execute(db)
  return applied
}
