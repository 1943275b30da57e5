import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { freePort } from '../test/net.ts'
import { sleep } from './lib.ts'

/** The checkout the bench runs (the directory of package.json). */
export const ROOT = fileURLToPath(new URL('..', import.meta.url))

// The tests' helper: one free-port function for tests and benches.
export { freePort }

/**
 * How a user starts Omnidesk: package.json's `start` script, read at run time
 * (`node --import tsx src/main.ts`, `node dist/main.js`, `node scripts/start.mjs` …).
 * A plain `node …` command is spawned directly, so the child's pid is the
 * server's; anything else runs under `sh -c 'exec …'`, and memory is summed over
 * the process tree either way.
 */
export function startCommand(): { file: string; args: string[]; script: string } {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts?: Record<string, string> }
  const script = pkg.scripts?.start
  if (!script) throw new Error('package.json has no start script')
  const words = script.trim().split(/\s+/)
  if (words[0] === 'node' && !/[&|;<>$`'"]/.test(script)) {
    // An installed checkout may need its build first (a start script on dist/).
    const entry = words.slice(1).find((w) => !w.startsWith('-') && /\.(m?js|ts)$/.test(w))
    if (entry && !fs.existsSync(path.join(ROOT, entry)) && pkg.scripts?.build) {
      console.log(`… ${entry} is missing: npm run build`)
      execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' })
    }
    return { file: process.execPath, args: words.slice(1), script }
  }
  return { file: 'sh', args: ['-c', `exec ${script}`], script }
}

export interface ServerOptions {
  /** The embedded database's directory (ignored by the server with databaseUrl, still given). */
  dataDir: string
  databaseUrl?: string | undefined
  adminToken: string
  logLevel: string
}

export interface RunningServer {
  pid: number
  base: string
  smtpPort: number
  /** Milliseconds from spawn to the first `GET /health` 200. */
  startMs: number
  /** Output so far (for errors). */
  output: () => string
  stop: () => Promise<void>
}

/** Spawns the server as `npm start` would and waits for `/health` 200 and the SMTP port. */
export async function startServer(o: ServerOptions): Promise<RunningServer> {
  const cmd = startCommand()
  const port = await freePort()
  const smtpPort = await freePort()
  const env: NodeJS.ProcessEnv = { ...process.env }
  delete env.DATABASE_URL
  Object.assign(env, {
    DATA_DIR: o.dataDir,
    PORT: String(port),
    HOST: '127.0.0.1',
    SMTP_PORT: String(smtpPort),
    SMTP_HOST: '127.0.0.1',
    OMNIDESK_ADMIN_TOKEN: o.adminToken,
    LOG_LEVEL: o.logLevel,
    // The API's per-token limit (600/min by default) would otherwise be what we measure.
    API_RATE_LIMIT: '100000000',
    ...(o.databaseUrl && { DATABASE_URL: o.databaseUrl }),
  })
  const t0 = performance.now()
  const child = spawn(cmd.file, cmd.args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  const keep = (b: Buffer) => {
    output = (output + b.toString()).slice(-20_000)
  }
  child.stdout?.on('data', keep)
  child.stderr?.on('data', keep)
  let exited: number | null | undefined
  const exit = new Promise<void>((resolve) =>
    child.once('exit', (code) => {
      exited = code
      resolve()
    }),
  )
  const base = `http://127.0.0.1:${port}`
  const deadline = Date.now() + 300_000
  let startMs = 0
  for (;;) {
    if (exited !== undefined) throw new Error(`the server exited (${exited}) before /health answered:\n${output}`)
    if (Date.now() > deadline) {
      child.kill('SIGKILL')
      throw new Error(`no /health 200 within 300 s:\n${output}`)
    }
    const ok = await fetch(`${base}/health`).then((r) => r.status === 200, () => false)
    if (ok) {
      startMs = performance.now() - t0
      break
    }
    await sleep(10)
  }
  await waitForPort(smtpPort, deadline)
  return {
    pid: child.pid as number,
    base,
    smtpPort,
    startMs,
    output: () => output,
    stop: () => stopProcess(child, exit),
  }
}

async function waitForPort(port: number, deadline: number) {
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => {
        s.destroy()
        resolve(true)
      })
      s.once('error', () => resolve(false))
    })
    if (open) return
    if (Date.now() > deadline) throw new Error(`SMTP port ${port} never opened`)
    await sleep(20)
  }
}

/** SIGTERM (the server's graceful shutdown), SIGKILL after 20 s. */
async function stopProcess(child: ChildProcess, exit: Promise<void>) {
  if (child.exitCode !== null || child.signalCode !== null) return
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000)
  await exit
  clearTimeout(timer)
}

/** Proportional set size of a process and its descendants (`tree`, default: listed now), in MiB (Linux: /proc/<pid>/smaps_rollup). */
export function pssMiB(pid: number, tree: number[] = descendants(pid)): number {
  let kib = 0
  for (const p of [pid, ...tree]) {
    try {
      const m = /^Pss:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${p}/smaps_rollup`, 'utf8'))
      kib += Number(m?.[1] ?? 0)
    } catch {
      // the process ended between listing and reading
    }
  }
  return kib / 1024
}

function descendants(pid: number): number[] {
  const children = new Map<number, number[]>()
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    try {
      // The command name (field 2) may hold spaces and parentheses: parse after its last ')'.
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8')
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      children.set(ppid, [...(children.get(ppid) ?? []), Number(name)])
    } catch {
      // gone
    }
  }
  const out: number[] = []
  const walk = (p: number) => {
    for (const c of children.get(p) ?? []) {
      out.push(c)
      walk(c)
    }
  }
  walk(pid)
  return out
}

/**
 * Samples pssMiB every `everyMs` until stopped; returns the peak. The process
 * tree is listed again every 20th sample only: listing reads every process's
 * /proc/<pid>/stat, and the bench shares the CPU with the server it measures.
 */
export function samplePss(pid: number, everyMs = 250): { stop: () => number } {
  let tree = descendants(pid)
  let peak = pssMiB(pid, tree)
  let n = 0
  const timer = setInterval(() => {
    if (++n % 20 === 0) tree = descendants(pid)
    peak = Math.max(peak, pssMiB(pid, tree))
  }, everyMs)
  return {
    stop() {
      clearInterval(timer)
      return Math.max(peak, pssMiB(pid))
    },
  }
}
