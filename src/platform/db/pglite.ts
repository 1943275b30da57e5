import { spawn } from 'node:child_process'
import fs from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import v8 from 'node:v8'
import { PGlite } from '@electric-sql/pglite'

/**
 * PostgreSQL settings of the embedded database, sized for one small team in one process.
 * PGlite's defaults are a server's: 128 MB of shared buffers, which WASM memory never gives
 * back. Measured (scripts/measure-start.mjs, BENCHMARKS.md): 16 MB of shared buffers took
 * ~130 MiB off the process's PSS with no measurable loss of insert rate; the lock table and
 * WAL buffers are sized for the one session PGlite has.
 */
export const pgliteSettings: Record<string, string> = {
  shared_buffers: '16MB',
  wal_buffers: '512kB',
  temp_buffers: '4MB',
  work_mem: '4MB',
  maintenance_work_mem: '32MB',
  max_connections: '5',
  max_locks_per_transaction: '64',
  // Fewer, larger checkpoints are cheaper on the emulated file system; 64 MB of WAL at most.
  max_wal_size: '64MB',
  min_wal_size: '32MB',
  checkpoint_timeout: '5min',
  // A new 16 MB WAL segment is not filled with zeros first: through the emulated file system that
  // fill is ~2,000 synchronous writes, and the commit that crossed into the segment waited 45–80 ms
  // for it while every queued request waited behind (bench/session-holds.ts). PGlite runs with
  // fsync off, so the fill reserved nothing that a crash could rely on.
  wal_init_zero: 'off',
}

export const pgliteStartParams = [...PGlite.defaultStartParams, ...Object.entries(pgliteSettings).flatMap(([k, v]) => ['-c', `${k}=${v}`])]

/**
 * V8 compiles PostgreSQL's WASM (9 MB) with its baseline compiler (Liftoff) and then
 * re-compiles hot functions with TurboFan; the optimised code and the compiler's work
 * cost ~70 MiB of resident memory and CPU while serving, for no insert rate we could
 * measure on 2 cores. Liftoff only, then. Must run before the WASM module is compiled;
 * it only affects WebAssembly (JavaScript keeps its optimising compiler).
 */
export function preferSmallWasmCode() {
  v8.setFlagsFromString('--liftoff-only')
}

const PG_VERSION = 'PG_VERSION'
const require = createRequire(import.meta.url)

/** node_modules/.cache/omnidesk: rebuilt with node_modules, so it never outlives the PGlite that wrote it. */
export function templateDir(): string {
  // The package exports no ./package.json: walk up from its entry point.
  let pkg = path.dirname(require.resolve('@electric-sql/pglite'))
  while (!fs.existsSync(path.join(pkg, 'package.json'))) pkg = path.dirname(pkg)
  const version = (JSON.parse(fs.readFileSync(path.join(pkg, 'package.json'), 'utf8')) as { version: string }).version
  return path.join(pkg, '..', '..', '.cache', 'omnidesk', `pglite-${version}-datadir`)
}

/**
 * Runs PostgreSQL's initdb into `dir` in a short-lived child process. In-process,
 * initdb costs ~5 s and ~700 MiB of WASM memory that is never returned to the system;
 * in a child, that memory goes away with it.
 */
export async function initdbInChild(dir: string): Promise<void> {
  const pglite = pathToFileURL(require.resolve('@electric-sql/pglite')).href
  const code = `const { PGlite } = await import(${JSON.stringify(pglite)}); const db = await PGlite.create(${JSON.stringify(dir)}); await db.close()`
  await new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, ['--liftoff-only', '--input-type=module', '-e', code], { stdio: ['ignore', 'ignore', 'pipe'] })
    let stderr = ''
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    child.on('error', reject)
    child.on('exit', (status) => (status === 0 ? resolve() : reject(new Error(`initdb of ${dir} failed (exit ${status}): ${stderr.trim()}`))))
  })
  if (!fs.existsSync(path.join(dir, PG_VERSION))) throw new Error(`initdb of ${dir} left no ${PG_VERSION}`)
}

/** The initdb'd template, made once per installation (`npm ci` runs this through `prepare`). */
export async function ensureTemplate(): Promise<string> {
  const template = templateDir()
  if (fs.existsSync(path.join(template, PG_VERSION))) return template
  const tmp = `${template}.tmp-${process.pid}`
  fs.rmSync(tmp, { recursive: true, force: true })
  fs.mkdirSync(path.dirname(tmp), { recursive: true })
  await initdbInChild(tmp)
  try {
    fs.renameSync(tmp, template)
  } catch (err) {
    // Another process made it first: use theirs.
    fs.rmSync(tmp, { recursive: true, force: true })
    if (!fs.existsSync(path.join(template, PG_VERSION))) throw err
  }
  return template
}

/** The template with the migrations of a build applied (template.ts makes it at build time). */
export const migratedTemplateDir = () => `${templateDir()}-migrated`
/** Beside the migrated template: the names of the migrations it holds, in order (JSON). */
export const migratedStampFile = () => `${migratedTemplateDir()}.json`

/**
 * The migrated template when every migration it holds is one of `migrations`,
 * in the same order (the migrator then applies only the rest), else null.
 */
function migratedTemplateFor(migrations: string[]): string | null {
  const dir = migratedTemplateDir()
  try {
    const held = JSON.parse(fs.readFileSync(migratedStampFile(), 'utf8')) as unknown
    const ok = Array.isArray(held) && held.length <= migrations.length && held.every((n, i) => n === migrations[i])
    return ok && fs.existsSync(path.join(dir, PG_VERSION)) ? dir : null
  } catch {
    return null
  }
}

/**
 * Makes `dir` a PostgreSQL data directory without running initdb in this process:
 * an existing one is left alone; a missing or empty one is copied from the migrated
 * template when it matches `opts.migrations` (the first start then skips running them),
 * else from the plain template (or, when node_modules is not writable, initdb'd in a
 * child). Returns what it did.
 */
export async function prepareDataDir(dir: string, opts: { migrations?: string[] } = {}): Promise<'existing' | 'template' | 'initdb'> {
  if (fs.existsSync(path.join(dir, PG_VERSION))) return 'existing'
  // A non-empty directory without PG_VERSION is not ours to overwrite: PGlite decides.
  if (fs.existsSync(dir) && fs.readdirSync(dir).length > 0) return 'existing'
  fs.mkdirSync(path.dirname(dir), { recursive: true })
  const tmp = `${dir}.tmp-${process.pid}`
  fs.rmSync(tmp, { recursive: true, force: true })
  let made: 'template' | 'initdb'
  try {
    fs.cpSync((opts.migrations && migratedTemplateFor(opts.migrations)) ?? (await ensureTemplate()), tmp, { recursive: true })
    made = 'template'
  } catch (err) {
    // node_modules read-only (a container image, a shared install): initdb straight into the data directory.
    if (!['EACCES', 'EROFS', 'EPERM'].includes((err as NodeJS.ErrnoException).code ?? '')) throw err
    fs.rmSync(tmp, { recursive: true, force: true })
    await initdbInChild(tmp)
    made = 'initdb'
  }
  fs.rmSync(dir, { recursive: true, force: true }) // empty, checked above
  fs.renameSync(tmp, dir)
  return made
}
