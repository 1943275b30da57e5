import assert from 'node:assert/strict'
import { test } from 'node:test'
import { useTestApp } from '../../../test/harness.ts'
import { countRows, openConversation } from './test-helpers.ts'

const t = await useTestApp()

test('another workspace gets 404 for every route of a conversation, and never lists it', async () => {
  const a = await t.workspace()
  const b = await t.workspace()
  const c = await openConversation(a)
  const msg = (await a.post(`/api/v1/conversations/${c.id}/messages`, {
    text: 'with file',
    attachments: [{ filename: 'a.txt', contentType: 'text/plain', dataBase64: Buffer.from('secret').toString('base64') }],
  })).body
  await openConversation(b)

  const base = `/api/v1/conversations/${c.id}`
  const attempts = [
    await b.get(base),
    await b.patch(base, { status: 'solved' }),
    await b.get(`${base}/messages`),
    await b.post(`${base}/messages`, { text: 'sneaky reply' }),
    await b.get(`${base}/timeline`),
    await b.post(`${base}/tags`, { tags: ['x'] }),
    await b.delete(`${base}/tags/x`),
    await b.get(`${base}/messages/${msg.id}/attachments/${msg.attachments[0].id}`),
    await b.post(`/api/v1/inboxes/${c.inboxId}/messages`, { contact: { name: 'X' }, text: 'hi' }),
    await b.post(`/api/v1/inboxes/${(await b.get('/api/v1/conversations')).body.items[0].inboxId}/messages`, { contact: { name: 'X' }, text: 'hi', conversationId: c.id }),
  ]
  for (const [i, res] of attempts.entries()) {
    assert.equal(res.status, 404, `attempt ${i}: ${res.status} ${JSON.stringify(res.body)}`)
    assert.equal(res.body.error.code, 'NOT_FOUND')
  }
  const listed = (await b.get('/api/v1/conversations')).body.items.map((x: { id: string }) => x.id)
  assert.equal(listed.includes(c.id), false)
  assert.equal((await b.get(`/api/v1/conversations?contactId=${c.contactId}`)).body.items.length, 0)

  // Nothing of A's changed, and B's attempts wrote nothing into A.
  const still = (await a.get(base)).body
  assert.equal(still.status, 'open')
  assert.deepEqual(still.tags, [])
  assert.equal(await countRows(t, 'messages', a.workspaceId), 2)
})

test('ids that belong to another workspace are refused as body references', async () => {
  const a = await t.workspace()
  const b = await t.workspace()
  const c = await openConversation(a)
  const team = await b.post('/api/v1/teams', { name: 'B team' })
  const res = await a.patch(`/api/v1/conversations/${c.id}`, { teamId: team.body.id, assigneeId: b.adminUserId })
  assert.equal(res.status, 400)
  const inbox = (await b.get('/api/v1/conversations')).body.items[0]?.inboxId ?? (await openConversation(b)).inboxId
  const viaForeignInbox = await a.post('/api/v1/conversations', { inboxId: inbox, contact: { name: 'X' }, message: { text: 'hi' } })
  assert.equal(viaForeignInbox.status, 400)
})
