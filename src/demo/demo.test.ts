import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import path from 'node:path'
import { test } from 'node:test'
import { promisify } from 'node:util'
import { type Client, type Res, useTestApp } from '../../test/harness.ts'
import { withSystem } from '../platform/db/tenant.ts'
import { loadDemoData } from './index.ts'

const t = await useTestApp()
const DAY = 86_400_000

async function listAll(c: Client, url: string): Promise<Array<Record<string, any>>> { // eslint-disable-line @typescript-eslint/no-explicit-any -- API JSON
  const items = []
  let cursor: string | null = null
  do {
    const sep = url.includes('?') ? '&' : '?'
    const res: Res = await c.get(`${url}${sep}limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`)
    assert.equal(res.status, 200, JSON.stringify(res.body))
    items.push(...res.body.items)
    cursor = res.body.nextCursor
  } while (cursor)
  return items
}

test('the demo fills a workspace through the services, with a past history, once', async () => {
  const ws = await t.workspace('Demo Co')
  const before = Date.now()
  const first = await loadDemoData(t.omnidesk, ws.workspaceId, { conversations: 40 })
  assert.equal(first.loaded, true)
  if (!first.loaded) return
  await t.omnidesk.platform.dispatcher.drain()
  // Every event was handled: past replies need no delivery job, so no listener waits for the job queue.
  const stuck = await withSystem(t.omnidesk.platform.db, (trx) =>
    trx.selectFrom('events').select('type').where('workspace_id', '=', ws.workspaceId).where((eb) => eb.or([eb('dispatched_at', 'is', null), eb('last_error', 'is not', null)])).execute(),
  )
  assert.deepEqual(stuck, [])

  // Staff and teams.
  const users = await listAll(ws, '/api/v1/users')
  const demoUsers = users.filter((u) => String(u.email).endsWith('@demo.omnidesk.example'))
  assert.equal(demoUsers.length, 11)
  assert.equal(demoUsers.filter((u) => u.role === 'agent').length, 8)
  assert.ok(demoUsers.some((u) => u.role === 'supervisor') && demoUsers.some((u) => u.role === 'admin'))
  const teams = (await ws.get('/api/v1/teams')).body.items as Array<{ name: string; memberIds: string[] }>
  assert.deepEqual(teams.map((x) => x.name).sort(), ['Billing', 'Technical', 'VIP'])
  for (const team of teams) assert.ok(team.memberIds.length >= 2, `${team.name} has members`)

  // A demo agent signs in with the printed password.
  const agent = demoUsers.find((u) => u.role === 'agent')!
  const login = await t.admin.post('/api/v1/auth/login', { email: agent.email, password: first.password })
  assert.equal(login.status, 200, JSON.stringify(login.body))

  // Contacts with several identities.
  const contacts = await listAll(ws, '/api/v1/contacts')
  assert.equal(contacts.length, 120)
  const kinds = (c: Record<string, any>) => (c.identities as Array<{ kind: string }>).map((i) => i.kind) // eslint-disable-line @typescript-eslint/no-explicit-any -- API JSON
  assert.ok(contacts.every((c) => kinds(c).includes('email') && kinds(c).includes('phone')))
  assert.ok(contacts.some((c) => kinds(c).filter((k) => k === 'email').length === 2), 'some contacts have two emails')

  // Conversations across channels, statuses, assignments and tags, all in the past.
  const convs = await listAll(ws, '/api/v1/conversations')
  assert.equal(convs.length, 40)
  assert.ok(new Set(convs.map((c) => c.channel)).size >= 2, 'conversations on at least two channels')
  assert.ok(new Set(convs.map((c) => c.status)).size >= 3, 'a mix of statuses')
  assert.ok(convs.some((c) => c.assigneeId) && convs.every((c) => c.teamId), 'assigned to teams and agents')
  assert.ok(convs.some((c) => c.tags.length > 0) && convs.every((c) => c.categoryId))
  const created = convs.map((c) => Date.parse(c.createdAt))
  assert.ok(created.every((x) => x < before), 'created in the past')
  assert.ok(Math.max(...created) - Math.min(...created) > 7 * DAY, 'spread over weeks')
  assert.ok(convs.filter((c) => c.status === 'solved' || c.status === 'closed').every((c) => c.solvedAt && Date.parse(c.solvedAt) < before))

  // Messages: inbound, replies (already sent, not queued) and notes, in time order.
  const directions = new Set<string>()
  for (const c of convs.slice(0, 15)) {
    const messages = await listAll(ws, `/api/v1/conversations/${c.id}/messages`)
    assert.ok(messages.length >= 1 && messages.length <= 8)
    assert.equal(messages[0]!.direction, 'inbound')
    for (const m of messages) {
      directions.add(m.direction)
      assert.ok(Date.parse(m.createdAt) >= Date.parse(c.createdAt) && Date.parse(m.createdAt) < before)
      if (m.direction === 'outbound') assert.equal(m.deliveryStatus, 'sent')
    }
  }
  assert.deepEqual([...directions].sort(), ['inbound', 'note', 'outbound'])

  // Every action was audited and the chain holds.
  const audit = await ws.get('/api/v1/audit-events?action=message.created&limit=5')
  assert.ok(audit.body.items.length > 0)
  const verify = await ws.get('/api/v1/audit-events/verify')
  assert.equal(verify.status, 200)
  assert.equal(verify.body.intact, true, JSON.stringify(verify.body))

  // A second run adds nothing.
  const again = await loadDemoData(t.omnidesk, ws.workspaceId, { conversations: 40 })
  assert.equal(again.loaded, false)
  assert.equal((await listAll(ws, '/api/v1/conversations')).length, 40)
  assert.equal((await listAll(ws, '/api/v1/contacts')).length, 120)
  assert.equal((await listAll(ws, '/api/v1/users')).length, users.length)
})

test('the same seed plans the same history', async () => {
  const { createRandom } = await import('./random.ts')
  const { makeContacts } = await import('./people.ts')
  const { planConversations } = await import('./plan.ts')
  const now = new Date('2026-06-01T12:00:00Z')
  const plan = (seed: number) => {
    const rnd = createRandom(seed)
    return planConversations(rnd, makeContacts(rnd, 30), 20, now)
  }
  assert.deepEqual(plan(7), plan(7))
  assert.notDeepEqual(plan(7), plan(8))
  for (const p of plan(7)) for (const s of p.steps) assert.ok(s.at > p.at && s.at < now)
})

test('the demo command refuses a bad --conversations before opening anything', async () => {
  const run = promisify(execFile)
  await assert.rejects(
    run(process.execPath, ['scripts/cli.mjs', 'demo', '--conversations', 'lots'], { cwd: path.resolve(import.meta.dirname, '../..'), env: { ...process.env, DATA_DIR: t.config.dataDir } }),
    (err: { code: number; stderr: string }) => {
      assert.equal(err.code, 2)
      assert.match(err.stderr, /--conversations must be a whole number/)
      return true
    },
  )
})
