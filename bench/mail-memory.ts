import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { build } from '../src/app.ts'
import { loadConfig } from '../src/platform/config.ts'
import { buildMailWorkload, sendMailWorkload } from './mail-workload.ts'

/**
 * What the memory of an embedded-database server is made of while inbound mail
 * arrives: the 200-mail workload sent BENCH_ROUNDS times (default 2, a fresh
 * inbox each) over BENCH_SENDERS (default 8) SMTP connections to an in-process
 * app on PGlite, sampled every 100 ms. Prints the peak of the process's PSS and
 * its make-up at that moment: PostgreSQL's WASM memory (the largest mapping of
 * the process: a WebAssembly.Memory reserves gigabytes of address space),
 * the main thread's JavaScript heap, ArrayBuffers and Buffers outside the heap,
 * and the rest (code, worker threads' heaps, the allocator). The SMTP client
 * runs in this process too, so the JavaScript figures include its share.
 * `node --import tsx bench/mail-memory.ts`
 */
const senders = Number(process.env.BENCH_SENDERS ?? 8)
const rounds = Number(process.env.BENCH_ROUNDS ?? 2)
const MiB = 1024 * 1024

/** PSS of this process and of its largest mapping (the WASM memory), in bytes. */
function smaps(): { pss: number; largestPss: number } {
  const text = fs.readFileSync('/proc/self/smaps', 'utf8')
  let pss = 0
  let largest = 0
  let largestPss = 0
  let size = 0
  for (const line of text.split('\n')) {
    if (/^[0-9a-f]+-[0-9a-f]+ /.test(line)) {
      const [from, to] = line.split(' ')[0]!.split('-').map((h) => parseInt(h, 16)) as [number, number]
      size = to - from
    } else if (line.startsWith('Pss:')) {
      const kib = Number(/(\d+)/.exec(line)?.[1] ?? 0) * 1024
      pss += kib
      if (size > largest) {
        largest = size
        largestPss = kib
      }
    }
  }
  return { pss, largestPss }
}

interface Sample {
  pss: number
  wasm: number
  heapUsed: number
  heapTotal: number
  external: number
  arrayBuffers: number
}
function sample(): Sample {
  const m = process.memoryUsage()
  const s = smaps()
  return { pss: s.pss, wasm: s.largestPss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, arrayBuffers: m.arrayBuffers }
}
const show = (s: Sample) =>
  `PSS ${(s.pss / MiB).toFixed(0)} MiB = WASM ${(s.wasm / MiB).toFixed(0)} + main JS heap ${(s.heapTotal / MiB).toFixed(0)} (used ${(s.heapUsed / MiB).toFixed(0)}) + external ${(s.external / MiB).toFixed(0)} (ArrayBuffers ${(s.arrayBuffers / MiB).toFixed(0)}) + rest ${((s.pss - s.wasm - s.heapTotal - s.external) / MiB).toFixed(0)}`

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'omnidesk-mail-memory-'))
const adminToken = `bench-admin-${randomBytes(12).toString('hex')}`
const config = loadConfig({ DATA_DIR: dataDir, OMNIDESK_ADMIN_TOKEN: adminToken, LOG_LEVEL: 'error', API_RATE_LIMIT: '100000000' })
const o = await build({ config })
try {
  await o.start()
  const { port } = await o.smtp.listen(0, '127.0.0.1')
  const auth = { authorization: `Bearer ${adminToken}` }
  const ws = await o.app.inject({ method: 'POST', url: '/api/v1/workspaces', headers: auth, payload: { name: 'Mail memory' } })
  const token = JSON.parse(ws.body).token as string
  await new Promise((r) => setTimeout(r, 1500))
  console.log(`idle: ${show(sample())}`)
  let peak = sample()
  const timer = setInterval(() => {
    const s = sample()
    if (s.pss > peak.pss) peak = s
  }, 100)
  for (let r = 0; r < rounds; r++) {
    const to = `support@${randomBytes(4).toString('hex')}.bench.test`
    const inbox = await o.app.inject({ method: 'POST', url: '/api/v1/inboxes', headers: { authorization: `Bearer ${token}` }, payload: { name: `Support ${r}`, channel: 'email', config: { address: to } } })
    if (inbox.statusCode !== 201) throw new Error(`${inbox.statusCode} ${inbox.body}`)
    const t0 = performance.now()
    const sent = await sendMailWorkload({ host: '127.0.0.1', port, mails: buildMailWorkload({ to, seed: 500 + r }), concurrency: senders })
    const accepted = performance.now() - t0
    await o.emailProcessor.drain()
    await o.platform.dispatcher.drain()
    console.log(`round ${r + 1}: ${sent.accepted} mails at ${senders}-way, last 250 after ${accepted.toFixed(0)} ms, processed after ${(performance.now() - t0).toFixed(0)} ms`)
  }
  clearInterval(timer)
  console.log(`peak: ${show(peak)}`)
  console.log(`after: ${show(sample())}`)
} finally {
  await o.close()
  fs.rmSync(dataDir, { recursive: true, force: true })
}
