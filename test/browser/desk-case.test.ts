import assert from 'node:assert/strict'
import fs from 'node:fs'
import { after, before, test } from 'node:test'
import nodemailer from 'nodemailer'
import type { Page } from 'playwright-core'
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
  const raw = fs.readFileSync('/work/shared/data/email/mailparser__nodemailer.eml')
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
