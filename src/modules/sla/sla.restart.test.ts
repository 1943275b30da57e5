import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import { sql } from 'kysely'
import { build, type Omnidesk } from '../../app.ts'
import { clientFor, startTestApp } from '../../../test/harness.ts'
import { manualClock } from './index.ts'
import { created, eventually, openCase, timelineEvents } from './test-helpers.ts'

// Timers are durable: a process that scheduled them and stopped leaves them to
// the next process on the same data, which fires them.
const t = await startTestApp()
const instances: Omnidesk[] = []
after(async () => {
  for (const o of instances) await o.close()
  await t.close()
})

async function boot(opts: Parameters<typeof build>[0] extends infer O ? Omit<O, 'config' | 'database'> : never = {}) {
  const o = await build({ config: t.config, database: t.database, ...opts })
  instances.push(o)
  await o.start()
  return o
}

async function newWorkspace(o: Omnidesk) {
  const res = await clientFor(o, t.adminToken).post('/api/v1/workspaces', { name: `Restart ${Math.random().toString(36).slice(2, 8)}` })
  assert.equal(res.status, 201, JSON.stringify(res.body))
  return res.body.token as string
}

test('a warning timer queued by a process that stopped fires in the next one (pg-boss job, real time)', async () => {
  const first = await boot()
  const token = await newWorkspace(first)
  const ws = clientFor(first, token)
  // 5 % of a one-minute target: the warning falls due three seconds after the case arrives.
  await created(await ws.post('/api/v1/sla-policies', { name: 'Fast', targets: { firstResponseMinutes: 1 }, warnings: [{ percent: 5 }] }))
  const c = await openCase(ws)
  await first.platform.dispatcher.drain()
  const queued = await sql<{ n: string }>`select count(*) as n from pgboss.job where name = 'sla-timer' and state = 'created' and data->>'conversationId' = ${c.id}`.execute(t.database.db)
  assert.equal(Number(queued.rows[0]?.n), 1, 'the wake-up is a stored job')
  await first.close()
  instances.splice(instances.indexOf(first), 1)

  const second = await boot()
  const again = clientFor(second, token)
  const warnings = await eventually(async () => {
    const w = await timelineEvents(again, c.id!, 'sla.warning')
    return w.length ? w : null
  }, 'the warning after the restart')
  assert.equal(warnings.length, 1)
  assert.equal(warnings[0]!.clock, 'first_response')
  assert.equal(warnings[0]!.percent, 5)
  await second.close()
  instances.splice(instances.indexOf(second), 1)
})

test('a breach that fell due while nothing ran is recorded at start (manual clock moved past it)', async () => {
  const clock = manualClock('2026-11-16T09:00:00Z')
  const first = await boot({ slaClock: clock })
  const token = await newWorkspace(first)
  const ws = clientFor(first, token)
  await created(await ws.post('/api/v1/sla-policies', { name: 'Hour', targets: { firstResponseMinutes: 60 } }))
  const c = await openCase(ws)
  await first.platform.dispatcher.drain()
  assert.equal((await ws.get(`/api/v1/conversations/${c.id}`)).body.sla.firstResponseDueAt, '2026-11-16T10:00:00.000Z')
  await first.close()
  instances.splice(instances.indexOf(first), 1)

  const second = await boot({ slaClock: manualClock('2026-11-16T10:01:00Z') })
  const again = clientFor(second, token)
  const breaches = await eventually(async () => {
    const b = await timelineEvents(again, c.id!, 'sla.breached')
    return b.length ? b : null
  }, 'the breach after the restart')
  assert.deepEqual(breaches.map((b) => [b.clock, b.at]), [['first_response', '2026-11-16T10:00:00.000Z']])
  assert.equal((await again.get(`/api/v1/conversations/${c.id}`)).body.sla.firstResponseBreached, true)
})
