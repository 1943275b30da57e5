import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { test } from 'node:test'
import { sql } from 'kysely'
import { useTestApp } from './harness.ts'

// The job queue (pg-boss through src/platform/jobs/jobs.ts) on the test
// database: PGlite by default, PostgreSQL with DATABASE_URL.
const t = await useTestApp()
// start() starts the jobs (platform.jobs.start()) and marks the app started, so
// the harness's close() stops pg-boss before the database closes.
await t.omnidesk.start()
const jobs = t.omnidesk.platform.jobs

/** Polls until `done()` holds: at most 60 × 250 ms, then fails naming what it waited for. */
async function eventually(done: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 60; i++) {
    if (done()) return
    await sleep(250)
  }
  assert.fail(`timed out waiting for ${what}`)
}

const queueName = (what: string) => `test-${what}-${randomUUID().slice(0, 8)}`

interface JobRow {
  state: string
  retry_count: number
  start_after: Date
  created_on: Date
  started_on: Date | null
}
const jobRow = async (id: string) => (await sql<JobRow>`select state, retry_count, start_after, created_on, started_on from pgboss.job where id = ${id}`.execute(t.database.db)).rows[0]

test('a sent job runs its worker with its data', async () => {
  const queue = queueName('plain')
  const runs: Array<{ data: { n: number }; id: string }> = []
  await jobs.work<{ n: number }>(queue, async (data, job) => {
    runs.push({ data, id: job.id })
  })
  const id = await jobs.send(queue, { n: 42 })
  assert.ok(id)
  await eventually(() => runs.length > 0, 'the job to run')
  assert.deepEqual(runs, [{ data: { n: 42 }, id }])
  let state = ''
  for (let i = 0; i < 60 && state !== 'completed'; i++, await sleep(100)) state = (await jobRow(id))?.state ?? ''
  assert.equal(state, 'completed')
})

test('a job that throws is retried (retryLimit 2, retryDelaySeconds 1) and then succeeds', async () => {
  const queue = queueName('retry')
  const attempts: number[] = []
  await jobs.work<{ failTimes: number }>(queue, async (data, job) => {
    attempts.push(job.retryCount)
    if (attempts.length <= data.failTimes) throw new Error(`attempt ${attempts.length} fails`)
  })
  const id = await jobs.send(queue, { failTimes: 1 }, { retryLimit: 2, retryDelaySeconds: 1, retryBackoff: false })
  assert.ok(id)
  await eventually(() => attempts.length >= 2, 'the retry')
  let row = await jobRow(id)
  for (let i = 0; i < 60 && row?.state !== 'completed'; i++, await sleep(100)) row = await jobRow(id)
  assert.equal(row?.state, 'completed')
  assert.equal(attempts.length, 2, 'one failure, one success, no further run')
  assert.equal(row?.retry_count, 1)
})

test('the worker is told which retry it is running', async () => {
  const queue = queueName('retry-count')
  const seen: number[] = []
  await jobs.work(queue, async (_data, job) => {
    seen.push(job.retryCount)
    if (seen.length === 1) throw new Error('first attempt fails')
  })
  await jobs.send(queue, {}, { retryLimit: 1, retryDelaySeconds: 1, retryBackoff: false })
  await eventually(() => seen.length >= 2, 'the retry')
  assert.deepEqual(seen, [0, 1])
})

test('a job that keeps failing stops after its retry limit and is marked failed', async () => {
  const queue = queueName('give-up')
  let runs = 0
  await jobs.work(queue, async () => {
    runs++
    throw new Error('always fails')
  })
  const id = await jobs.send(queue, {}, { retryLimit: 1, retryDelaySeconds: 1, retryBackoff: false })
  assert.ok(id)
  let row = await jobRow(id)
  for (let i = 0; i < 60 && row?.state !== 'failed'; i++, await sleep(250)) row = await jobRow(id)
  assert.equal(row?.state, 'failed')
  assert.equal(runs, 2, 'the first run and one retry')
})

test('a delayed job does not run before its time, and runs after it', async () => {
  const queue = queueName('delayed')
  const ran: number[] = []
  await jobs.work(queue, async () => {
    ran.push(Date.now())
  })
  const sentAt = Date.now()
  const id = await jobs.send(queue, { later: true }, { startAfterSeconds: 2 })
  assert.ok(id)
  assert.equal(ran.length, 0, 'not run right after sending')
  const row = await jobRow(id)
  assert.ok(row && row.start_after.getTime() - row.created_on.getTime() >= 2000, 'stored with its start time')
  await eventually(() => ran.length > 0, 'the delayed job to run')
  // The only timing assertion: not before its time (same clock as the database).
  const ranAt = ran[0] as number
  assert.ok(ranAt >= sentAt + 2000, `ran ${ranAt - sentAt} ms after sending`)
  assert.equal(ran.length, 1)
  const started = await jobRow(id)
  assert.ok(started?.started_on && started.started_on.getTime() >= started.start_after.getTime())
})
