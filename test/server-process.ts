/**
 * The real server process, for the tests that need one (kill -9 mid-stream, the
 * browser): package.json's "start" (`node <V8 flags> scripts/start.mjs`), exactly what `npm start` runs — the
 * compiled dist/ when it is current, the sources through tsx when dist/ is stale
 * (sources edited since the last build), as a user's `npm start` would.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

export interface ServerProcess {
  proc: ChildProcess
  exited: Promise<void>
  /** Everything it printed so far. */
  output(): string
  /** SIGTERM, then SIGKILL after 10 s. */
  stop(): Promise<void>
}

/** The environment of a test server on loopback: its own data directory (or database), ports and admin token. */
export function serverEnv(o: { dataDir: string; port: number; smtpPort: number; adminToken: string; databaseUrl?: string | undefined }): NodeJS.ProcessEnv {
  return {
    ...process.env,
    DATA_DIR: o.dataDir,
    PORT: String(o.port),
    HOST: '127.0.0.1',
    SMTP_PORT: String(o.smtpPort),
    SMTP_HOST: '127.0.0.1',
    OMNIDESK_ADMIN_TOKEN: o.adminToken,
    API_RATE_LIMIT: '1000000',
    LOG_LEVEL: 'warn',
    // Empty means unset (config.ts): PGlite in DATA_DIR unless the test made a throwaway database.
    DATABASE_URL: o.databaseUrl ?? '',
  }
}

/** node's arguments in package.json's "start" script (its V8 flags and scripts/start.mjs). */
function startArgs(): string[] {
  const script = (JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start
  const [cmd, ...args] = script.trim().split(/\s+/)
  if (cmd !== 'node') throw new Error(`package.json "start" must be "node …": ${script}`)
  return args
}

/** Starts the server; resolves once HTTP and SMTP listen (main.ts prints its banner after both). */
export async function startServerProcess(env: NodeJS.ProcessEnv, readyWithinMs = 90_000): Promise<ServerProcess> {
  const proc = spawn(process.execPath, startArgs(), { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  proc.stdout?.on('data', (d: Buffer) => (out += d.toString()))
  proc.stderr?.on('data', (d: Buffer) => (out += d.toString()))
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()))
  const deadline = Date.now() + readyWithinMs
  while (!out.includes('Inbound SMTP:')) {
    if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`the server exited (${proc.exitCode ?? proc.signalCode}) before it was ready:\n${out}`)
    if (Date.now() > deadline) {
      // Not left running: a live child would keep the test file's process (and the whole run) waiting.
      proc.kill('SIGKILL')
      await exited
      throw new Error(`the server was not ready within ${readyWithinMs / 1000} s:\n${out}`)
    }
    await sleep(100)
  }
  return {
    proc,
    exited,
    output: () => out,
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return
      proc.kill('SIGTERM')
      await Promise.race([exited, sleep(10_000)])
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGKILL')
        await exited
      }
    },
  }
}
