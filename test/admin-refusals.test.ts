import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { test } from 'node:test'
import { member, openConversation } from '../src/modules/conversations/test-helpers.ts'
import { useTestApp } from './harness.ts'

/*
 * What the desk hides from agents (the admin screens), the API refuses
 * anyway: each write of the admin screens, and the reads only supervisors and
 * admins have (board, audit log). Refused with 403 FORBIDDEN before anything
 * is looked up, and nothing changes.
 */
const t = await useTestApp()

test('an agent is refused every admin screen’s endpoint, and nothing changes', async () => {
  const ws = await t.workspace()
  const agent = await member(ws, 'agent', 'andy')
  const inbox = (await ws.post('/api/v1/inboxes', { name: 'Mail', channel: 'email', config: { address: `refuse-${ws.workspaceId.slice(0, 8)}@example.com` } })).body
  const team = (await ws.post('/api/v1/teams', { name: 'Billing' })).body
  await openConversation(ws)
  const some = randomUUID()
  const calls: Array<[string, string, unknown?]> = [
    ['GET', '/api/v1/board'],
    ['GET', '/api/v1/audit-events'],
    ['POST', '/api/v1/inboxes', { name: 'Mine now', channel: 'api', config: {} }],
    ['PATCH', `/api/v1/inboxes/${inbox.id}`, { name: 'Renamed', active: false }],
    ['DELETE', `/api/v1/inboxes/${inbox.id}`],
    ['POST', `/api/v1/email/inbound/${some}/retry`, {}],
    ['POST', '/api/v1/users', { email: 'new@example.com', name: 'New', role: 'admin' }],
    ['PATCH', `/api/v1/users/${ws.adminUserId}`, { active: false }],
    ['POST', '/api/v1/teams', { name: 'Shadow team' }],
    ['PATCH', `/api/v1/teams/${team.id}`, { memberIds: [agent.id] }],
    ['POST', `/api/v1/teams/${team.id}/members`, { userId: agent.id }],
    ['DELETE', `/api/v1/teams/${team.id}`],
    ['PUT', `/api/v1/users/${ws.adminUserId}/routing`, { capacity: { email: 1 }, skills: [] }],
    ['POST', `/api/v1/merge-suggestions/${some}/accept`, {}],
    ['POST', `/api/v1/merge-suggestions/${some}/reject`, {}],
    ['POST', '/api/v1/categories', { name: 'Billing' }],
    ['POST', '/api/v1/custom-fields', { key: 'plan', label: 'Plan', type: 'text' }],
    ['PUT', '/api/v1/settings/case-requirements', { solve: ['category'], transfer: [] }],
    ['PATCH', '/api/v1/workspace', { name: 'Taken over' }],
    ['POST', '/api/v1/tokens', { name: 'for the admin', userId: ws.adminUserId }],
  ]
  for (const [method, url, body] of calls) {
    const res = await agent.client.request(method, url, body)
    assert.equal(res.status, 403, `${method} ${url}: ${res.status} ${JSON.stringify(res.body)}`)
    assert.equal(res.body.error.code, 'FORBIDDEN', `${method} ${url}`)
  }
  const after = (await ws.get(`/api/v1/inboxes/${inbox.id}`)).body
  assert.deepEqual([after.name, after.active], ['Mail', true])
  assert.deepEqual((await ws.get(`/api/v1/teams/${team.id}`)).body.memberIds, [])
  assert.equal((await ws.get('/api/v1/workspace')).body.name === 'Taken over', false)
  assert.equal((await ws.get('/api/v1/users?limit=100')).body.items.some((u: { email: string }) => u.email === 'new@example.com'), false)
})
