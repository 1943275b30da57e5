import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import { sql } from 'kysely'
import { build, type Omnidesk } from '../../app.ts'
import { clientFor, startTestApp } from '../../../test/harness.ts'
import { openConversation, waitForDelivery } from './test-helpers.ts'

// A reply stored by a process that dies before sending it is sent by the next
// process on the same database; the delivery job is enqueued once.
const t = await startTestApp()
const instances: Omnidesk[] = []
after(async () => {
  for (const o of instances) await o.close()
  await t.close()
})

test('a reply stored by a process that never sent it is delivered after a restart, once', async () => {
  const first = await build({ config: t.config, database: t.database })
  const res = await clientFor(first, t.adminToken).post('/api/v1/workspaces', { name: 'Durable' })
  assert.equal(res.status, 201, JSON.stringify(res.body))
  const ws = clientFor(first, res.body.token)
  const c = await openConversation(ws)
  const reply = await ws.post(`/api/v1/conversations/${c.id}/messages`, { text: 'Sent after the crash' })
  assert.equal(reply.status, 201, JSON.stringify(reply.body))
  assert.equal(reply.body.deliveryStatus, 'queued')
  // The "crash": this process never started its workers or dispatcher.
  await first.close()

  const second = await build({ config: t.config, database: t.database })
  instances.push(second)
  await second.start()
  const again = clientFor(second, res.body.token)
  const sent = await waitForDelivery(again, c.id, reply.body.id, ['sent', 'failed'])
  assert.equal(sent.deliveryStatus, 'sent')
  await second.platform.dispatcher.drain()
  const jobs = await sql<{ n: string }>`select count(*) as n from pgboss.job where name = 'message-delivery' and id = ${reply.body.id}::uuid`.execute(t.database.db)
  const archived = await sql<{ n: string }>`select count(*) as n from pgboss.archive where name = 'message-delivery' and id = ${reply.body.id}::uuid`.execute(t.database.db)
  assert.equal(Number(jobs.rows[0]?.n) + Number(archived.rows[0]?.n), 1, 'one delivery job for the message')
  const updates = await t.database.db.selectFrom('events').select('payload').where('conversation_id', '=', c.id).where('type', '=', 'message.delivery-updated').execute()
  assert.deepEqual(updates.map((u) => u.payload.status), ['sent'], 'sent once')
})
