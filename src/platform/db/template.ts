import fs from 'node:fs'
import { openDatabase } from './database.ts'
import { migrateToLatest, migrationNames } from './migrate.ts'
import { ensureTemplate, migratedStampFile, migratedTemplateDir } from './pglite.ts'

/**
 * The embedded database's migrated template, made at build time (`npm run
 * build`, `npm ci`): the initdb template with this build's migrations applied
 * and analyzed, so a first start copies it and runs no migration (they were
 * ~30 % of a first start's CPU). Kept beside the plain template with the list
 * of the migrations it holds; a data directory made from it still goes through
 * the migrator, which applies what a newer checkout added. Returns its path.
 */
export async function ensureMigratedTemplate(): Promise<string> {
  const dir = migratedTemplateDir()
  const names = migrationNames()
  try {
    if (JSON.stringify(JSON.parse(fs.readFileSync(migratedStampFile(), 'utf8'))) === JSON.stringify(names)) return dir
  } catch {
    // No template yet, or an unreadable list: make it.
  }
  await ensureTemplate()
  const work = `${dir}.tmp-${process.pid}`
  fs.rmSync(work, { recursive: true, force: true })
  // A copy of the plain template in <work>/pglite (not of an older migrated one), migrated here.
  const database = await openDatabase({ dataDir: work, plainTemplate: true })
  try {
    await migrateToLatest(database.db)
  } finally {
    await database.close()
  }
  fs.rmSync(migratedStampFile(), { force: true })
  fs.rmSync(dir, { recursive: true, force: true })
  fs.renameSync(`${work}/pglite`, dir)
  fs.rmSync(work, { recursive: true, force: true })
  fs.writeFileSync(migratedStampFile(), `${JSON.stringify(names)}\n`)
  return dir
}
