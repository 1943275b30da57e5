#!/usr/bin/env node
// Measures start time and memory of the server exactly as `npm start` runs it
// (the command of package.json's "start" script, spawned directly so its pid is the
// serving process): time from spawn to the first `GET /health` 200 (and the CPU time
// the process used until then, steadier on a busy machine), the peak PSS
// during start, and the PSS after MEASURE_IDLE_SECONDS of idling, read from
// /proc/<pid>/smaps_rollup (Linux only). With MEASURE_PROBE=1 the process also
// reports process.memoryUsage() at idle (JS heap, external, array buffers —
// PGlite's WASM memory is an ArrayBuffer and shows there), through an --import probe.
//
// Usage: node scripts/measure-start.mjs [runs=3]
//   each run: a fresh DATA_DIR, then a second start on that (existing) DATA_DIR.
// Environment: MEASURE_IDLE_SECONDS (default 5), MEASURE_PROBE (0/1, default 1),
// DATABASE_URL (passed through: measures the PostgreSQL backend instead).
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'

const { fetch } = globalThis
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const runs = Number(process.argv[2] ?? 3)
const idleSeconds = Number(process.env.MEASURE_IDLE_SECONDS ?? 5)
const probe = process.env.MEASURE_PROBE !== '0'

const startScript = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).scripts.start
const [cmd, ...args] = startScript.split(/\s+/)
if (cmd !== 'node') throw new Error(`package.json "start" must be "node …" to be measured; it is: ${startScript}`)

const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
const freePort = () =>
  new Promise((resolve, reject) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address()
      s.close(() => resolve(port))
    })
    s.on('error', reject)
  })

/** KiB values of /proc/<pid>/smaps_rollup, or null once the process is gone. */
function smaps(pid) {
  try {
    const text = fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8')
    const get = (k) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN)
    return { pss: get('Pss'), rss: get('Rss'), anon: get('Pss_Anon') }
  } catch {
    return null
  }
}

/** CPU seconds (user + system) the process has used: on a busy machine a steadier figure than wall time. */
function cpuSeconds(pid) {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
    return (Number(fields[11]) + Number(fields[12])) / 100 // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return NaN
  }
}

async function healthy(port) {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/health`)
    return res.status === 200
  } catch {
    return false
  }
}

async function startOnce(dataDir) {
  const port = await freePort()
  const probeFile = path.join(os.tmpdir(), `omnidesk-probe-${process.pid}-${Date.now()}.json`)
  const env = {
    ...process.env,
    DATA_DIR: dataDir,
    PORT: String(port),
    HOST: '127.0.0.1',
    SMTP_PORT: '0',
    SMTP_HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    OMNIDESK_ADMIN_TOKEN: 'measure-admin-token-0123456789',
  }
  const nodeArgs = probe ? ['--import', path.join(root, 'scripts/memory-probe.mjs'), ...args] : args
  if (probe) env.OMNIDESK_MEMORY_PROBE_FILE = probeFile
  const t0 = performance.now()
  const child = spawn(process.execPath, nodeArgs, { cwd: root, env, stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (d) => (stderr += d))
  let exited = false
  child.on('exit', () => (exited = true))
  let peak = 0
  let startMs = NaN
  let startCpu = NaN
  while (!exited) {
    const m = smaps(child.pid)
    if (m) peak = Math.max(peak, m.pss)
    if (await healthy(port)) {
      startMs = performance.now() - t0
      startCpu = cpuSeconds(child.pid)
      break
    }
    if (performance.now() - t0 > 600_000) break
    await sleep(25)
  }
  if (Number.isNaN(startMs)) {
    child.kill('SIGKILL')
    throw new Error(`server did not answer /health:\n${stderr}`)
  }
  // Peak keeps being sampled while idling: background start work (jobs, dispatcher) happens now.
  const until = performance.now() + idleSeconds * 1000
  while (performance.now() < until) {
    const m = smaps(child.pid)
    if (m) peak = Math.max(peak, m.pss)
    await sleep(100)
  }
  const idle = smaps(child.pid)
  if (probe) child.kill('SIGUSR2')
  await sleep(probe ? 300 : 0)
  let usage = null
  try {
    usage = JSON.parse(fs.readFileSync(probeFile, 'utf8'))
    fs.rmSync(probeFile)
  } catch {
    // no probe report
  }
  child.kill('SIGINT')
  await new Promise((r) => (exited ? r() : child.on('exit', r)))
  return { startMs, startCpu, peakPss: peak, idle, usage }
}

const mib = (kib) => (kib / 1024).toFixed(0)
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]
}

const results = { fresh: [], existing: [] }
for (let i = 0; i < runs; i++) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'omnidesk-measure-'))
  try {
    for (const kind of ['fresh', 'existing']) {
      const r = await startOnce(path.join(dir, 'data'))
      results[kind].push(r)
      const u = r.usage
      console.log(
        `${kind.padEnd(8)} run ${i + 1}: start→/health ${(r.startMs / 1000).toFixed(2)} s (CPU ${r.startCpu.toFixed(2)} s), ` +
          `PSS peak ${mib(r.peakPss)} MiB, idle ${mib(r.idle.pss)} MiB (anon ${mib(r.idle.anon)}, RSS ${mib(r.idle.rss)})` +
          (u ? `; heapUsed ${u.heapUsed} MiB, heapTotal ${u.heapTotal}, external ${u.external}, arrayBuffers ${u.arrayBuffers}` : ''),
      )
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
}
console.log(`\nstart: ${startScript}${process.env.DATABASE_URL ? ' (PostgreSQL)' : ' (PGlite)'}, ${runs} run(s), medians:`)
for (const kind of ['fresh', 'existing']) {
  const rs = results[kind]
  console.log(
    `  ${kind.padEnd(8)} start→/health ${(median(rs.map((r) => r.startMs)) / 1000).toFixed(2)} s (CPU ${median(rs.map((r) => r.startCpu)).toFixed(2)} s), ` +
      `PSS peak ${mib(median(rs.map((r) => r.peakPss)))} MiB, idle ${mib(median(rs.map((r) => r.idle.pss)))} MiB`,
  )
}
