import fs from 'node:fs'
import type { Floors } from './floors.ts'
import { countAll, http, median, sleep, workspace } from './lib.ts'
import { buildMailWorkload, sendMailWorkload, type WorkloadMail } from './mail-workload.ts'
import { samplePss } from './server-process.ts'

/** What the server made of one workload, read back through the API. */
export interface MailCheck {
  cases: number
  repliesThreaded: number
  contacts: number
  /** Inbound rows not processed (quarantined, ignored, still received). */
  notProcessed: number
  expected: { cases: number; replies: number; contacts: number }
  ok: boolean
}

/** One number of concurrent senders: end to end against the parse-only floor. */
export interface MailResult {
  senders: number
  ours: {
    mailsPerSecond: number
    seconds: number
    acceptedSeconds: number
    /**
     * CPU time (user + system, every thread) of the server process per mail, median of the
     * rounds, from the first connection until processed (the bench's polling included; on
     * PostgreSQL the database server's own CPU is not in it). Absent in older results.
     */
    cpuMsPerMail?: number
    rounds: number[]
    timedOut: boolean
    check: MailCheck | null
  }
  floor: { mailsPerSecond: number; seconds: number; rounds: number[] }
  ratio: number
  /** Peak PSS of the server while this level ran (sampled every 250 ms), when asked for. */
  peakPssMiB: number | null
}

interface InboundItem {
  messageIdHeader: string | null
  status: string
  conversationId: string | null
}

/** CPU time (user + system) of process `pid`, all its threads, in ms: /proc/<pid>/stat fields 14 and 15. */
function cpuMs(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  // After the command name: field 3 (state) is fields[0], so utime (14) and stime (15) are fields[11] and fields[12].
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS
}
/** USER_HZ: 100 on every Linux this runs on (getconf CLK_TCK). */
const CLOCK_TICKS = 100

const norm = (id: string | null | undefined) => (id ?? '').replace(/[<>\s]/g, '').toLowerCase()

async function listAll<T>(base: string, token: string, url: string): Promise<T[]> {
  const out: T[] = []
  let cursor: string | null = null
  do {
    const page = await http(base, token, 'GET', `${url}?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`)
    out.push(...(page.items as T[]))
    cursor = page.nextCursor
  } while (cursor)
  return out
}

/** Replies whose conversation is their thread's first mail's conversation. */
function threadedReplies(mails: WorkloadMail[], inbound: InboundItem[]): number {
  const conv = new Map(inbound.map((i) => [norm(i.messageIdHeader), i.conversationId]))
  // parentIndex names a mail's `index`, not its position: the workload is in send order.
  const byIndex = new Map(mails.map((m) => [m.index, m]))
  let threaded = 0
  for (const m of mails) {
    if (m.kind !== 'reply') continue
    let root = m
    for (let hops = 0; root.parentIndex !== null && hops < mails.length; hops++) root = byIndex.get(root.parentIndex) ?? root
    const c = conv.get(norm(m.messageId))
    if (c && c === conv.get(norm(root.messageId))) threaded++
  }
  return threaded
}

let seed = 1000
const WORKLOAD_SIZE = buildMailWorkload({ to: 'support@size.bench.test' }).length

/**
 * Inbound email end to end: the workload sent to the server's SMTP port by
 * `senders` concurrent connections, timed from the first connection until
 * every mail is processed and every case it opened is listed by
 * `GET /api/v1/conversations`; against the same mails, at the same
 * concurrency, to a bare smtp-server + mailparser that parses and stores
 * nothing (timed until the last 250). Rounds alternate the two sides.
 */
export async function benchMail(o: { base: string; smtpPort: number; adminToken: string; serverPid: number; floors: Floors; levels: number[]; rounds: number; sampleAt: number; timeoutMs: number }): Promise<MailResult[]> {
  const floorPort = await o.floors.smtpPort()

  /** `small`: a 20-mail workload, to warm up. */
  async function ours(senders: number, small = false): Promise<{ seconds: number; acceptedSeconds: number; cpuMs: number; timedOut: boolean; check: MailCheck }> {
    const ws = await workspace(o.base, o.adminToken, `Bench: mail ${senders}`)
    const address = `support@m${seed}.bench.test`
    await http(o.base, ws.token, 'POST', '/api/v1/inboxes', { name: 'Support', channel: 'email', config: { address } }, 201)
    const mails = buildMailWorkload({ to: address, seed: seed++, ...(small && { senders: 4, newMails: 16, replies: 4 }) })
    const cpu0 = cpuMs(o.serverPid)
    const t0 = performance.now()
    const sent = await sendMailWorkload({ host: '127.0.0.1', port: o.smtpPort, mails, concurrency: senders })
    const acceptedSeconds = (performance.now() - t0) / 1000
    if (sent.accepted !== mails.length) throw new Error(`the server accepted ${sent.accepted} of ${mails.length} mails`)
    const deadline = Date.now() + o.timeoutMs
    let inbound: InboundItem[] = []
    let timedOut = false
    for (;;) {
      inbound = await listAll<InboundItem>(o.base, ws.token, '/api/v1/email/inbound')
      if (inbound.length >= mails.length && inbound.every((i) => i.status !== 'received')) {
        const listed = new Set((await listAll<{ id: string }>(o.base, ws.token, '/api/v1/conversations')).map((c) => c.id))
        if (inbound.every((i) => !i.conversationId || listed.has(i.conversationId))) break
      }
      if (Date.now() > deadline) {
        timedOut = true
        break
      }
      await sleep(100)
    }
    const seconds = (performance.now() - t0) / 1000
    const cpu = cpuMs(o.serverPid) - cpu0
    const expected = {
      cases: mails.filter((m) => m.kind === 'new').length,
      replies: mails.filter((m) => m.kind === 'reply').length,
      contacts: new Set(mails.map((m) => m.from.toLowerCase())).size,
    }
    const check: MailCheck = {
      cases: await countAll(o.base, ws.token, '/api/v1/conversations'),
      repliesThreaded: threadedReplies(mails, inbound),
      contacts: await countAll(o.base, ws.token, '/api/v1/contacts'),
      notProcessed: inbound.filter((i) => i.status !== 'processed').length + Math.max(0, mails.length - inbound.length),
      expected,
      ok: false,
    }
    check.ok = !timedOut && check.cases === expected.cases && check.repliesThreaded === expected.replies && check.contacts === expected.contacts && check.notProcessed === 0
    return { seconds, acceptedSeconds, cpuMs: cpu, timedOut, check }
  }

  async function floor(senders: number, small = false): Promise<number> {
    const mails = buildMailWorkload({ to: 'support@floor.bench.test', seed: seed++, ...(small && { senders: 4, newMails: 16, replies: 4 }) })
    const before = await o.floors.parsed()
    const t0 = performance.now()
    await sendMailWorkload({ host: '127.0.0.1', port: floorPort, mails, concurrency: senders })
    const seconds = (performance.now() - t0) / 1000
    const parsed = (await o.floors.parsed()) - before
    if (parsed !== mails.length) throw new Error(`the floor parsed ${parsed} of ${mails.length} mails`)
    return seconds
  }

  // Warm-up of both sides (JIT, the parser, the server's first mail paths).
  await floor(8, true)
  await ours(8, true)

  const results: MailResult[] = []
  for (const senders of o.levels) {
    const oursSeconds: number[] = []
    const accepted: number[] = []
    const cpu: number[] = []
    const floorSeconds: number[] = []
    let timedOut = false
    let check: MailCheck | null = null
    const sampler = senders === o.sampleAt ? samplePss(o.serverPid) : null
    for (let r = 0; r < o.rounds; r++) {
      const run = await ours(senders)
      oursSeconds.push(run.seconds)
      accepted.push(run.acceptedSeconds)
      cpu.push(run.cpuMs)
      timedOut ||= run.timedOut
      // Report the worst round's correctness: any miss shows.
      if (!check || !run.check.ok) check = run.check
      floorSeconds.push(await floor(senders))
    }
    const peakPssMiB = sampler ? sampler.stop() : null
    const n = WORKLOAD_SIZE
    const oursMedian = median(oursSeconds)
    const floorMedian = median(floorSeconds)
    results.push({
      senders,
      ours: { mailsPerSecond: n / oursMedian, seconds: oursMedian, acceptedSeconds: median(accepted), cpuMsPerMail: median(cpu) / n, rounds: oursSeconds.map((s) => n / s), timedOut, check },
      floor: { mailsPerSecond: n / floorMedian, seconds: floorMedian, rounds: floorSeconds.map((s) => n / s) },
      ratio: floorMedian / oursMedian,
      peakPssMiB,
    })
  }
  return results
}
