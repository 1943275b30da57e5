import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import { useTestApp } from '../../../test/harness.ts'
import { emailInbox, send, smtpClient, uniqueAddress } from './test-helpers.ts'

// An email's inline (cid:) pictures in the desk's email view: filled in from the message's own parts only.
const t = await useTestApp()
const { port } = await t.omnidesk.smtp.listen(0, '127.0.0.1')
const client = smtpClient(port)
after(() => client.close())
const drain = () => t.omnidesk.emailProcessor.drain()

const png = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=='

/** A multipart/related mail whose HTML shows `cids` and which carries a picture part for `partCid`. */
const mail = (subject: string, cids: string[], partCid: string, type = 'image/png') =>
  [
    'From: Grace <grace@example.com>',
    `Subject: ${subject}`,
    `Message-ID: <${Math.random().toString(36).slice(2)}@example.com>`,
    'MIME-Version: 1.0',
    'Content-Type: multipart/related; boundary="rel"',
    '',
    '--rel',
    'Content-Type: text/html; charset=utf-8',
    '',
    `<p>See:${cids.map((c) => ` <img src="cid:${c}" alt="pic ${c}">`).join('')}</p><img src="https://tracker.invalid/p.gif">`,
    '--rel',
    `Content-Type: ${type}; name=logo.png`,
    `Content-ID: <${partCid}>`,
    'Content-Disposition: inline; filename=logo.png',
    'Content-Transfer-Encoding: base64',
    '',
    type === 'image/png' ? png : Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>').toString('base64'),
    '--rel--',
    '',
  ].join('\r\n')

async function deliver(ws: Awaited<ReturnType<typeof t.workspace>>, address: string, raw: string) {
  assert.equal((await send(client, { envelope: { from: 'grace@example.com', to: [address] }, raw })).code, 250)
  await drain()
  const inbound = (await ws.get('/api/v1/email/inbound')).body.items
  const conversationId = inbound[0].conversationId as string
  const [message] = (await ws.get(`/api/v1/conversations/${conversationId}/messages`)).body.items
  return { conversationId, messageId: message.id as string, html: message.html as string }
}

test('the email view fills in a message’s own cid: pictures as data: URLs; remote images stay out; other workspaces get 404', async () => {
  const a = await t.workspace()
  const address = uniqueAddress()
  await emailInbox(t, a, address)
  const m = await deliver(a, address, mail('Logo', ['Logo.1@Example.com', 'missing@example.com'], 'logo.1@example.com'))
  assert.match(m.html, /src="cid:Logo\.1@Example\.com"/, 'the stored HTML keeps the reference')
  const view = await a.get(`/api/v1/conversations/${m.conversationId}/messages/${m.messageId}/html`)
  assert.equal(view.status, 200)
  assert.ok(view.body.includes(`src="data:image/png;base64,${png}"`), view.body)
  assert.doesNotMatch(view.body, /cid:Logo/i, 'matched ignoring case')
  assert.match(view.body, /src="cid:missing@example\.com"/, 'a cid naming no part of this message is left alone')
  assert.doesNotMatch(view.body, /tracker\.invalid/)
  assert.match(String(view.headers['content-security-policy']), /img-src data:;/, 'no remote source is allowed for it')

  const b = await t.workspace()
  assert.equal((await b.get(`/api/v1/conversations/${m.conversationId}/messages/${m.messageId}/html`)).status, 404)
})

test('a cid: names only a part of the same message, and only a raster picture', async () => {
  const ws = await t.workspace()
  const address = uniqueAddress()
  await emailInbox(t, ws, address)
  const first = await deliver(ws, address, mail('First', ['shared@example.com'], 'shared@example.com'))
  assert.match((await ws.get(`/api/v1/conversations/${first.conversationId}/messages/${first.messageId}/html`)).body, /data:image\/png/)
  // Another mail refers to the first mail's part id but carries an SVG under its own id.
  const raw = mail('Second', ['shared@example.com', 'vector@example.com'], 'vector@example.com', 'image/svg+xml')
  assert.equal((await send(client, { envelope: { from: 'grace@example.com', to: [address] }, raw })).code, 250)
  await drain()
  const conversationIds = new Set<string>((await ws.get('/api/v1/email/inbound')).body.items.map((i: { conversationId: string }) => i.conversationId))
  const all = []
  for (const id of conversationIds) all.push(...(await ws.get(`/api/v1/conversations/${id}/messages`)).body.items)
  const second = all.find((msg: { html: string | null }) => msg.html?.includes('vector@example.com'))
  assert.ok(second, JSON.stringify(all))
  const view = (await ws.get(`/api/v1/conversations/${second.conversationId}/messages/${second.id}/html`)).body as string
  assert.doesNotMatch(view, /data:image/, 'neither another message’s picture nor an SVG is filled in')
  assert.match(view, /src="cid:shared@example\.com"/)
})
