import assert from 'node:assert/strict'
import { test } from 'node:test'
import { useTestApp } from '../../../test/harness.ts'
import { member } from '../conversations/test-helpers.ts'

/** One member in or out of a team, without replacing the whole list. */
const t = await useTestApp()

test('a supervisor adds and removes one member at a time; concurrent adds all stay; each change is audited once', async () => {
  const ws = await t.workspace()
  const sup = await member(ws, 'supervisor', 'sue')
  const people = await Promise.all(['ann', 'bob', 'cat', 'dee'].map((n) => member(ws, 'agent', n)))
  const team = (await ws.post('/api/v1/teams', { name: 'Billing' })).body

  const adds = await Promise.all(people.map((p) => sup.client.post(`/api/v1/teams/${team.id}/members`, { userId: p.id })))
  for (const r of adds) assert.equal(r.status, 200, JSON.stringify(r.body))
  const ids = people.map((p) => p.id).sort()
  assert.deepEqual([...(await ws.get(`/api/v1/teams/${team.id}`)).body.memberIds].sort(), ids, 'no add lost another')

  const again = await sup.client.post(`/api/v1/teams/${team.id}/members`, { userId: people[0]!.id })
  assert.equal(again.status, 200)
  assert.equal(again.body.memberIds.length, 4)

  const removed = await sup.client.delete(`/api/v1/teams/${team.id}/members/${people[1]!.id}`)
  assert.equal(removed.status, 200)
  assert.deepEqual([...removed.body.memberIds].sort(), ids.filter((id) => id !== people[1]!.id))
  assert.equal((await sup.client.delete(`/api/v1/teams/${team.id}/members/${people[1]!.id}`)).status, 200, 'removing a non-member changes nothing')

  const audit = await ws.get('/api/v1/audit-events?limit=100')
  const actions = audit.body.items.filter((e: { entityId: string }) => e.entityId === team.id).map((e: { action: string }) => e.action)
  assert.equal(actions.filter((a: string) => a === 'team.member-added').length, 4)
  assert.equal(actions.filter((a: string) => a === 'team.member-removed').length, 1)
})

test('agents may not change members; users and teams of another workspace are 404; bad ids are 400', async () => {
  const a = await t.workspace()
  const b = await t.workspace()
  const agent = await member(a, 'agent', 'andy')
  const teamA = (await a.post('/api/v1/teams', { name: 'A team' })).body
  const teamB = (await b.post('/api/v1/teams', { name: 'B team' })).body
  const outsider = await member(b, 'agent', 'olga')

  const refused = await agent.client.post(`/api/v1/teams/${teamA.id}/members`, { userId: agent.id })
  assert.equal(refused.status, 403)
  assert.equal(refused.body.error.code, 'FORBIDDEN')
  assert.equal((await agent.client.delete(`/api/v1/teams/${teamA.id}/members/${agent.id}`)).status, 403)

  const foreignUser = await a.post(`/api/v1/teams/${teamA.id}/members`, { userId: outsider.id })
  assert.equal(foreignUser.status, 404)
  assert.equal((await a.post(`/api/v1/teams/${teamB.id}/members`, { userId: agent.id })).status, 404)
  assert.equal((await a.delete(`/api/v1/teams/${teamB.id}/members/${outsider.id}`)).status, 404)
  assert.equal((await a.post(`/api/v1/teams/${teamA.id}/members`, { userId: 'not-a-uuid' })).status, 400)
  assert.deepEqual((await a.get(`/api/v1/teams/${teamA.id}`)).body.memberIds, [])
  assert.deepEqual((await b.get(`/api/v1/teams/${teamB.id}`)).body.memberIds, [])
})
