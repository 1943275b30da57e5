import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import type { Browser, Page } from 'playwright-core'
import { suggestMerge } from '../../src/modules/contacts/index.ts'
import { type Client, useTestApp, type WorkspaceClient } from '../harness.ts'
import { axeViolations, browserSkipReason, launchChromium, screenshot, serveTestApp } from './desk-harness.ts'

/*
 * The admin screens that finish the desk, in a real browser against the app
 * in this process (so a merge suggestion can be recorded the way a channel
 * does): edit an inbox and see its health, team members, the merge
 * suggestions review and its undo, the customer panel's attributes and
 * pending suggestion, agents' presence and load on the board, axe on every
 * admin screen. Screenshots go to test-results/screenshots/ (docs/screenshots/ with UPDATE_SCREENSHOTS=1).
 */
const skip = browserSkipReason()
if (skip) console.log(`# ${skip}`)
const opts = { skip: skip ?? false }

const password = 'correct horse battery staple'
const t = skip ? null : await useTestApp()
let browser: Browser
let base = ''
let ws: WorkspaceClient
let admin: Page
const agent = { id: '', email: '', client: null as Client | null }

before(async () => {
  if (!t) return
  base = await serveTestApp(t)
  browser = await launchChromium()
  const stamp = Date.now().toString(36)
  ws = await t.workspace('Admin Co')
  const ada = await ws.post('/api/v1/users', { email: `ada-${stamp}@example.com`, name: 'Ada Admin', role: 'admin', password })
  assert.equal(ada.status, 201, JSON.stringify(ada.body))
  agent.email = `sam-${stamp}@example.com`
  const sam = await ws.post('/api/v1/users', { email: agent.email, name: 'Sam Agent', role: 'agent', password })
  assert.equal(sam.status, 201, JSON.stringify(sam.body))
  agent.id = sam.body.id
  agent.client = ws.as((await ws.post('/api/v1/tokens', { name: 'sam', userId: agent.id })).body.secret)
  admin = await signIn(`ada-${stamp}@example.com`)
})
after(async () => {
  await browser?.close()
})

/** A new browser context on the sign-in form, filled in and sent. */
async function submitSignIn(email: string): Promise<Page> {
  const context = await browser.newContext({ baseURL: base, viewport: { width: 1280, height: 900 }, reducedMotion: 'reduce' })
  const page = await context.newPage()
  await page.goto('/')
  await page.getByLabel('Email').fill(email)
  await page.getByLabel('Password').fill(password)
  await page.getByRole('button', { name: 'Sign in' }).click()
  return page
}

async function signIn(email: string): Promise<Page> {
  const page = await submitSignIn(email)
  await page.getByRole('navigation', { name: 'Main' }).waitFor()
  return page
}

async function openAdmin(page: Page, link: string, heading = link): Promise<void> {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: link, exact: true }).click()
  await page.getByRole('heading', { name: heading, level: 1 }).waitFor()
}

test('an admin edits an inbox: its settings filled in, the secret shown as set and kept, deactivated; its health shown', opts, async () => {
  const inbox = await ws.post('/api/v1/inboxes', { name: 'SMS line', channel: 'sms', config: { provider: 'sandbox', phoneNumber: '+14155550123', authToken: 'a-long-secret-token-1234567890' } })
  assert.equal(inbox.status, 201, JSON.stringify(inbox.body))
  await openAdmin(admin, 'Inboxes')
  const row = admin.getByRole('row', { name: /SMS line/ })
  await row.getByText('healthy').waitFor()
  await admin.getByRole('button', { name: 'Edit SMS line' }).click()
  const editor = admin.getByRole('region', { name: 'Edit inbox SMS line' })
  await editor.waitFor()
  assert.equal(await editor.getByLabel('Phone Number').inputValue(), '+14155550123')
  assert.equal(await editor.getByLabel('Auth Token').inputValue(), '', 'a secret is never shown')
  await editor.getByText('set (leave empty to keep)').waitFor()
  await editor.getByText('no sends or webhooks so far').waitFor()

  // A bad value is refused next to its field, and nothing changes.
  await editor.getByLabel('Phone Number').fill('not a number')
  await editor.getByRole('button', { name: 'Save' }).click()
  await editor.locator('.schema-field', { has: admin.getByLabel('Phone Number') }).locator('.error').waitFor()
  assert.equal((await ws.get(`/api/v1/inboxes/${inbox.body.id}`)).body.config.phoneNumber, '+14155550123')

  await editor.getByLabel('Phone Number').fill('+14155550199')
  await editor.getByLabel('Active (receives and sends)').uncheck()
  await editor.getByRole('button', { name: 'Save' }).click()
  await editor.getByRole('status').filter({ hasText: 'Saved.' }).waitFor()
  const stored = (await ws.get(`/api/v1/inboxes/${inbox.body.id}`)).body
  assert.deepEqual([stored.config.phoneNumber, stored.active, stored.secretsSet], ['+14155550199', false, ['authToken']])
  await row.getByText('inactive').waitFor()
  assert.deepEqual(await axeViolations(admin), [])
  await screenshot(admin, 'admin-inbox-edit')
})

test('a supervisor adds and removes team members from the team screen', opts, async () => {
  const team = await ws.post('/api/v1/teams', { name: 'Billing' })
  assert.equal(team.status, 201)
  await openAdmin(admin, 'Teams')
  const card = admin.getByRole('region', { name: 'Billing' })
  await card.getByLabel('New member of Billing').selectOption({ label: 'Sam Agent (agent)' })
  await card.getByRole('button', { name: 'Add member' }).click()
  await card.getByRole('list', { name: 'Members of Billing' }).getByText('Sam Agent').waitFor()
  assert.deepEqual((await ws.get(`/api/v1/teams/${team.body.id}`)).body.memberIds, [agent.id])
  await screenshot(admin, 'admin-teams')
  await card.getByRole('button', { name: 'Remove Sam Agent from Billing' }).click()
  await card.getByText('No members yet.').waitFor()
  assert.deepEqual((await ws.get(`/api/v1/teams/${team.body.id}`)).body.memberIds, [])
})

test('the customer panel edits the contact’s attributes and shows a pending merge suggestion; the review screen accepts one, rejects another; the merge is undone from the contact', opts, async () => {
  const app = t!
  const stamp = Date.now().toString(36)
  const kase = await ws.post('/api/v1/conversations', { contact: { name: 'Grace Hopper', email: `grace-${stamp}@example.com` }, subject: 'Compiler question', message: { text: 'Hello' } })
  assert.equal(kase.status, 201, JSON.stringify(kase.body))
  const a = kase.body.contactId as string
  assert.equal((await ws.patch(`/api/v1/contacts/${a}`, { attributes: { plan: 'gold' } })).status, 200)
  const b = (await ws.post('/api/v1/contacts', { identities: [{ kind: 'widget', value: `visitor-${stamp}` }], attributes: { plan: 'silver', city: 'Arlington' } })).body.id as string
  const c = (await ws.post('/api/v1/contacts', { name: 'Carl Chat', identities: [{ kind: 'widget', value: `carl-${stamp}` }] })).body.id as string
  const d = (await ws.post('/api/v1/contacts', { name: 'Dora Mail', identities: [{ kind: 'email', value: `dora-${stamp}@example.com` }] })).body.id as string
  const evidence = { source: 'chat.pre-chat-form', identity: { kind: 'email', value: `grace-${stamp}@example.com` }, detail: 'typed in the pre-chat form' }
  await app.omnidesk.platform.tx(ws.workspaceId, (trx) => suggestMerge(trx, ws.workspaceId, a, b, evidence))
  await app.omnidesk.platform.tx(ws.workspaceId, (trx) => suggestMerge(trx, ws.workspaceId, c, d, { source: 'chat.identify-unsigned', detail: 'an unsigned identify() call' }))

  await admin.goto(`/cases/${kase.body.id}`)
  const panel = admin.getByRole('region', { name: 'Grace Hopper' })
  await panel.getByRole('note', { name: 'Possible duplicate' }).getByText(`This customer may be the same person as visitor-${stamp}`).waitFor()
  await panel.getByText('plan', { exact: true }).waitFor()
  const form = panel.getByRole('form', { name: 'Set an attribute' })
  await form.getByLabel('Attribute').fill('tier')
  await form.getByLabel('Value').fill('enterprise')
  await form.getByRole('button', { name: 'Save attribute' }).click()
  await panel.getByText('enterprise').waitFor()
  await panel.getByRole('button', { name: 'Edit plan' }).click()
  assert.equal(await form.getByLabel('Value').inputValue(), 'gold')
  await form.getByLabel('Value').fill('platinum')
  await form.getByRole('button', { name: 'Save attribute' }).click()
  await panel.getByText('platinum').waitFor()
  await panel.getByRole('button', { name: 'Remove tier' }).click()
  await panel.getByText('enterprise').waitFor({ state: 'detached' })
  assert.deepEqual((await ws.get(`/api/v1/contacts/${a}`)).body.attributes, { plan: 'platinum' })
  assert.deepEqual(await axeViolations(admin), [])
  await screenshot(admin, 'case-customer-panel')

  await panel.getByRole('link', { name: 'Review merge suggestions' }).click()
  await admin.getByRole('heading', { name: 'Merge suggestions', level: 1 }).waitFor()
  const pair = admin.getByRole('region', { name: `Grace Hopper and visitor-${stamp}` })
  await pair.getByText('typed in the pre-chat form').waitFor()
  const result = pair.getByRole('region', { name: 'After the merge' })
  await result.getByText(`widget: visitor-${stamp}`).waitFor()
  await result.getByText(`email: grace-${stamp}@example.com`).waitFor()
  await result.getByText('Arlington').waitFor()
  await result.getByText('platinum').waitFor()
  await result.getByText('Differing attributes keep the first contact’s value: plan').waitFor()
  assert.deepEqual(await axeViolations(admin), [])
  await screenshot(admin, 'admin-merge-suggestions')

  const other = admin.getByRole('region', { name: 'Carl Chat and Dora Mail' })
  await other.getByRole('button', { name: 'Keep Carl Chat and Dora Mail apart' }).click()
  await other.getByRole('status').filter({ hasText: 'Rejected' }).waitFor()
  await pair.getByRole('button', { name: `Merge visitor-${stamp} into Grace Hopper` }).click()
  await pair.getByRole('status').filter({ hasText: 'Merged.' }).waitFor()
  assert.equal((await ws.get(`/api/v1/contacts/${b}`)).body.mergedIntoId, a)
  assert.equal((await ws.get(`/api/v1/contacts/${d}`)).body.mergedIntoId, null)
  assert.equal((await ws.get(`/api/v1/merge-suggestions?contactId=${c}&status=rejected`)).body.items.length, 1)

  await pair.getByRole('link', { name: 'Open Grace Hopper (undo the merge there)' }).click()
  await admin.getByRole('button', { name: 'Undo merge' }).click()
  await admin.getByRole('button', { name: 'Undo merge' }).waitFor({ state: 'detached' })
  assert.equal((await ws.get(`/api/v1/contacts/${b}`)).body.mergedIntoId, null)
})

test('the board shows each agent’s presence and cases per channel against capacity', opts, async () => {
  await ws.post('/api/v1/conversations', { contact: { email: 'load@example.com' }, subject: 'Carried', message: { text: 'x' }, assigneeId: agent.id })
  assert.equal((await ws.put(`/api/v1/users/${agent.id}/routing`, { capacity: { api: 4, email: 2 }, skills: [] })).status, 200)
  assert.equal((await ws.put(`/api/v1/users/${agent.id}/presence`, { status: 'busy' })).status, 200)
  await openAdmin(admin, 'Live board')
  const row = admin.getByRole('row', { name: /Sam Agent/ })
  await row.getByText('Busy').waitFor()
  await row.getByText('api 1/4 · email 0/2').waitFor()
  await admin.getByRole('row', { name: /Ada Admin/ }).getByText('Offline').waitFor()
  await screenshot(admin, 'admin-board-presence')
})

test('an agent sets their presence from the top bar, the board follows, and a supervisor’s change reaches the agent’s desk live', opts, async () => {
  const sam = await signIn(agent.email)
  const control = sam.getByRole('combobox', { name: 'Presence' })
  await openAdmin(admin, 'Live board')
  await control.selectOption('away')
  await admin.getByRole('row', { name: /Sam Agent/ }).getByText('Away').waitFor()
  assert.equal((await ws.get(`/api/v1/users/${agent.id}/routing`)).body.status, 'away')
  // Nothing polls the agent's own presence: the change arrives on the realtime agents topic.
  assert.equal((await ws.put(`/api/v1/users/${agent.id}/presence`, { status: 'online' })).status, 200)
  for (let i = 0; i < 200 && (await control.inputValue()) !== 'online'; i++) await sam.waitForTimeout(100)
  assert.equal(await control.inputValue(), 'online')
  await sam.context().close()
})

test('an email and password of two workspaces: the sign-in asks which by name, and Switch workspace signs in to the other', opts, async () => {
  const other = await t!.workspace('Other Co')
  const email = `two-${Date.now().toString(36)}@example.com`
  for (const w of [ws, other]) assert.equal((await w.post('/api/v1/users', { email, name: 'Two Places', role: 'agent', password })).status, 201)
  const page = await submitSignIn(email)
  await page.getByRole('alert').getByText('several workspaces').waitFor()
  const choice = page.getByRole('combobox', { name: 'Workspace' })
  assert.deepEqual((await choice.locator('option').allTextContents()).sort(), ['Admin Co', 'Other Co'])
  await choice.selectOption({ label: 'Other Co' })
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.getByText(`${email} · Other Co`).waitFor()
  await page.getByRole('button', { name: 'Switch workspace' }).click()
  await page.getByRole('button', { name: 'Sign in' }).waitFor()
  assert.equal(await page.getByLabel('Email').inputValue(), email)
  assert.equal(await choice.inputValue(), ws.workspaceId, 'the workspace not just left is chosen')
  await page.getByLabel('Password').fill(password)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.getByText(`${email} · Admin Co`).waitFor()
  await page.context().close()
})

test('a live case routed to an online agent is offered in the desk: Accept opens it assigned, Decline passes it on', opts, async () => {
  const shop = await t!.workspace('Offers Co')
  const email = `olive-${Date.now().toString(36)}@example.com`
  const olive = await shop.post('/api/v1/users', { email, name: 'Olive', role: 'agent', password })
  assert.equal(olive.status, 201, JSON.stringify(olive.body))
  const chat = await shop.post('/api/v1/inboxes', { name: 'Website chat', channel: 'chat', config: {} })
  assert.equal(chat.status, 201, JSON.stringify(chat.body))
  assert.equal((await shop.post('/api/v1/queues', { name: 'Chats', strategy: 'least_loaded', match: { channels: ['chat'] }, offerTimeoutSeconds: 600 })).status, 201)
  assert.equal((await shop.put(`/api/v1/users/${olive.body.id}/routing`, { capacity: { chat: 2 }, skills: [] })).status, 200)
  const page = await signIn(email)
  await page.getByRole('combobox', { name: 'Presence' }).selectOption('online')
  const first = await shop.post('/api/v1/conversations', { inboxId: chat.body.id, contact: { email: 'visitor1@example.com' }, subject: 'Chat about shoes', message: { text: 'hi' } })
  assert.equal(first.status, 201, JSON.stringify(first.body))
  const offer = page.getByRole('group', { name: /case offered to you: Chat about shoes/ })
  await offer.waitFor()
  await screenshot(page, 'offer')
  await offer.getByRole('button', { name: 'Accept' }).click()
  await page.waitForURL(`**/cases/${first.body.id}`)
  assert.equal((await shop.get(`/api/v1/conversations/${first.body.id}`)).body.assigneeId, olive.body.id)
  await offer.waitFor({ state: 'detached' })

  const second = await shop.post('/api/v1/conversations', { inboxId: chat.body.id, contact: { email: 'visitor2@example.com' }, subject: 'Chat about hats', message: { text: 'hello' } })
  assert.equal(second.status, 201, JSON.stringify(second.body))
  const next = page.getByRole('group', { name: /case offered to you: Chat about hats/ })
  await next.getByRole('button', { name: 'Decline' }).click()
  await next.waitFor({ state: 'detached' })
  const decided = (await shop.get(`/api/v1/conversations/${second.body.id}/routing-decisions`)).body.items.map((d: { kind: string }) => d.kind)
  assert.ok(decided.includes('offer_declined'), JSON.stringify(decided))
  assert.equal((await shop.get(`/api/v1/conversations/${second.body.id}`)).body.assigneeId, null)
  await page.context().close()
})

test('axe finds no serious or critical violation on any admin screen, in light and dark themes', opts, async () => {
  const nav = admin.getByRole('navigation', { name: 'Main' })
  const screens = ['Live board', 'Inboxes', 'Inbound mail', 'Users', 'Teams', 'Merge suggestions', 'Taxonomy', 'API tokens', 'Audit log', 'Settings']
  for (const name of screens) assert.equal(await nav.getByRole('link', { name, exact: true }).count(), 1, `${name} is in the navigation`)
  const dark = await browser.newContext({ baseURL: base, viewport: { width: 1280, height: 900 }, colorScheme: 'dark', reducedMotion: 'reduce', storageState: await admin.context().storageState() })
  const darkPage = await dark.newPage()
  await darkPage.goto('/')
  for (const page of [admin, darkPage]) {
    for (const name of screens) {
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true }).click()
      await page.getByRole('heading', { level: 1 }).first().waitFor()
      await page.getByRole('status').filter({ hasText: 'Loading' }).first().waitFor({ state: 'detached' })
      assert.deepEqual(await axeViolations(page), [], `${name} (${page === admin ? 'light' : 'dark'})`)
    }
  }
  await dark.close()
})

test('an agent sees no admin screen, merge suggestions included, is told of a pending one in the customer panel, and the API refuses deciding it', opts, async () => {
  const page = await signIn(agent.email)
  const nav = page.getByRole('navigation', { name: 'Main' })
  await nav.getByRole('link', { name: 'Mine' }).waitFor()
  for (const name of ['Live board', 'Inboxes', 'Teams', 'Merge suggestions', 'Users']) assert.equal(await nav.getByRole('link', { name, exact: true }).count(), 0, name)
  for (const path of ['merge-suggestions', 'teams', 'board']) {
    await page.goto(`/admin/${path}`)
    await page.getByRole('heading', { name: 'Page not found' }).waitFor()
  }
  const asAgent = agent.client!
  assert.equal((await asAgent.get('/api/v1/board')).status, 403)
  const stamp = Date.now().toString(36)
  const kase = (await ws.post('/api/v1/conversations', { contact: { name: 'Xavier', email: `x-${stamp}@example.com` }, subject: 'Hi', message: { text: 'x' } })).body
  const y = (await ws.post('/api/v1/contacts', { name: 'Yolanda', identities: [{ kind: 'widget', value: `y-${stamp}` }] })).body.id as string
  const s = await t!.omnidesk.platform.tx(ws.workspaceId, (trx) => suggestMerge(trx, ws.workspaceId, kase.contactId, y, { source: 'chat.pre-chat-form' }))

  await page.goto(`/cases/${kase.id}`)
  const note = page.getByRole('region', { name: 'Xavier' }).getByRole('note', { name: 'Possible duplicate' })
  await note.getByText('This customer may be the same person as Yolanda').waitFor()
  await note.getByText('A supervisor can review and merge them.').waitFor()
  assert.equal(await note.getByRole('link').count(), 0, 'no link to a screen the agent may not use')
  for (const action of ['accept', 'reject']) {
    const res = await asAgent.post(`/api/v1/merge-suggestions/${s!.id}/${action}`)
    assert.equal(res.status, 403, action)
  }
  assert.equal((await ws.get(`/api/v1/contacts/${y}`)).body.mergedIntoId, null)
  await page.context().close()
})
