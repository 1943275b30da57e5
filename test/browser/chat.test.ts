/**
 * The chat widget in a real browser (Debian's chromium via playwright-core),
 * embedded in a page served from ANOTHER origin than Omnidesk. The widget
 * reaches Omnidesk through a TCP proxy the test can cut, to drop the
 * connection while the visitor types. Screenshots go to test-results/screenshots/chat-*.png (docs/screenshots/ with UPDATE_SCREENSHOTS=1).
 */
import assert from 'node:assert/strict'
import fs from 'node:fs'
import http from 'node:http'
import { createRequire } from 'node:module'
import net from 'node:net'
import path from 'node:path'
import { after, test } from 'node:test'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { identityHash } from '../../src/channels/chat/index.ts'
import { waitForDelivery } from '../../src/modules/conversations/test-helpers.ts'
import { send, smtpClient, uniqueAddress } from '../../src/channels/email/test-helpers.ts'
import { startRelay } from '../../src/channels/email/test-relay.ts'
import { startTestApp, type TestApp, type WorkspaceClient } from '../harness.ts'
import { screenshotDir } from './screenshot-dir.ts'

const CHROMIUM = '/usr/bin/chromium'
const present = fs.existsSync(CHROMIUM)
if (!present && process.env.CI) throw new Error(`${CHROMIUM} is missing: install it (apt-get install -y chromium); browser tests must run in CI`)
const skip = present ? false : `${CHROMIUM} is not installed (apt-get install -y chromium); skipping the browser tests outside CI`
const shots = screenshotDir

/** A TCP proxy in front of Omnidesk that can drop every connection and refuse new ones until restored. */
async function startProxy(targetPort: number) {
  const sockets = new Set<net.Socket>()
  let cut = false
  const server = net.createServer((client) => {
    if (cut) return client.destroy()
    const upstream = net.connect(targetPort, '127.0.0.1')
    for (const s of [client, upstream]) {
      sockets.add(s)
      s.on('close', () => sockets.delete(s))
      s.on('error', () => {})
    }
    client.pipe(upstream).pipe(client)
    client.on('close', () => upstream.destroy())
    upstream.on('close', () => client.destroy())
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as net.AddressInfo).port,
    cut() {
      cut = true
      for (const s of sockets) s.destroy()
    },
    restore() {
      cut = false
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

/** The customer's website: another origin (localhost:<port>, not Omnidesk's 127.0.0.1:<port>) that embeds the widget. */
async function startSite(widgetOrigin: string) {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost')
    const inboxId = url.searchParams.get('inbox') ?? ''
    const identify = url.searchParams.get('identify')
    // The snippet of docs/channels/chat.md: a stub queues identify() until the script has loaded.
    const stub = identify ? `<script>window.Omnidesk={q:[],identify:function(){this.q.push(['identify'].concat([].slice.call(arguments)))}};Omnidesk.identify(${identify})</script>` : ''
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
    res.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Acme shop</title>
<style>body{font-family:Georgia,serif;margin:40px;background:#fafaf5} button{all:unset;color:red} *{font-size:30px !important}</style></head>
<body><h1>Acme shop</h1><p>Our finest products.</p>${stub}
<script src="${widgetOrigin}/widget.js" data-inbox-id="${inboxId}" async></script></body></html>`)
  })
  // All addresses: the browser may try localhost over IPv6 or IPv4.
  await new Promise<void>((resolve) => server.listen(0, resolve))
  const port = (server.address() as net.AddressInfo).port
  return { origin: `http://localhost:${port}`, close: () => new Promise<void>((resolve) => server.close(() => resolve())) }
}

let t: TestApp
let proxy: Awaited<ReturnType<typeof startProxy>>
let site: Awaited<ReturnType<typeof startSite>>
let browser: Browser
let relay: Awaited<ReturnType<typeof startRelay>>
let ws: WorkspaceClient
let inboxId: string
let emailInboxId: string
let mailAddress: string
const SECRET = 'browser-test-identity-secret'

// At the top level, not in before(): the relay (and the app) close themselves in after() hooks of this file.
if (!skip) {
  t = await startTestApp({}, { start: true })
  await t.omnidesk.app.listen({ port: 0, host: '127.0.0.1' })
  proxy = await startProxy((t.omnidesk.app.server.address() as net.AddressInfo).port)
  site = await startSite(`http://127.0.0.1:${proxy.port}`)
  relay = await startRelay()
  ws = await t.workspace('Acme')
  mailAddress = uniqueAddress()
  const email = await ws.post('/api/v1/inboxes', { name: 'Acme mail', channel: 'email', config: { address: mailAddress, smtp: { host: '127.0.0.1', port: relay.port, secure: false } } })
  assert.equal(email.status, 201, JSON.stringify(email.body))
  emailInboxId = email.body.id
  const inbox = await ws.post('/api/v1/inboxes', {
    name: 'Acme chat',
    channel: 'chat',
    config: { websiteUrl: site.origin, title: 'Acme support', welcomeMessage: 'Hi! Ask us anything.', identitySecret: SECRET, emailInboxId },
  })
  assert.equal(inbox.status, 201, JSON.stringify(inbox.body))
  inboxId = inbox.body.id
  const { chromium } = await import('playwright-core')
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  })
  fs.mkdirSync(shots, { recursive: true })
}

after(async () => {
  await browser?.close()
  await site?.close()
  await proxy?.close()
  await t?.close()
})

async function visit(context: BrowserContext, query = ''): Promise<Page> {
  const page = await context.newPage()
  page.on('dialog', (d) => {
    throw new Error(`a dialog opened: ${d.message()}`)
  })
  await page.goto(`${site.origin}/?inbox=${inboxId}${query}`)
  await page.getByRole('button', { name: 'Open chat' }).click()
  await page.getByText('Hi! Ask us anything.').waitFor()
  return page
}

/** Every message the visitor sent is stored: no bubble still says "Waiting to send". */
async function allAcknowledged(page: Page, timeoutMs = 20_000) {
  for (const end = Date.now() + timeoutMs; (await page.getByText('Waiting to send').count()) > 0; ) {
    if (Date.now() > end) throw new Error('messages still waiting to be sent')
    await page.waitForTimeout(50)
  }
}

/** axe-core on the widget (launcher and open panel, inside the shadow root): no violations. */
async function assertAccessible(page: Page) {
  await page.addScriptTag({ path: createRequire(import.meta.url).resolve('axe-core/axe.min.js') })
  const { violations, passed } = await page.evaluate(async () => {
    type Rule = { id: string; impact: string; nodes: unknown[] }
    const axe = (globalThis as unknown as { axe: { run(ctx: unknown, opts: unknown): Promise<{ violations: Rule[]; passes: Rule[] }> } }).axe
    const res = await axe.run({ include: [['#omnidesk-chat']] }, {})
    return { violations: res.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length })), passed: res.passes.map((p) => `${p.id}:${p.nodes.length}`) }
  })
  assert.deepEqual(violations, [], JSON.stringify(violations))
  // The shadow root was looked into: its buttons, text box and colours were checked.
  for (const rule of ['button-name', 'label', 'color-contrast']) assert.ok(passed.some((p) => p.startsWith(`${rule}:`)), `${rule} was evaluated: ${passed.join(' ')}`)
}

const textsOf = async (conversationId: string) => ((await ws.get(`/api/v1/conversations/${conversationId}/messages?limit=100`)).body.items as Array<{ text: string }>).map((m) => m.text)
const newestConversation = async () => (await ws.get('/api/v1/conversations?limit=1')).body.items[0] as { id: string; contactId: string }

test('a visitor chats from another site; the agent answers live; a dropped connection delivers once; a reload keeps history', { skip }, async (ctx) => {
  const context = await browser.newContext({ locale: 'en-US', viewport: { width: 1100, height: 760 } })
  ctx.after(() => context.close())
  const page = await context.newPage()
  await page.goto(`${site.origin}/?inbox=${inboxId}`)
  await page.getByRole('button', { name: 'Open chat' }).waitFor()
  await page.screenshot({ path: path.join(shots, 'chat-launcher.png') })
  await page.getByRole('button', { name: 'Open chat' }).click()
  await page.getByText('Hi! Ask us anything.').waitFor()

  const message = page.getByRole('textbox', { name: 'Message' })
  await message.fill('Hello, where is my parcel?')
  await page.getByRole('button', { name: 'Send' }).click()
  // HTML typed by a visitor is shown as text, and stored as text.
  await message.fill('<img src=x onerror=alert(1)> <b>bold?</b>')
  await message.press('Enter')
  await page.getByText('<img src=x onerror=alert(1)> <b>bold?</b>').waitFor()
  await allAcknowledged(page)
  const conv = await newestConversation()
  for (let i = 0; i < 50 && (await textsOf(conv.id)).length < 2; i++) await page.waitForTimeout(100)
  assert.deepEqual(await textsOf(conv.id), ['Hello, where is my parcel?', '<img src=x onerror=alert(1)> <b>bold?</b>'])

  await ws.post(`/api/v1/chat/conversations/${conv.id}/typing`, { typing: true })
  await page.getByText(/is typing/).waitFor()
  const reply = await ws.post(`/api/v1/conversations/${conv.id}/messages`, { text: 'It left our warehouse this morning.' })
  assert.equal(reply.status, 201)
  await page.getByText('It left our warehouse this morning.').waitFor()
  assert.equal((await waitForDelivery(ws, conv.id, reply.body.id, ['sent', 'failed', 'not_delivered'])).deliveryStatus, 'sent')
  await page.screenshot({ path: path.join(shots, 'chat-conversation.png') })
  await assertAccessible(page)

  // The connection drops while the visitor types: the message waits, then arrives exactly once.
  proxy.cut()
  await page.getByText(/Reconnecting/).waitFor()
  await message.fill('Can you deliver it to my neighbour?')
  await page.getByRole('button', { name: 'Send' }).click()
  await page.getByText('Waiting to send').waitFor()
  await page.screenshot({ path: path.join(shots, 'chat-offline.png') })
  proxy.restore()
  await page.getByText('Waiting to send').waitFor({ state: 'detached', timeout: 20_000 })
  const texts = await textsOf(conv.id)
  assert.equal(texts.filter((x) => x === 'Can you deliver it to my neighbour?').length, 1, JSON.stringify(texts))

  // A reload (and a new tab) keeps the history.
  await page.reload()
  await page.getByRole('button', { name: 'Open chat' }).click()
  await page.getByText('It left our warehouse this morning.').waitFor()
  await page.getByText('Can you deliver it to my neighbour?').waitFor()
  const tab = await context.newPage()
  await tab.goto(`${site.origin}/?inbox=${inboxId}`)
  await tab.getByRole('button', { name: 'Open chat' }).click()
  await tab.getByText('Hello, where is my parcel?').waitFor()
  assert.equal(await tab.getByText('Can you deliver it to my neighbour?').count(), 1)
  await context.close()
})

test('a signed identity shows the contact’s earlier case; a forged one shows nothing of it', { skip }, async (ctx) => {
  const contact = await ws.post('/api/v1/contacts', { name: 'Lin', identities: [{ kind: 'external', value: 'acct-7' }, { kind: 'email', value: 'lin@example.com' }] })
  assert.equal(contact.status, 201)
  const earlier = await ws.post('/api/v1/conversations', { contact: { email: 'lin@example.com' }, message: { text: 'Last month: my invoice is wrong' } })
  assert.equal(earlier.status, 201)

  const forged = await browser.newContext({ locale: 'en-US' })
  ctx.after(() => forged.close())
  const fake = await visit(forged, `&identify=${encodeURIComponent(JSON.stringify({ id: 'acct-7', hash: identityHash('guess', 'acct-7') }))}`)
  await fake.getByRole('textbox', { name: 'Message' }).fill('Show me my invoices')
  await fake.getByRole('button', { name: 'Send' }).click()
  await fake.getByText('Show me my invoices').waitFor()
  await allAcknowledged(fake)
  assert.equal(await fake.getByText('Last month: my invoice is wrong').count(), 0)
  const forgedConv = await newestConversation()
  assert.notEqual(forgedConv.contactId, contact.body.id, 'a forged hash attaches nobody')
  await forged.close()

  const signed = await browser.newContext({ locale: 'fr-FR' })
  ctx.after(() => signed.close())
  const page = await signed.newPage()
  await page.goto(`${site.origin}/?inbox=${inboxId}&identify=${encodeURIComponent(JSON.stringify({ id: 'acct-7', name: 'Lin', hash: identityHash(SECRET, 'acct-7') }))}`)
  // French from the browser's language.
  await page.getByRole('button', { name: 'Ouvrir le chat' }).click()
  await page.getByText('Last month: my invoice is wrong').waitFor()
  await page.screenshot({ path: path.join(shots, 'chat-identified-fr.png') })
  await signed.close()
})

test('on a phone, the visitor fills the pre-chat form, leaves, and the case continues by email', { skip }, async (ctx) => {
  const inbox = await ws.post('/api/v1/inboxes', { name: 'Acme pre-chat', channel: 'chat', config: { websiteUrl: site.origin, preChatForm: true, welcomeMessage: 'Hi! Ask us anything.', emailInboxId } })
  assert.equal(inbox.status, 201)
  const phone = await browser.newContext({ locale: 'en-GB', viewport: { width: 390, height: 780 }, isMobile: true, hasTouch: true })
  ctx.after(() => phone.close())
  const page = await phone.newPage()
  await page.goto(`${site.origin}/?inbox=${inbox.body.id}`)
  await page.getByRole('button', { name: 'Open chat' }).click()
  const visitorEmail = `mo-${Math.random().toString(36).slice(2, 8)}@example.com`
  await page.getByRole('textbox', { name: 'Name' }).fill('Mo')
  await page.getByRole('textbox', { name: 'Email' }).fill(visitorEmail)
  await page.getByRole('textbox', { name: 'Topic' }).fill('Broken zip')
  await page.screenshot({ path: path.join(shots, 'chat-phone-prechat.png') })
  await page.getByRole('button', { name: 'Start chat' }).click()
  await page.getByRole('textbox', { name: 'Message' }).fill('The zip of my bag broke.')
  await page.getByRole('button', { name: 'Send' }).click()
  await page.getByText('The zip of my bag broke.').waitFor()
  await allAcknowledged(page)
  await page.screenshot({ path: path.join(shots, 'chat-phone.png') })
  const conv = await newestConversation()
  for (let i = 0; i < 50 && (await textsOf(conv.id)).length < 1; i++) await page.waitForTimeout(100)
  await phone.close()
  // The visitor has left once the server has seen its socket close.
  for (let i = 0; i < 100 && t.omnidesk.app.websocketServer.clients.size > 0; i++) await new Promise((r) => setTimeout(r, 50))
  assert.equal(t.omnidesk.app.websocketServer.clients.size, 0)

  const reply = await ws.post(`/api/v1/conversations/${conv.id}/messages`, { text: 'Send it to us, we will repair it.' })
  assert.equal((await waitForDelivery(ws, conv.id, reply.body.id, ['sent', 'failed', 'not_delivered'])).deliveryStatus, 'not_delivered')
  let mail = relay.mailTo(visitorEmail)[0]
  for (let i = 0; i < 100 && !mail; i++) {
    await new Promise((r) => setTimeout(r, 100))
    mail = relay.mailTo(visitorEmail)[0]
  }
  assert.ok(mail, 'the reply went by email')
  const { port } = await t.omnidesk.smtp.listen(0, '127.0.0.1')
  const smtp = smtpClient(port)
  const answer = await send(smtp, { from: visitorEmail, to: mailAddress, subject: `Re: ${mail.subject ?? ''}`, inReplyTo: mail.messageId as string, references: [mail.messageId as string], text: 'Thanks, posting it today.' })
  smtp.close()
  assert.equal(answer.code, 250)
  await t.omnidesk.emailProcessor.drain()
  const texts = await textsOf(conv.id)
  assert.equal(texts.at(-1)?.trim(), 'Thanks, posting it today.')
})
