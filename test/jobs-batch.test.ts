import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { test } from 'node:test'
import { sql } from 'kysely'
import { useTestApp } from './harness.ts'

// jobs.work(queue, handler, { batchSize }): many jobs per poll, each failing on its own.
const t = await useTestApp()
await t.omnidesk.start()
const jobs = t.omnidesk.platform.jobs

const states = async (ids: string[]) =>
  (await sql<{ id: string; state: string; retry_count: number }>`select id, state, retry_count from pgboss.job where id = any(${ids}::uuid[])`.execute(t.database.db)).rows

test('a batch worker takes a burst in one poll, and a failing job is retried alone', async () => {
  const queue = `test-batch-${randomUUID().slice(0, 8)}`
  const ids: string[] = []
  for (let n = 0; n < 12; n++) {
    const id = await jobs.send(queue, { n }, { retryLimit: 2, retryDelaySeconds: 1, retryBackoff: false })
    assert.ok(id)
    ids.push(id)
  }
  // A job is due once its start_after is before the database clock; PGlite's clock can read the
  // same millisecond as the last insert, and a poll in that millisecond would leave that job for
  // the next poll. Start the worker once all twelve are due.
  const due = async () =>
    (await sql<{ n: number }>`select count(*)::int as n from pgboss.job where id = any(${ids}::uuid[]) and start_after < now()`.execute(t.database.db)).rows[0]!.n
  for (let i = 0; i < 100 && (await due()) < 12; i++) await sleep(10)
  assert.equal(await due(), 12, 'all twelve are due before the worker starts')
  const runs: number[] = []
  let failed = false
  let release: () => void = () => {}
  const gate = new Promise<void>((r) => (release = r))
  let blocked = false
  await jobs.work<{ n: number }>(
    queue,
    async (data) => {
      if (!blocked) {
        // Hold the first job: the rest of its batch is fetched (active) but waits.
        blocked = true
        await gate
      }
      if (data.n === 3 && !failed) {
        failed = true
        throw new Error('job 3 fails once')
      }
      runs.push(data.n)
    },
    { batchSize: 20 },
  )
  for (let i = 0; i < 300 && !blocked; i++) await sleep(50)
  assert.ok(blocked, 'the worker started')
  const active = (await states(ids)).filter((r) => r.state === 'active').length
  assert.equal(active, 12, 'all twelve were fetched in one batch (one per poll would leave one active)')
  release()
  let rows = await states(ids)
  for (let i = 0; i < 300 && rows.some((r) => r.state !== 'completed'); i++, await sleep(100)) rows = await states(ids)
  assert.ok(rows.every((r) => r.state === 'completed'), JSON.stringify(rows))
  assert.deepEqual([...runs].sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11])
  // Only job 3 was retried; the others of its batch completed once.
  assert.equal(rows.filter((r) => r.retry_count > 0).length, 1)
  assert.equal(runs.length, 12)
})
