import { spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import autocannon from 'autocannon'
import { build } from '../src/app.ts'
import { loadConfig } from '../src/platform/config.ts'
import { createThrowawayDatabase } from '../test/server-database.ts'
import { fmt, http, median, workspace } from './lib.ts'

/**
 * `node --import tsx bench/webhooks.ts [--quick] [--backend pglite|postgres] [--connections N] [--seconds S]`
 *
 * Signed Twilio SMS webhooks per second and their p99, through the whole
 * intake (signature, contact, case, message, events, audit: committed before
 * the answer) against a bare route on the same machine that only parses the
 * form and checks the signature, in the same run, rounds alternating. Every
 * request is a new sender (a new contact and case): the heaviest inbound path.
 * The app runs in this process, the floor in a child process, autocannon in a
 * worker thread; numbers are for comparing the two sides of one run.
 */
const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    backend: { type: 'string', default: 'pglite' },
    connections: { type: 'string', default: '16' },
    seconds: { type: 'string' },
    'database-url': { type: 'string' },
  },
})
const quick = args.quick as boolean
const connections = Number(args.connections)
const seconds = Number(args.seconds ?? (quick ? 3 : 10))
const rounds = quick ? 1 : 3
const PUBLIC = 'https://desk.bench.test'
const TOKEN = 'bench-auth-token-0123456789'
const ACCOUNT = 'AC00000000000000000000000000000000'
const LINE = '+12065550150'

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'omnidesk-bench-webhooks-'))
const serverDb = args.backend === 'postgres' ? await createThrowawayDatabase((args['database-url'] as string | undefined) ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres', 'omnidesk_bw') : null
const adminToken = 'bench-admin-token-0123456789'
const config = loadConfig({
  DATA_DIR: dataDir,
  PUBLIC_URL: PUBLIC,
  OMNIDESK_ADMIN_TOKEN: adminToken,
  LOG_LEVEL: 'warn',
  WEBHOOK_RATE_LIMIT: '10000000',
  SMS_INBOUND_RATE_LIMIT: '100000',
  ...(serverDb && { DATABASE_URL: serverDb.url }),
})
const omnidesk = await build({ config })
await omnidesk.start()
const base = await omnidesk.app.listen({ port: 0, host: '127.0.0.1' })
const ws = await workspace(base, adminToken, 'Bench: webhooks')
const inbox = await http(base, ws.token, 'POST', '/api/v1/inboxes', { name: 'SMS', channel: 'sms', config: { provider: 'twilio', phoneNumber: LINE, accountSid: ACCOUNT, authToken: TOKEN } }, 201)
const hookPath = `/webhooks/twilio/${inbox.id}`

// The floor, in its own process: the same parse and signature check, and the same answer, with nothing stored.
const floorProcess = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./webhook-floor.ts', import.meta.url)), PUBLIC, TOKEN], { stdio: ['ignore', 'pipe', 'inherit'] })
const bareBase = await new Promise<string>((resolve, reject) => {
  floorProcess.stdout.once('data', (d: Buffer) => resolve(d.toString().trim()))
  floorProcess.once('exit', (code) => reject(new Error(`the floor process exited (${code})`)))
})

process.env.BENCH_TWILIO_SIGN_URL = PUBLIC + hookPath
process.env.BENCH_TWILIO_TOKEN = TOKEN
process.env.BENCH_TWILIO_ACCOUNT_SID = ACCOUNT
process.env.BENCH_TWILIO_TO = LINE
const setupRequest = fileURLToPath(new URL('./twilio-webhook-request.cjs', import.meta.url))

async function hammer(url: string, duration: number) {
  const r = await autocannon({ url, method: 'POST', requests: [{ setupRequest }], connections, duration, workers: 1, timeout: 30 })
  return { perSecond: r.requests.total / r.duration, p99: r.latency.p99, p50: r.latency.p50, ok: r['2xx'], non2xx: r.non2xx, errors: r.errors + r.timeouts }
}

console.log(`webhook bench: ${args.backend}, ${connections} connections, ${seconds} s x ${rounds} round(s)`)
await hammer(bareBase + hookPath, 1)
await hammer(base + hookPath, 1) // warm-up: JIT, caches
const ours: Array<Awaited<ReturnType<typeof hammer>>> = []
const floor: Array<Awaited<ReturnType<typeof hammer>>> = []
for (let r = 0; r < rounds; r++) {
  floor.push(await hammer(bareBase + hookPath, seconds))
  ours.push(await hammer(base + hookPath, seconds))
}
const stored = await omnidesk.platform.db.selectFrom('messages').select((eb) => eb.fn.countAll<string>().as('n')).where('workspace_id', '=', ws.id).executeTakeFirstOrThrow()
const ok = ours.reduce((n, x) => n + x.ok, 0)
const row = (name: string, xs: typeof ours) =>
  `| ${name} | ${fmt(median(xs.map((x) => x.perSecond)))} | ${fmt(median(xs.map((x) => x.p50)))} | ${fmt(median(xs.map((x) => x.p99)))} | ${xs.reduce((n, x) => n + x.non2xx + x.errors, 0)} |`
console.log(`\n| ${args.backend}, ${connections} connections | signed webhooks/s | p50 ms | p99 ms | non-2xx + errors |\n| --- | --- | --- | --- | --- |`)
console.log(row('SMS intake (stored before the answer)', ours))
console.log(row('bare route: signature check only', floor))
console.log(`\nratio intake/bare: ${(median(ours.map((x) => x.perSecond)) / median(floor.map((x) => x.perSecond))).toFixed(3)}; answered 2xx by the intake: ${ok}, messages stored: ${stored.n} (warm-up included)`)

floorProcess.kill()
await omnidesk.close()
await serverDb?.drop()
fs.rmSync(dataDir, { recursive: true, force: true })
