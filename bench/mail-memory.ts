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
 * app on PGlite, sampled every 100 ms. Prints the peak of the process's PSS and,
 * at that moment, the main thread's JavaScript heap (committed and used) and
 * the memory outside it: `external` counts PostgreSQL's WASM memory at its full
 * length (resident or not), ArrayBuffers and Buffers. Worker threads' heaps
 * are only in the PSS. The SMTP client runs in this process too, so the
 * JavaScript figures include its share.
 * `node --import tsx bench/mail-memory.ts`
 */
const senders = Number(process.env.BENCH_SENDERS ?? 8)
const rounds = Number(process.env.BENCH_ROUNDS ?? 2)
const MiB = 1024 * 1024

/** PSS of this process (Linux), in bytes. */
const pss = () => Number(/^Pss:\s+(\d+) kB/m.exec(fs.readFileSync('/proc/self/smaps_rollup', 'utf8'))?.[1] ?? 0) * 1024

interface Sample {
  pss: number
  heapUsed: number
  heapTotal: number
  external: number
  arrayBuffers: number
}
function sample(): Sample {
  const m = process.memoryUsage()
  return { pss: pss(), heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, arrayBuffers: m.arrayBuffers }
}
const show = (s: Sample) =>
  `PSS ${(s.pss / MiB).toFixed(0)} MiB; main JS heap ${(s.heapTotal / MiB).toFixed(0)} MiB (used ${(s.heapUsed / MiB).toFixed(0)}); external ${(s.external / MiB).toFixed(0)} MiB (ArrayBuffers ${(s.arrayBuffers / MiB).toFixed(0)})`

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
