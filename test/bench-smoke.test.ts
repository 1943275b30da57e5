import assert from 'node:assert/strict'
import fs from 'node:fs'
import { test } from 'node:test'
import { buildMailWorkload, sendMailWorkload } from '../bench/mail-workload.ts'
import { type BenchResults, verdicts } from '../bench/report.ts'
import { pssMiB, startCommand } from '../bench/server-process.ts'
import { startSmtpFloor } from '../bench/smtp-floor.ts'

// The bench is not a test and its numbers are checked nowhere; these keep its plumbing honest.

test('the bench starts the server with package.json\'s start script and reads PSS from /proc', () => {
  const cmd = startCommand()
  assert.ok(cmd.script.length > 0)
  assert.ok(fs.existsSync(cmd.file) || cmd.file === 'sh', cmd.file)
  assert.ok(pssMiB(process.pid) > 10, 'this process holds more than 10 MiB')
})

test('the mail workload reaches the parse-only floor whole, at 8 senders', async () => {
  const mails = buildMailWorkload({ to: 'support@floor.bench.test', seed: 7 })
  assert.equal(mails.filter((m) => m.kind === 'new').length, 160)
  assert.equal(mails.filter((m) => m.kind === 'reply').length, 40)
  assert.equal(new Set(mails.map((m) => m.from.toLowerCase())).size, 16)
  const floor = await startSmtpFloor()
  try {
    const sent = await sendMailWorkload({ host: '127.0.0.1', port: floor.port, mails, concurrency: 8 })
    assert.equal(sent.accepted, 200)
    assert.equal(floor.parsed(), 200)
  } finally {
    await floor.close()
  }
})

test('verdicts hold each figure to its target', () => {
  const api = (ratio: number, p99Ms: number, non2xx: number) => ({
    connections: 8,
    ours: { perSecond: 100 * ratio, p50Ms: 10, p99Ms, requests: 10, created: 10 - non2xx, non2xx, errors: 0, timeouts: 0, statusCodes: {}, rounds: [] },
    floor: { perSecond: 100, p50Ms: 1, p99Ms: 2, rounds: [] },
    ratio,
  })
  const check = { cases: 160, repliesThreaded: 40, contacts: 16, notProcessed: 0, expected: { cases: 160, replies: 40, contacts: 16 }, ok: true }
  const mail = (senders: number, ratio: number, ok = true) => ({
    senders,
    ours: { mailsPerSecond: 50 * ratio, seconds: 4 / ratio, acceptedSeconds: 1, rounds: [], timedOut: false, check: { ...check, ok } },
    floor: { mailsPerSecond: 50, seconds: 4, rounds: [] },
    ratio,
    peakPssMiB: null,
  })
  const r: BenchResults = {
    version: 1,
    date: '',
    commit: '',
    command: '',
    startScript: '',
    machine: { cpus: 2, cpu: '', memoryGiB: 1, node: '', loadAverageStart: [], loadAverageEnd: [] },
    settings: { quick: true, starts: 1, settleSeconds: 1, apiSeconds: 1, apiRounds: 1, mailRounds: 1, mailMails: 200 },
    backends: [
      {
        backend: 'pglite',
        start: { freshMs: [3100], existingMs: [1900], freshMedianMs: 3100, existingMedianMs: 1900 },
        memory: { idleFirstStartMiB: 199, idleRestartMiB: 201, peakMail8MiB: 300 },
        api: [api(0.5, 99, 0), api(0.6, 100, 0), api(0.9, 10, 1)],
        mail: [mail(1, 0.1), mail(8, 0.49), mail(32, 0.5), mail(32, 0.9, false)],
        seconds: 1,
      },
    ],
  }
  assert.deepEqual(verdicts(r).map((v) => v.pass), [true, false, true, false, true, false, false, true, false, true, false, true])
})
