import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import { useTestApp } from '../../../test/harness.ts'
import { member } from '../../modules/conversations/test-helpers.ts'
import { emailInbox, send, smtpClient, uniqueAddress } from './test-helpers.ts'

// Inbound mail rows carry the raw mail of every inbox of the workspace: the admins' operations log.
const t = await useTestApp()
const { port } = await t.omnidesk.smtp.listen(0, '127.0.0.1')
const client = smtpClient(port)
after(() => client.close())

test('inbound mail (list, one, raw) is for workspace admins: agents, supervisors and auditors get 403 FORBIDDEN', async () => {
  const ws = await t.workspace()
  const address = uniqueAddress()
  await emailInbox(t, ws, address)
  const res = await send(client, { from: 'Ada <ada@example.com>', to: address, subject: 'Payroll for March', text: 'Attached, confidential.' })
  assert.equal(res.code, 250, res.response)

  const list = await ws.get('/api/v1/email/inbound')
  assert.equal(list.status, 200)
  assert.equal(list.body.items.length, 1)
  const id = list.body.items[0].id as string
  const urls = ['/api/v1/email/inbound', '/api/v1/email/inbound?status=quarantined', `/api/v1/email/inbound/${id}`, `/api/v1/email/inbound/${id}/raw`]
  for (const url of urls) assert.equal((await ws.get(url)).status, 200, `the workspace admin reads ${url}`)
  const admin = await member(ws, 'admin', 'admin2')
  for (const url of urls) assert.equal((await admin.client.get(url)).status, 200, `another admin reads ${url}`)

  for (const role of ['agent', 'supervisor', 'auditor'] as const) {
    const user = await member(ws, role)
    for (const url of urls) {
      const refused = await user.client.get(url)
      assert.equal(refused.status, 403, `${role} ${url}: ${refused.status}`)
      assert.equal(refused.body.error.code, 'FORBIDDEN', `${role} ${url}`)
      assert.doesNotMatch(JSON.stringify(refused.body), /Payroll|confidential/)
    }
    // Refused before the query is looked at: no hint from a 400 either.
    assert.equal((await user.client.get('/api/v1/email/inbound?status=nonsense')).status, 403)
  }
})
