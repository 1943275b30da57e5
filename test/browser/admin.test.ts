import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { after, before, test } from 'node:test'
import type { Browser, Page } from 'playwright-core'
import { useTestApp } from '../harness.ts'
import { launchChromium, serveTestApp } from './desk-harness.ts'
import { screenshotDir } from './screenshot-dir.ts'

// The admin screens in a real browser: an admin creates an inbox through the
// form generated from the channel's schema; an agent sees no admin screen.
const executablePath = '/usr/bin/chromium'
const haveBrowser = fs.existsSync(executablePath)
if (!haveBrowser && process.env.CI) throw new Error(`${executablePath} is missing: CI must install chromium (see .ci/run)`)
const skip = haveBrowser ? false : `chromium is not installed at ${executablePath} (apt-get install -y chromium); skipped outside CI`

const shots = screenshotDir
let browser: Browser
let base = ''
const password = 'correct horse battery staple'

const t = haveBrowser ? await useTestApp() : null
before(async () => {
  if (!t) return
  base = await serveTestApp(t)
  browser = await launchChromium()
})
after(async () => {
  await browser?.close()
})

async function signIn(email: string): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } })
  const page = await context.newPage()
  await page.goto(base)
  await page.getByLabel('Email').fill(email)
  await page.getByLabel('Password').fill(password)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.getByRole('navigation', { name: 'Main' }).waitFor()
  return page
}

test('an admin creates an SMS inbox through the generated form; a bad setting is shown next to its field', { skip }, async () => {
  const app = t!
  const stamp = Date.now().toString(36)
  const ws = await app.admin.post('/api/v1/workspaces', { name: 'Browser Co', admin: { email: `admin-${stamp}@example.com`, name: 'Ada Admin', password } })
  assert.equal(ws.status, 201, JSON.stringify(ws.body))
  const page = await signIn(`admin-${stamp}@example.com`)
  const nav = page.getByRole('navigation', { name: 'Main' })
  for (const name of ['Live board', 'Inboxes', 'Users', 'Audit log']) assert.equal(await nav.getByRole('link', { name }).count(), 1, name)

  await nav.getByRole('link', { name: 'Inboxes' }).click()
  await page.getByRole('heading', { name: 'Inboxes', level: 1 }).waitFor()
  await page.getByLabel('Name', { exact: true }).fill('SMS line')
  await page.getByLabel('Channel').selectOption('sms')
  await page.getByRole('group', { name: 'Settings of the sms channel' }).waitFor()
  await page.getByLabel('Provider').selectOption('sandbox')
  await page.getByLabel('Phone Number').fill('not a number')
  await page.getByRole('button', { name: 'Create inbox' }).click()
  await page.getByRole('alert').waitFor()
  const fieldError = page.locator('.schema-field', { has: page.getByLabel('Phone Number') }).locator('.error')
  await fieldError.waitFor()
  assert.ok((await fieldError.textContent())?.length, 'the problem is shown next to the phone number')

  await page.getByLabel('Phone Number').fill('+14155550123')
  await page.getByRole('button', { name: 'Create inbox' }).click()
  await page.getByRole('status').filter({ hasText: 'Inbox SMS line created.' }).waitFor()
  await page.getByRole('cell', { name: 'SMS line', exact: true }).waitFor()
  await page.screenshot({ path: path.join(shots, 'admin-inboxes.png'), fullPage: true })

  const listed = await app.omnidesk.app.inject({ method: 'GET', url: '/api/v1/inboxes?channel=sms', headers: { authorization: `Bearer ${ws.body.token}` } })
  const inboxes = listed.json().items as Array<{ name: string; config: Record<string, unknown> }>
  assert.deepEqual(inboxes.map((i) => [i.name, i.config.phoneNumber, i.config.provider]), [['SMS line', '+14155550123', 'sandbox']])

  await nav.getByRole('link', { name: 'Live board' }).click()
  await page.getByRole('heading', { name: 'Live board', level: 1 }).waitFor()
  await page.getByRole('heading', { name: 'By inbox' }).waitFor()
  await page.screenshot({ path: path.join(shots, 'admin-board.png'), fullPage: true })
  await nav.getByRole('link', { name: 'Audit log' }).click()
  await page.getByText(/The audit chain is intact/).waitFor()
  await page.context().close()
})

test('an agent sees no admin screen, not even by URL', { skip }, async () => {
  const app = t!
  const stamp = Date.now().toString(36)
  const ws = await app.admin.post('/api/v1/workspaces', { name: 'Agents Co', admin: { email: `boss-${stamp}@example.com`, name: 'Boss', password } })
  assert.equal(ws.status, 201)
  const agent = await app.omnidesk.app.inject({
    method: 'POST',
    url: '/api/v1/users',
    headers: { authorization: `Bearer ${ws.body.token}` },
    payload: { email: `agent-${stamp}@example.com`, name: 'Andy Agent', role: 'agent', password },
  })
  assert.equal(agent.statusCode, 201, agent.body)
  const page = await signIn(`agent-${stamp}@example.com`)
  const nav = page.getByRole('navigation', { name: 'Main' })
  await nav.getByRole('link', { name: 'Mine' }).waitFor()
  for (const name of ['Live board', 'Inboxes', 'Users', 'Teams', 'API tokens', 'Audit log', 'Settings', 'Taxonomy', 'Inbound mail']) assert.equal(await nav.getByRole('link', { name }).count(), 0, name)
  await page.goto(`${base}/admin/inboxes`)
  await page.getByRole('heading', { name: 'Page not found' }).waitFor()
  assert.equal(await page.getByRole('button', { name: 'Create inbox' }).count(), 0)
  await page.context().close()
})
