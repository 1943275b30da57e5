import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { after, before, test } from 'node:test'
import nodemailer from 'nodemailer'
import type { Page } from 'playwright-core'
import { fixtureDir } from '../../src/channels/email/email.fixtures.ts'
import { axeViolations, browserSkipReason, type Desk, screenshot, startDesk } from './desk-harness.ts'

/**
 * The case view's working tools in a real browser against the real server
 * process: canned replies with variables, notes with @mentions, notifications
 * (in the app and as browser notifications), collision (who else is viewing or
 * typing), and an email's inline cid: pictures.
 */
const skip = browserSkipReason()
if (skip) console.log(`# ${skip}`)
const opts = { skip: skip ?? false }

let desk: Desk
before(async () => {
  if (skip) return
  desk = await startDesk()
})
after(async () => {
  await desk?.close()
})

/** Polls (bounded) until check passes; the server and the browser work asynchronously. */
async function until(check: () => Promise<boolean>, what: string, ms = 20_000): Promise<void> {
  const end = Date.now() + ms
  while (Date.now() < end) {
    if (await check()) return
    await new Promise((r) => setTimeout(r, 100))
  }
  assert.fail(`timed out waiting for ${what}`)
}

async function signedIn(who: { email: string; password: string }, init?: (page: Page) => Promise<void>): Promise<Page> {
  const page = await desk.newPage()
  if (init) await init(page)
  await desk.signIn(page, who)
  return page
}

test('an email’s inline cid: pictures show in the email frame at once, while remote images wait', opts, async () => {
  const inbox = await desk.api('POST', '/api/v1/inboxes', { name: 'Support mail', channel: 'email', config: { address: 'help@acme.test' } })
  assert.equal(inbox.status, 201, JSON.stringify(inbox.body))
  // A real mail (nodemailer's own test message): multipart/related HTML with two cid: pictures.
  const raw = fs.readFileSync(path.join(fixtureDir, 'mailparser__nodemailer.eml'))
  const smtp = nodemailer.createTransport({ host: '127.0.0.1', port: desk.smtpPort, secure: false, ignoreTLS: true })
  await smtp.sendMail({ envelope: { from: 'andris@kreata.ee', to: ['help@acme.test'] }, raw })
  let conversationId = ''
  await until(async () => {
    const list = await desk.api('GET', '/api/v1/conversations?limit=100')
    conversationId = list.body.items.find((c: { subject: string | null }) => c.subject?.startsWith('Nodemailer is unicode friendly'))?.id ?? ''
    return Boolean(conversationId)
  }, 'the mail to become a case')
  const page = await signedIn(desk.agent)
  await page.goto(`/cases/${conversationId}`)
  const frame = page.frameLocator('iframe[title="Email content"]')
  await frame.getByText('nyan cat for you').waitFor()
  // Both pictures load inside the sandboxed frame before the agent asks for remote images.
  assert.equal(await page.getByRole('button', { name: 'Show remote images' }).count(), 1)
  const pictures = frame.locator('img')
  assert.equal(await pictures.count(), 2)
  for (let i = 0; i < 2; i++) {
    const img = pictures.nth(i)
    assert.match((await img.getAttribute('src')) ?? '', /^data:image\/(png|gif);base64,/)
    await until(() => img.evaluate((el: { complete: boolean; naturalWidth: number }) => el.complete && el.naturalWidth > 0), `inline picture ${i + 1} to load`)
  }
  assert.deepEqual(await axeViolations(page), [])
  await screenshot(page, 'case-inline-images')
  await page.context().close()
})

test('the composer offers the channels that reach the contact, each with its address, and a reply on email switches the case to email', opts, async () => {
  const inbox = await desk.api('POST', '/api/v1/inboxes', { name: 'Replies by mail', channel: 'email', config: { address: 'replies@acme.test' } })
  assert.equal(inbox.status, 201, JSON.stringify(inbox.body))
  const c = await desk.api('POST', '/api/v1/conversations', { contact: { email: 'two-ways@example.test' }, subject: 'Started by API', message: { text: 'hello' } })
  assert.equal(c.status, 201, JSON.stringify(c.body))
  const page = await signedIn(desk.agent)
  await page.goto(`/cases/${c.body.id}`)
  const channel = page.getByLabel('Channel')
  await channel.locator('option', { hasText: 'two-ways@example.test' }).waitFor({ state: 'attached' })
  await channel.selectOption('email')
  await page.getByLabel('Reply').fill('We will write to you by mail.')
  await page.getByRole('button', { name: 'Send' }).click()
  await until(async () => (await desk.api('GET', `/api/v1/conversations/${c.body.id}`)).body.channel === 'email', 'the case to move to email')
  await page.context().close()
})

/** A page whose browser notifications are allowed, with window.Notification recorded (the constructor is what the app calls). */
async function withNotifications(who: { email: string; password: string }): Promise<Page> {
  const context = await desk.browser.newContext({ baseURL: desk.base, viewport: { width: 1280, height: 800 }, reducedMotion: 'reduce', permissions: ['notifications'] })
  // A string, not a function: the test's own compiled helpers would not exist in the page.
  await context.addInitScript(`
    const Real = window.Notification
    const shown = []
    window.__notifications = shown
    function Recorded(title, options) { shown.push({ title, body: options && options.body }); this.onclick = null }
    Recorded.prototype.close = function () {}
    Object.defineProperty(Recorded, 'permission', { get: () => Real.permission })
    Recorded.requestPermission = () => Real.requestPermission()
    Object.defineProperty(window, 'Notification', { value: Recorded, configurable: true, writable: true })
  `)
  const page = await context.newPage()
  await desk.signIn(page, who)
  return page
}

const shownNotifications = (page: Page) => page.evaluate('window.__notifications') as Promise<Array<{ title: string; body?: string }>>

async function openCase(subject: string, contact = { name: 'Grace Hopper', email: 'grace@navy.test' }): Promise<{ id: string; number: number }> {
  const c = await desk.api('POST', '/api/v1/conversations', { contact, subject, message: { text: `${subject}: please help.` } })
  assert.equal(c.status, 201, JSON.stringify(c.body))
  return { id: c.body.id, number: c.body.number }
}

test('canned replies: managed on their own screen, picked by keyboard in the composer, filled in and edited before sending', opts, async () => {
  const admin = await signedIn(desk.admin)
  await admin.getByRole('link', { name: 'Canned replies' }).click()
  await admin.getByRole('heading', { name: 'Canned replies', level: 1 }).waitFor()
  const form = admin.getByRole('form', { name: 'New canned reply' })
  await form.getByText(/Variables filled in from the case: .*\{\{contact\.firstName\}\}/).waitFor()
  // An unknown variable is refused, in words, and nothing is saved.
  await form.getByLabel('Name').fill('Greeting')
  await form.getByLabel('Text').fill('Hi {{customer.name}}')
  await form.getByRole('button', { name: 'Save canned reply' }).click()
  await admin.getByRole('alert').filter({ hasText: 'customer.name' }).waitFor()
  await form.getByLabel('Shortcut').fill('hello')
  await form.getByLabel('Text').fill('Hi {{contact.firstName}}, {{agent.name}} here about case #{{conversation.number}}.')
  await form.getByLabel('Shared with the whole workspace').check()
  await form.getByRole('button', { name: 'Save canned reply' }).click()
  await admin.getByRole('status').filter({ hasText: 'Saved.' }).waitFor()
  await admin.getByRole('row', { name: /Greeting \/hello Shared/ }).waitFor()
  // Edit it, and create then delete another.
  await admin.getByRole('button', { name: 'Edit Greeting' }).click()
  const editForm = admin.getByRole('form', { name: 'Edit “Greeting”' })
  await editForm.getByLabel('Name').fill('Greeting (EN)')
  await editForm.getByRole('button', { name: 'Save canned reply' }).click()
  await admin.getByRole('row', { name: /Greeting \(EN\)/ }).waitFor()
  await form.getByLabel('Name').fill('Short-lived')
  await form.getByLabel('Text').fill('Temporary')
  await form.getByRole('button', { name: 'Save canned reply' }).click()
  await admin.getByRole('button', { name: 'Delete Short-lived' }).click()
  await admin.getByRole('row', { name: /Short-lived/ }).waitFor({ state: 'detached' })
  assert.deepEqual(await axeViolations(admin), [])
  await screenshot(admin, 'canned-replies')
  const stored = (await desk.api('GET', '/api/v1/canned-replies')).body.items
  assert.deepEqual(stored.map((r: { name: string; shared: boolean }) => [r.name, r.shared]), [['Greeting (EN)', true]])
  await admin.context().close()

  // The agent keeps a personal one (sharing is not offered) and may not change the shared one.
  const page = await signedIn(desk.agent)
  await page.goto('/settings/canned-replies')
  await page.getByRole('row', { name: /Greeting \(EN\)/ }).waitFor()
  assert.equal(await page.getByLabel('Shared with the whole workspace').count(), 0)
  assert.equal(await page.getByRole('button', { name: 'Edit Greeting (EN)' }).count(), 0)
  await page.getByLabel('Name').fill('Sign-off')
  await page.getByLabel('Text').fill('Best, {{agent.firstName}}')
  await page.getByRole('button', { name: 'Save canned reply' }).click()
  await page.getByRole('row', { name: /Sign-off .* Personal/ }).waitFor()

  const c = await openCase('Invoice question')
  await page.goto(`/cases/${c.id}`)
  await page.getByRole('heading', { name: 'Invoice question' }).waitFor()
  await page.getByRole('button', { name: 'Canned replies' }).click()
  const search = page.getByRole('combobox', { name: 'Search canned replies' })
  await search.fill('sign')
  await page.getByRole('option', { name: /Sign-off/ }).waitFor()
  await search.fill('')
  await page.getByRole('option', { name: /Sign-off/ }).waitFor()
  // Keyboard only: the list is in name order (Greeting, Sign-off); down once, Enter.
  await search.press('ArrowDown')
  await search.press('ArrowUp')
  await search.press('Enter')
  const reply = page.getByRole('textbox', { name: 'Reply' })
  await until(async () => (await reply.inputValue()) === `Hi Grace, Sam Agent here about case #${c.number}.`, 'the filled-in canned reply')
  // The agent edits the text before sending.
  await reply.press('End')
  await reply.pressSequentially(' Your invoice is attached.')
  await page.getByRole('button', { name: 'Send' }).click()
  await page.getByRole('article', { name: /Response from Sam Agent/ }).waitFor()
  const messages = (await desk.api('GET', `/api/v1/conversations/${c.id}/messages`)).body.items
  assert.equal(messages.at(-1).text, `Hi Grace, Sam Agent here about case #${c.number}. Your invoice is attached.`)
  assert.equal(messages.at(-1).direction, 'outbound')

  // Typing a shortcut after "/" offers the reply too; Tab takes it.
  await reply.pressSequentially('Thanks! /hel')
  await page.getByRole('listbox', { name: 'Canned replies found' }).getByRole('option', { name: /\/hello Greeting \(EN\)/ }).waitFor()
  await reply.press('Tab')
  await until(async () => (await reply.inputValue()) === `Thanks! Hi Grace, Sam Agent here about case #${c.number}.`, 'the shortcut replaced by its reply')
  await page.context().close()
})

test('a note @mentions a colleague picked from suggestions; the bell and a browser notification tell them live', opts, async () => {
  const c = await openCase('Damaged parcel')
  const admin = await withNotifications(desk.admin)
  const bell = admin.getByRole('button', { name: /^Notifications/ })
  await bell.waitFor()
  assert.equal(await bell.getAttribute('aria-label'), 'Notifications')
  await admin.locator('[data-realtime="live"]').waitFor()

  const agent = await withNotifications(desk.agent)
  await agent.goto(`/cases/${c.id}`)
  await agent.getByRole('heading', { name: 'Damaged parcel' }).waitFor()
  await agent.getByLabel('Internal note').check()
  const box = agent.getByRole('textbox', { name: 'Reply' })
  await box.pressSequentially('Photos look bad, @Ad')
  const suggestions = agent.getByRole('listbox', { name: 'Colleagues to mention' })
  await suggestions.getByRole('option', { name: /Ada Admin/ }).waitFor()
  assert.deepEqual(await axeViolations(agent), [], 'the open suggestion list is accessible')
  await box.press('Enter')
  await suggestions.waitFor({ state: 'detached' })
  await box.pressSequentially('can you approve a refund?')
  assert.equal(await box.inputValue(), 'Photos look bad, @ada can you approve a refund?')
  await agent.getByRole('button', { name: 'Send' }).click()
  await agent.getByRole('article', { name: /Internal note by Sam Agent/ }).waitFor()

  // Live, without reload: the unread count, and a browser notification (permission granted).
  await admin.getByRole('button', { name: 'Notifications, 1 unread' }).waitFor()
  await until(async () => (await shownNotifications(admin)).length === 1, 'a browser notification')
  assert.match((await shownNotifications(admin))[0]?.body ?? '', new RegExp(`^Sam Agent mentioned you on #${c.number}: Photos look bad, @ada can you approve a refund\\?`))
  await admin.getByRole('button', { name: 'Notifications, 1 unread' }).click()
  const panel = admin.getByRole('region', { name: 'Notifications' })
  await panel.getByRole('link', { name: /Sam Agent mentioned you/ }).waitFor()
  assert.deepEqual(await axeViolations(admin), [])
  await screenshot(admin, 'notifications')
  await panel.getByRole('button', { name: /^Mark read: Sam Agent mentioned you/ }).click()
  await admin.getByRole('button', { name: 'Notifications', exact: true }).waitFor()
  await panel.getByRole('link', { name: /Sam Agent mentioned you/ }).click()
  await admin.getByRole('heading', { name: 'Damaged parcel' }).waitFor()

  // Assignment by someone else notifies the assignee; "mark all read" clears the count.
  for (const subject of ['Broken zip', 'Lost key']) {
    const other = await openCase(subject)
    assert.equal((await desk.api('PATCH', `/api/v1/conversations/${other.id}`, { assigneeId: desk.agent.id })).status, 200)
  }
  await agent.getByRole('button', { name: 'Notifications, 2 unread' }).waitFor()
  await until(async () => (await shownNotifications(agent)).length === 2, 'two browser notifications')
  assert.match((await shownNotifications(agent)).map((n) => n.body).join('\n'), /Ada Admin assigned #\d+ Broken zip to you/)
  await agent.getByRole('button', { name: 'Notifications, 2 unread' }).click()
  await agent.getByRole('region', { name: 'Notifications' }).getByRole('button', { name: 'Mark all read' }).click()
  await agent.getByRole('button', { name: 'Notifications', exact: true }).waitFor()
  assert.equal((await desk.api('GET', '/api/v1/notifications')).body.unreadCount, 0, 'the admin read hers too')
  await admin.context().close()
  await agent.context().close()
})

test('collision: an agent sees who else views the case and who is typing, live', opts, async () => {
  const c = await openCase('Two agents, one case')
  const admin = await signedIn(desk.admin)
  await admin.goto(`/cases/${c.id}`)
  await admin.getByRole('heading', { name: 'Two agents, one case' }).waitFor()
  const presence = admin.getByRole('status', { name: 'Also on this case' })
  assert.equal(await presence.textContent(), '')

  const agent = await signedIn(desk.agent)
  await agent.goto(`/cases/${c.id}`)
  await agent.getByRole('heading', { name: 'Two agents, one case' }).waitFor()
  await presence.getByText('Sam Agent is viewing').waitFor()
  await agent.getByRole('status', { name: 'Also on this case' }).getByText('Ada Admin is viewing').waitFor()
  await agent.getByRole('textbox', { name: 'Reply' }).pressSequentially('Hello Grace')
  await presence.getByText('Sam Agent is typing…').waitFor()
  assert.deepEqual(await axeViolations(admin), [])
  await screenshot(admin, 'case-collision')
  // Leaving the case ends it for the others at once.
  await agent.getByRole('link', { name: 'All cases' }).click()
  await presence.getByText(/Sam Agent/).waitFor({ state: 'detached' })
  await admin.context().close()
  await agent.context().close()
})
