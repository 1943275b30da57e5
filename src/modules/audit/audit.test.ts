import assert from 'node:assert/strict'
import { test } from 'node:test'
import { sql } from 'kysely'
import { chainPending } from '../../platform/audit/appender.ts'
import { useTestApp } from '../../../test/harness.ts'

const t = await useTestApp()

test('every change is chained; the auditor endpoint reports the chain intact', async () => {
  const ws = await t.workspace()
  await ws.post('/api/v1/teams', { name: 'A' })
  await ws.patch('/api/v1/workspace', { name: 'Renamed' })
  const list = await ws.get('/api/v1/audit-events')
  assert.equal(list.status, 200)
  const seqs = list.body.items.map((e: { seq: string }) => Number(e.seq))
  assert.deepEqual(seqs, [...seqs].sort((a, b) => b - a), 'newest first')
  assert.ok(list.body.items.every((e: { hash: string }) => /^[0-9a-f]{64}$/.test(e.hash)))
  const first = list.body.items.at(-1)
  assert.equal(first.action, 'user.created')
  const teamEntry = list.body.items.find((e: { action: string }) => e.action === 'team.created')
  assert.equal(teamEntry.actor.type, 'token')
  assert.ok(teamEntry.requestId)
  const report = await ws.get('/api/v1/audit-events/verify')
  assert.deepEqual(report.body, { intact: true, checked: seqs.length, firstBrokenSeq: null, reason: null })
})

test('the audit log is append-only, even for the database owner', async () => {
  const ws = await t.workspace()
  await assert.rejects(
    sql`update audit_events set action = 'nothing.happened' where workspace_id = ${ws.workspaceId}`.execute(t.database.db),
    /append-only/,
  )
  await assert.rejects(sql`delete from audit_events where workspace_id = ${ws.workspaceId}`.execute(t.database.db), /append-only/)
})

test('a tampered entry is found by verification', async () => {
  const ws = await t.workspace()
  await ws.post('/api/v1/teams', { name: 'Evidence' })
  await ws.post('/api/v1/teams', { name: 'More evidence' })
  // Reading the log links every committed entry into the chain first.
  assert.equal((await ws.get('/api/v1/audit-events/verify')).body.intact, true)
  // Someone with superuser access disables the guard and edits history.
  const target = await t.database.db
    .selectFrom('audit_events')
    .select(['seq'])
    .where('workspace_id', '=', ws.workspaceId)
    .where('action', '=', 'team.created')
    .orderBy('seq')
    .limit(1)
    .executeTakeFirstOrThrow()
  await sql`alter table audit_events disable trigger audit_events_no_update`.execute(t.database.db)
  try {
    await sql`update audit_events set changes = '{"after":{"name":"Nothing to see"}}' where workspace_id = ${ws.workspaceId} and seq = ${target.seq}`.execute(t.database.db)
  } finally {
    await sql`alter table audit_events enable trigger audit_events_no_update`.execute(t.database.db)
  }
  const report = await ws.get('/api/v1/audit-events/verify')
  assert.equal(report.body.intact, false)
  assert.equal(report.body.firstBrokenSeq, target.seq)
  assert.match(report.body.reason, /altered/)
  // Other workspaces' chains are unaffected.
  const other = await t.workspace()
  assert.equal((await other.get('/api/v1/audit-events/verify')).body.intact, true)
})

test('audit events of one workspace are invisible to another', async () => {
  const a = await t.workspace()
  const b = await t.workspace()
  await a.post('/api/v1/teams', { name: 'Secret team' })
  const bList = await b.get('/api/v1/audit-events?limit=100')
  assert.ok(!JSON.stringify(bList.body).includes('Secret team'))
  assert.ok(!JSON.stringify(bList.body).includes(a.workspaceId))
})

test('entries are written unlinked and linked once, in order; the link cannot be rewritten', async () => {
  const ws = await t.workspace()
  await ws.post('/api/v1/teams', { name: 'One' })
  await ws.post('/api/v1/teams', { name: 'Two' })
  const written = await t.database.db.selectFrom('audit_events').select(['id', 'hash']).where('workspace_id', '=', ws.workspaceId).execute()
  // The test app runs no background appender: nothing has linked these yet.
  assert.ok(written.length >= 3 && written.every((r) => r.hash === null))
  // Not even an unlinked entry can be altered.
  await assert.rejects(sql`update audit_events set action = 'nothing.happened' where workspace_id = ${ws.workspaceId}`.execute(t.database.db), /append-only/)

  const list = await ws.get('/api/v1/audit-events')
  const n = written.length
  assert.deepEqual(list.body.items.slice(0, 2).map((e: { seq: string; action: string }) => [e.seq, e.action]), [[String(n), 'team.created'], [String(n - 1), 'team.created']])
  const linked = await t.database.db.selectFrom('audit_events').select(['id', 'seq']).where('workspace_id', '=', ws.workspaceId).orderBy('id').execute()
  assert.deepEqual(linked.map((r) => r.seq), Array.from({ length: n }, (_, i) => String(i + 1)), 'linked in the order they were written')
  // A linked entry keeps its link.
  await assert.rejects(sql`update audit_events set seq = 9, hash = repeat('0', 64) where workspace_id = ${ws.workspaceId} and seq = 2`.execute(t.database.db), /append-only/)
})

test('a removed entry is found by verification', async () => {
  const ws = await t.workspace()
  await ws.post('/api/v1/teams', { name: 'Kept' })
  await ws.post('/api/v1/teams', { name: 'Removed' })
  await ws.post('/api/v1/teams', { name: 'Kept too' })
  assert.equal((await ws.get('/api/v1/audit-events/verify')).body.intact, true)
  await sql`alter table audit_events disable trigger audit_events_no_update`.execute(t.database.db)
  try {
    await sql`delete from audit_events where workspace_id = ${ws.workspaceId} and seq = 3`.execute(t.database.db)
  } finally {
    await sql`alter table audit_events enable trigger audit_events_no_update`.execute(t.database.db)
  }
  const report = await ws.get('/api/v1/audit-events/verify')
  assert.equal(report.body.intact, false)
  assert.equal(report.body.firstBrokenSeq, '4')
  assert.match(report.body.reason, /missing/)
})

test('linking in small batches (as on PGlite) links every entry once, in order, across workspaces', async () => {
  const a = await t.workspace()
  const b = await t.workspace()
  for (let i = 0; i < 4; i++) {
    await a.post('/api/v1/teams', { name: `A${i}` })
    await b.post('/api/v1/teams', { name: `B${i}` })
  }
  const pending = Number((await sql<{ n: string }>`select count(*)::text as n from audit_events where hash is null`.execute(t.database.db)).rows[0]!.n)
  assert.ok(pending >= 10, `pending: ${pending}`)
  // Batches of 3: several transactions, each continuing the chains the one before left.
  assert.equal(await chainPending(t.database.db, { wait: true, batch: 3 }), pending)
  for (const ws of [a, b]) {
    const rows = await t.database.db.selectFrom('audit_events').select(['seq']).where('workspace_id', '=', ws.workspaceId).orderBy('id').execute()
    assert.deepEqual(rows.map((r) => r.seq), Array.from({ length: rows.length }, (_, i) => String(i + 1)))
    assert.equal((await ws.get('/api/v1/audit-events/verify')).body.intact, true)
  }
})
