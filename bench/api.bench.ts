import fs from 'node:fs'
import { fileURLToPath } from 'node:url'
import autocannon from 'autocannon'
import type { Floors } from './floors.ts'
import { countAll, median, workspace } from './lib.ts'

/** One concurrency level of `POST /api/v1/conversations` against its floor. */
export interface ApiResult {
  connections: number
  ours: { perSecond: number; p50Ms: number; p99Ms: number; requests: number; created: number; non2xx: number; errors: number; timeouts: number; statusCodes: Record<string, number>; rounds: number[]; cpu?: CpuPerItem }
  floor: { perSecond: number; p50Ms: number; p99Ms: number; rounds: number[]; cpu?: CpuPerItem }
  /** ours / floor, medians. */
  ratio: number
}

/**
 * CPU time per created row while one side ran (Linux /proc; absent elsewhere): `processMs` of the
 * server (ours: the whole server, embedded database included) or of the floor's process, and
 * `postgresMs` of every PostgreSQL server process on this machine (0 on PGlite). On a quiet
 * machine these say which part is the ceiling: 2 cores give at most 2,000 ms of CPU per second.
 */
export interface CpuPerItem {
  processMs: number
  postgresMs: number
}

/** utime + stime of the process `pid`, in ms (clock ticks of 10 ms); null where /proc is not readable. */
function processCpuMs(pid: number): number | null {
  try {
    const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ')
    return (Number(f[11]) + Number(f[12])) * 10
  } catch {
    return null
  }
}

/** utime + stime of every process named postgres, in ms (backends that exit meanwhile are missed). */
function postgresCpuMs(): number {
  let ms = 0
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8')
      if (!stat.includes('(postgres)')) continue
      const f = stat.replace(/^.*\) /, '').split(' ')
      ms += (Number(f[11]) + Number(f[12])) * 10
    } catch {
      // gone meanwhile
    }
  }
  return ms
}

/** Measures the CPU of `pid` and of PostgreSQL while `fn` runs; added to `acc`. */
async function withCpu<T>(pid: number | undefined, acc: { process: number; postgres: number; ok: boolean }, fn: () => Promise<T>): Promise<T> {
  const p0 = pid ? processCpuMs(pid) : null
  const g0 = fs.existsSync('/proc/self/stat') ? postgresCpuMs() : 0
  const out = await fn()
  const p1 = pid ? processCpuMs(pid) : null
  if (p0 === null || p1 === null) acc.ok = false
  else acc.process += p1 - p0
  acc.postgres += fs.existsSync('/proc/self/stat') ? postgresCpuMs() - g0 : 0
  return out
}

/** Builds each request body (a fresh customer per request); a file because autocannon's workers require() it. */
const setupRequestFile = fileURLToPath(new URL('./conversation-request.cjs', import.meta.url))

/**
 * `POST /api/v1/conversations` over real HTTP to the server process (autocannon
 * in a worker thread, N keep-alive connections, a new customer per request)
 * against its floor: raw INSERTs of the same rows, one transaction each, N
 * concurrent loops on the same database (bench/floor-process.ts). Rounds
 * alternate the two sides.
 */
export async function benchApi(o: { base: string; adminToken: string; floors: Floors; levels: number[]; seconds: number; rounds: number; serverPid?: number }): Promise<ApiResult[]> {
  const ws = await workspace(o.base, o.adminToken, 'Bench: API')
  const hammer = (connections: number, seconds: number) =>
    autocannon({
      url: `${o.base}/api/v1/conversations`,
      method: 'POST',
      headers: { authorization: `Bearer ${ws.token}`, 'content-type': 'application/json' },
      requests: [{ setupRequest: setupRequestFile }],
      connections,
      duration: seconds,
      workers: 1,
      timeout: 30,
    })

  // Warm-up: JIT, caches, the workspace's default API inbox.
  await hammer(Math.max(...o.levels), 2)
  await o.floors.insert(Math.max(...o.levels), 1)

  const results: ApiResult[] = []
  let created = 0
  for (const connections of o.levels) {
    const ours: ApiResult['ours'] = { perSecond: 0, p50Ms: 0, p99Ms: 0, requests: 0, created: 0, non2xx: 0, errors: 0, timeouts: 0, statusCodes: {}, rounds: [] }
    const floor: ApiResult['floor'] = { perSecond: 0, p50Ms: 0, p99Ms: 0, rounds: [] }
    const p50s: number[] = []
    const floorP50s: number[] = []
    const ourCpu = { process: 0, postgres: 0, ok: true }
    const floorCpu = { process: 0, postgres: 0, ok: true }
    let floorRows = 0
    for (let r = 0; r < o.rounds; r++) {
      const res = await withCpu(o.serverPid, ourCpu, () => hammer(connections, o.seconds))
      ours.rounds.push(res['2xx'] / res.duration)
      ours.requests += res.requests.total
      ours.created += res['2xx']
      ours.non2xx += res.non2xx
      ours.errors += res.errors
      ours.timeouts += res.timeouts
      for (const [code, s] of Object.entries(res.statusCodeStats)) ours.statusCodes[code] = (ours.statusCodes[code] ?? 0) + s.count
      p50s.push(res.latency.p50)
      ours.p99Ms = Math.max(ours.p99Ms, res.latency.p99)
      const f = await withCpu(o.floors.pid, floorCpu, () => o.floors.insert(connections, o.seconds))
      floorRows += f.done
      floor.rounds.push(f.done / (f.durationMs / 1000))
      floorP50s.push(f.p50)
      floor.p99Ms = Math.max(floor.p99Ms, f.p99)
    }
    if (ourCpu.ok && ours.created > 0) ours.cpu = { processMs: ourCpu.process / ours.created, postgresMs: ourCpu.postgres / ours.created }
    if (floorCpu.ok && floorRows > 0) floor.cpu = { processMs: floorCpu.process / floorRows, postgresMs: floorCpu.postgres / floorRows }
    ours.perSecond = median(ours.rounds)
    ours.p50Ms = median(p50s)
    floor.perSecond = median(floor.rounds)
    floor.p50Ms = median(floorP50s)
    created += ours.created
    results.push({ connections, ours, floor, ratio: ours.perSecond / floor.perSecond })
  }
  // Every 201 stands for a conversation the API lists afterwards.
  const listed = await countAll(o.base, ws.token, '/api/v1/conversations')
  if (listed < created) throw new Error(`only ${listed} of ${created} created conversations are listed by the API`)
  return results
}
