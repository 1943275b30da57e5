import { fileURLToPath } from 'node:url'
import autocannon from 'autocannon'
import type { Floors } from './floors.ts'
import { countAll, median, workspace } from './lib.ts'

/** One concurrency level of `POST /api/v1/conversations` against its floor. */
export interface ApiResult {
  connections: number
  ours: { perSecond: number; p50Ms: number; p99Ms: number; requests: number; created: number; non2xx: number; errors: number; timeouts: number; statusCodes: Record<string, number>; rounds: number[] }
  floor: { perSecond: number; p50Ms: number; p99Ms: number; rounds: number[] }
  /** ours / floor, medians. */
  ratio: number
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
export async function benchApi(o: { base: string; adminToken: string; floors: Floors; levels: number[]; seconds: number; rounds: number }): Promise<ApiResult[]> {
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
    for (let r = 0; r < o.rounds; r++) {
      const res = await hammer(connections, o.seconds)
      ours.rounds.push(res['2xx'] / res.duration)
      ours.requests += res.requests.total
      ours.created += res['2xx']
      ours.non2xx += res.non2xx
      ours.errors += res.errors
      ours.timeouts += res.timeouts
      for (const [code, s] of Object.entries(res.statusCodeStats)) ours.statusCodes[code] = (ours.statusCodes[code] ?? 0) + s.count
      p50s.push(res.latency.p50)
      ours.p99Ms = Math.max(ours.p99Ms, res.latency.p99)
      const f = await o.floors.insert(connections, o.seconds)
      floor.rounds.push(f.done / (f.durationMs / 1000))
      floorP50s.push(f.p50)
      floor.p99Ms = Math.max(floor.p99Ms, f.p99)
    }
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
