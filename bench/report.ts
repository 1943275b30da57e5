import type { ApiResult, CpuPerItem } from './api.bench.ts'
import { fmt } from './lib.ts'
import type { MailResult } from './mail.bench.ts'

/** Everything one backend's run measured. */
export interface BackendResult {
  backend: 'pglite' | 'postgres'
  /** Set when the backend could not be measured (e.g. no PostgreSQL reachable). */
  skipped?: string
  start: { freshMs: number[]; existingMs: number[]; freshMedianMs: number; existingMedianMs: number }
  memory: { idleFirstStartMiB: number; idleRestartMiB: number; peakMail8MiB: number | null }
  api: ApiResult[]
  mail: MailResult[]
  seconds: number
}

/** bench/results/latest.json: the whole run, from which the tables below (and BENCHMARKS.md's) are rendered. */
export interface BenchResults {
  version: 1
  date: string
  commit: string
  command: string
  startScript: string
  machine: { cpus: number; cpu: string; memoryGiB: number; node: string; loadAverageStart: number[]; loadAverageEnd: number[] }
  settings: { quick: boolean; starts: number; settleSeconds: number; apiSeconds: number; apiRounds: number; mailRounds: number; mailMails: number }
  backends: BackendResult[]
}

export interface Verdict {
  backend: string
  path: string
  ours: string
  floor: string
  ratio: string
  target: string
  pass: boolean | null
}

const name = (b: string) => (b === 'pglite' ? 'PGlite' : 'PostgreSQL')
const ms = (n: number) => `${n.toFixed(0)} ms`

/** One row per measured figure, with its target and whether it was met (null: reported, no target). */
export function verdicts(r: BenchResults): Verdict[] {
  const rows: Verdict[] = []
  for (const b of r.backends) {
    const be = name(b.backend)
    if (b.skipped) {
      rows.push({ backend: be, path: 'all', ours: `skipped: ${b.skipped}`, floor: '', ratio: '', target: '', pass: null })
      continue
    }
    for (const m of b.mail) {
      const c = m.ours.check
      const checked = c ? `; ${c.cases}/${c.expected.cases} cases, ${c.repliesThreaded}/${c.expected.replies} replies threaded, ${c.contacts}/${c.expected.contacts} contacts` : ''
      const hasTarget = m.senders !== 1
      const correct = !m.ours.timedOut && (c?.ok ?? false)
      rows.push({
        backend: be,
        path: `inbound email, ${m.senders} sender${m.senders === 1 ? '' : 's'}`,
        ours: `${fmt(m.ours.mailsPerSecond)} mails/s (${m.ours.seconds.toFixed(1)} s; last 250 after ${m.ours.acceptedSeconds.toFixed(1)} s${m.ours.cpuMsPerMail !== undefined ? `; server CPU ${m.ours.cpuMsPerMail.toFixed(1)} ms/mail` : ''}${m.ours.timedOut ? '; TIMED OUT' : ''}${checked})`,
        floor: `${fmt(m.floor.mailsPerSecond)} mails/s (${m.floor.seconds.toFixed(2)} s)`,
        ratio: m.ratio.toFixed(3),
        target: hasTarget ? '≥ 0.5 of floor, all threaded' : 'all threaded',
        pass: hasTarget ? correct && m.ratio >= 0.5 : correct,
      })
    }
    for (const a of b.api) {
      const failed = a.ours.non2xx + a.ours.errors + a.ours.timeouts
      const codes = Object.entries(a.ours.statusCodes).map(([k, v]) => `${k}×${v}`).join(' ')
      rows.push({
        backend: be,
        path: `POST /api/v1/conversations, ${a.connections} connection${a.connections === 1 ? '' : 's'}`,
        ours: `${fmt(a.ours.perSecond)}/s, p50 ${a.ours.p50Ms.toFixed(1)} ms, p99 ${a.ours.p99Ms.toFixed(1)} ms, non-2xx ${a.ours.non2xx}, errors ${a.ours.errors + a.ours.timeouts} (${codes})${cpuText(a.ours.cpu, 'server')}`,
        floor: `${fmt(a.floor.perSecond)}/s, p50 ${a.floor.p50Ms.toFixed(1)} ms, p99 ${a.floor.p99Ms.toFixed(1)} ms${cpuText(a.floor.cpu, 'client')}`,
        ratio: a.ratio.toFixed(3),
        target: '≥ 0.5 of floor, p99 < 100 ms, no failures',
        pass: a.ratio >= 0.5 && a.ours.p99Ms < 100 && failed === 0,
      })
    }
    const embedded = b.backend === 'pglite'
    const mem = (path: string, v: number | null, limit: number) =>
      rows.push({
        backend: be,
        path,
        ours: v === null ? 'not measured' : `${v.toFixed(0)} MiB`,
        floor: '—',
        ratio: '—',
        target: embedded ? `≤ ${limit} MiB` : '(comparison)',
        pass: embedded && v !== null ? v <= limit : null,
      })
    mem('memory (PSS), idle after the first start', b.memory.idleFirstStartMiB, 200)
    mem('memory (PSS), idle after a restart', b.memory.idleRestartMiB, 200)
    mem('memory (PSS), peak under 8-way mail', b.memory.peakMail8MiB, 300)
    const start = (path: string, median: number, all: number[], limit: number) =>
      rows.push({ backend: be, path, ours: `${ms(median)} (${all.map((v) => v.toFixed(0)).join(', ')})`, floor: '—', ratio: '—', target: `≤ ${limit / 1000} s`, pass: median <= limit })
    start(`start to /health 200, fresh ${embedded ? 'data directory' : 'database'}`, b.start.freshMedianMs, b.start.freshMs, 3000)
    start('start to /health 200, existing data', b.start.existingMedianMs, b.start.existingMs, 2000)
  }
  return rows
}

const cell = (s: string) => s.replace(/\|/g, '\\|')

/** The results as Markdown: the summary table, then how the run was made. */
export function renderMarkdown(r: BenchResults): string {
  const m = r.machine
  const lines = [
    `Run ${r.date}, commit \`${r.commit}\`, \`${r.command}\`; server started with \`${r.startScript}\`.`,
    `Machine: ${m.cpus} × ${m.cpu}, ${m.memoryGiB.toFixed(1)} GiB RAM, Node ${m.node}; load average ${m.loadAverageStart.map((l) => l.toFixed(2)).join(' ')} at the start, ${m.loadAverageEnd.map((l) => l.toFixed(2)).join(' ')} at the end.`,
    `Settings: ${r.settings.quick ? 'quick; ' : ''}${r.settings.starts} start(s) of each kind, ${r.settings.settleSeconds} s settle before idle memory, ${r.settings.apiRounds} round(s) × ${r.settings.apiSeconds} s of API load per side, ${r.settings.mailRounds} round(s) of ${r.settings.mailMails} mails per side and level.`,
    '',
    '| backend | path | Omnidesk | floor (same run) | ratio | target | pass |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...verdicts(r).map((v) => `| ${v.backend} | ${cell(v.path)} | ${cell(v.ours)} | ${cell(v.floor)} | ${v.ratio} | ${v.target} | ${v.pass === null ? '—' : v.pass ? 'yes' : '**no**'} |`),
  ]
  return lines.join('\n')
}

/** CPU per row, when measured: `; CPU 4.1 ms server + 3.7 ms PostgreSQL per row`. */
function cpuText(cpu: CpuPerItem | undefined, who: string): string {
  if (!cpu) return ''
  return `; CPU ${cpu.processMs.toFixed(1)} ms ${who}${cpu.postgresMs >= 0.05 ? ` + ${cpu.postgresMs.toFixed(1)} ms PostgreSQL` : ''} per row`
}
