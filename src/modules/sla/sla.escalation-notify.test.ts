import assert from 'node:assert/strict'
import { test } from 'node:test'
import { type Client, clientFor } from '../../../test/harness.ts'
import { startRelay } from '../../channels/email/test-relay.ts'
import { uniqueAddress } from '../../channels/email/test-helpers.ts'
import { manualClock } from './index.ts'
import { created, eventually, openCase, useSlaApp } from './test-helpers.ts'

// SLA escalation levels that notify people: in the app (GET /notifications)
// and by email, received here by a real SMTP relay that the workspace's email
// inbox sends through. The instance has no OUTBOUND_SMTP_URL, so a workspace
// without an email inbox records why no email went.
const clock = manualClock('2026-11-16T09:00:00Z')
const s = await useSlaApp(clock)
const relay = await startRelay()

type Ws = Awaited<ReturnType<typeof s.workspace>>
interface Note {
  kind: string
  text: string
  conversationId: string | null
  email: { status: string; recipient: string | null; detail: string | null } | null
}

async function user(ws: Ws, name: string, role = 'agent') {
  const email = `${name.toLowerCase()}-${Math.random().toString(36).slice(2, 8)}@staff.example.com`
  const u = await created(await ws.post('/api/v1/users', { email, name, role }))
  const tok = await created(await ws.post('/api/v1/tokens', { name, userId: u.id }))
  return { id: u.id as string, email, client: clientFor(s.app, tok.secret as string) }
}
const notes = async (u: { client: Client }) => {
  const res = await u.client.get('/api/v1/notifications')
  assert.equal(res.status, 200, JSON.stringify(res.body))
  return (res.body.items as Note[]).filter((n) => n.kind === 'sla_escalation')
}

async function breach(ws: Ws, escalations: unknown[], assigneeId?: string, teamId?: string) {
  await created(await ws.post('/api/v1/sla-policies', { name: 'Notify', targets: { firstResponseMinutes: 60 }, escalations }))
  const c = await openCase(ws, { subject: 'Printer on fire' })
  if (assigneeId || teamId) assert.equal((await ws.patch(`/api/v1/conversations/${c.id}`, { ...(assigneeId && { assigneeId }), ...(teamId && { teamId }) })).status, 200)
  await s.settle()
  clock.set('2026-11-16T10:01:00Z')
  await s.app.services.sla.runDueChecks()
  await s.settle()
  return c
}

test('a level notifying the assignee, supervisors, the team and named users: each once, in the app and by email', async () => {
  clock.set('2026-11-16T09:00:00Z')
  const ws = await s.workspace()
  const address = uniqueAddress()
  await created(await ws.post('/api/v1/inboxes', { name: 'Support', channel: 'email', config: { address, displayName: 'Acme Support', smtp: { host: '127.0.0.1', port: relay.port, secure: false } } }))
  const ann = await user(ws, 'Ann')
  const sue = await user(ws, 'Sue', 'supervisor')
  const tom = await user(ws, 'Tom')
  const nat = await user(ws, 'Nat')
  const bystander = await user(ws, 'Bystander')
  const team = await created(await ws.post('/api/v1/teams', { name: 'Billing', memberIds: [ann.id, tom.id] }))
  const c = await breach(
    ws,
    [{ percent: 100, actions: [{ type: 'notify_assignee', message: 'Answer now' }, { type: 'notify_supervisors' }, { type: 'notify_team' }, { type: 'notify_users', userIds: [nat.id, ann.id] }] }],
    ann.id,
    team.id as string,
  )

  for (const [who, role] of [[ann, 'its assignee'], [sue, 'a supervisor'], [tom, 'a member of its team'], [nat, 'named in the policy']] as const) {
    const got = await eventually(async () => {
      const n = await notes(who)
      return n.length === 1 && n[0]!.email?.status === 'sent' && n
    }, `${role}: notified and emailed`)
    assert.equal(got[0]!.conversationId, c.id)
    assert.match(got[0]!.text, new RegExp(`^SLA escalation \\(level 1, Notify\\) on #${c.number} Printer on fire: first response at 100 % of its target\\. You are notified as ${role}\\.`))
    assert.equal(got[0]!.email?.recipient, who.email)
    const mails = relay.mailTo(who.email)
    assert.equal(mails.length, 1, `one email to ${who.email}`)
    assert.equal(mails[0]!.subject, `[Omnidesk] SLA escalation: #${c.number} Printer on fire`)
    assert.equal(mails[0]!.from?.value[0]?.address, address)
    assert.equal(mails[0]!.headers.get('auto-submitted'), 'auto-generated')
    assert.equal(mails[0]!.text?.trim(), got[0]!.text)
  }
  assert.match((await notes(ann))[0]!.text, /Answer now$/, 'the level’s message')
  assert.deepEqual(await notes(bystander), [], 'nobody else')
  assert.equal(relay.mailTo(bystander.email).length, 0)

  // Re-evaluating (a replayed timer) notifies nobody twice.
  await s.app.services.sla.runDueChecks()
  await s.settle()
  assert.equal((await notes(sue)).length, 1)
  assert.equal(relay.mailTo(sue.email).length, 1)
})

/** A workspace whose assignee is notified at breach, where no mail can go: the reason recorded on the notification. */
async function notSentBecause(setup: (ws: Ws) => Promise<unknown>): Promise<string> {
  clock.set('2026-11-16T09:00:00Z')
  const ws = await s.workspace()
  await setup(ws)
  const ann = await user(ws, 'Ann')
  await breach(ws, [{ percent: 100, actions: [{ type: 'notify_assignee' }] }], ann.id)
  const [n] = await eventually(async () => {
    const got = await notes(ann)
    return got[0]?.email?.status === 'not_sent' && got
  }, 'the delivery settled as not sent')
  assert.equal(relay.mailTo(ann.email).length, 0)
  return n!.email!.detail ?? ''
}

test('without an email inbox the notification stands and says why no email went', async () => {
  assert.match(await notSentBecause(async () => {}), /no active email inbox/)
})

test('an email inbox with no relay (and no OUTBOUND_SMTP_URL) records that there is no outbound server', async () => {
  const detail = await notSentBecause(async (ws) => created(await ws.post('/api/v1/inboxes', { name: 'Support', channel: 'email', config: { address: uniqueAddress() } })))
  assert.match(detail, /no smtp relay and OUTBOUND_SMTP_URL is not set/)
})

test('a policy cannot name another workspace’s user (400), and one workspace never sees another’s escalations', async () => {
  clock.set('2026-11-16T09:00:00Z')
  const a = await s.workspace()
  const b = await s.workspace()
  const ann = await user(a, 'Ann')
  const res = await b.post('/api/v1/sla-policies', { name: 'Steal', targets: { firstResponseMinutes: 60 }, escalations: [{ percent: 100, actions: [{ type: 'notify_users', userIds: [ann.id] }] }] })
  assert.equal(res.status, 400, JSON.stringify(res.body))
  assert.equal(res.body.error.code, 'VALIDATION_FAILED')
  assert.match(res.body.error.message, /escalations\.0\.actions\.0\.userIds/)

  await breach(a, [{ percent: 100, actions: [{ type: 'notify_assignee' }] }], ann.id)
  await eventually(async () => (await notes(ann)).length === 1, 'Ann notified')
  const bList = await b.get('/api/v1/notifications')
  assert.deepEqual(bList.body.items, [])
})
