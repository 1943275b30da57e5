import assert from 'node:assert/strict'
import { test } from 'node:test'
import { useTestApp, type WorkspaceClient } from '../../../test/harness.ts'
import { suggestMerge } from './index.ts'
import type { MergeEvidence } from './suggestions.types.ts'

/*
 * Merge suggestions from unverified evidence: a channel records one with
 * suggestMerge (in its own transaction); agents list, accept (the existing
 * merge runs) or reject them through the API. Nothing merges by itself.
 */

const t = await useTestApp()

const evidence: MergeEvidence = { source: 'chat.pre-chat-form', identity: { kind: 'email', value: 'ada@example.org' }, detail: 'typed in the pre-chat form' }

async function contact(ws: WorkspaceClient, identities: Array<{ kind: string; value: string }>, name?: string): Promise<string> {
  const res = await ws.post('/api/v1/contacts', { identities, ...(name && { name }) })
  assert.equal(res.status, 201, JSON.stringify(res.body))
  return res.body.id
}

const suggest = (ws: WorkspaceClient, a: string, b: string) => t.omnidesk.platform.tx(ws.workspaceId, (trx) => suggestMerge(trx, ws.workspaceId, a, b, evidence))

test('a suggestion is listed, never merges by itself, and is recorded once per pair whichever the order', async () => {
  const ws = await t.workspace()
  const a = await contact(ws, [{ kind: 'email', value: `a-${Date.now()}@example.org` }], 'Ada')
  const b = await contact(ws, [{ kind: 'widget', value: `visitor-${Date.now()}` }])
  const s = await suggest(ws, a, b)
  assert.ok(s)
  assert.equal((await suggest(ws, b, a))?.id, s.id)
  assert.equal(await suggest(ws, a, a), null)
  const list = await ws.get('/api/v1/merge-suggestions')
  assert.equal(list.status, 200)
  assert.deepEqual(
    list.body.items.map((i: { id: string; contactAId: string; contactBId: string; status: string }) => [i.id, i.contactAId, i.contactBId, i.status]),
    [[s.id, a, b, 'open']],
  )
  assert.deepEqual(list.body.items[0].evidence, evidence)
  assert.equal((await ws.get(`/api/v1/contacts/${b}`)).body.mergedIntoId, null, 'not merged')
})

test('accept runs the merge (B into A), can be undone, and cannot be decided twice', async () => {
  const ws = await t.workspace()
  const a = await contact(ws, [{ kind: 'email', value: `acc-${Date.now()}@example.org` }])
  const b = await contact(ws, [{ kind: 'widget', value: `v-acc-${Date.now()}` }], 'Visitor')
  const s = await suggest(ws, a, b)
  assert.ok(s)
  const res = await ws.post(`/api/v1/merge-suggestions/${s.id}/accept`)
  assert.equal(res.status, 200, JSON.stringify(res.body))
  assert.equal(res.body.suggestion.status, 'accepted')
  assert.equal(res.body.merge.targetContactId, a)
  assert.equal(res.body.merge.sourceContactId, b)
  assert.equal(res.body.suggestion.mergeId, res.body.merge.id)
  assert.deepEqual(res.body.contact.identities.map((i: { kind: string }) => i.kind).sort(), ['email', 'widget'])
  assert.equal((await ws.get(`/api/v1/contacts/${b}`)).body.mergedIntoId, a)
  assert.equal((await ws.post(`/api/v1/merge-suggestions/${s.id}/accept`)).status, 409)
  assert.equal((await ws.post(`/api/v1/merge-suggestions/${s.id}/reject`)).status, 409)
  assert.equal((await ws.get('/api/v1/merge-suggestions')).body.items.length, 0)
  assert.equal((await ws.get('/api/v1/merge-suggestions?status=accepted')).body.items[0].id, s.id)
  assert.equal((await ws.post(`/api/v1/contact-merges/${res.body.merge.id}/undo`)).status, 200)
  assert.equal((await ws.get(`/api/v1/contacts/${b}`)).body.mergedIntoId, null)
})

test('accept may merge the other way; a target outside the pair is refused', async () => {
  const ws = await t.workspace()
  const a = await contact(ws, [{ kind: 'email', value: `w-${Date.now()}@example.org` }])
  const b = await contact(ws, [{ kind: 'phone', value: '+14155550177' }])
  const s = await suggest(ws, a, b)
  assert.ok(s)
  const outsider = await contact(ws, [{ kind: 'email', value: `o-${Date.now()}@example.org` }])
  assert.equal((await ws.post(`/api/v1/merge-suggestions/${s.id}/accept`, { targetContactId: outsider })).status, 400)
  const res = await ws.post(`/api/v1/merge-suggestions/${s.id}/accept`, { targetContactId: b })
  assert.equal(res.status, 200, JSON.stringify(res.body))
  assert.equal(res.body.merge.targetContactId, b)
  assert.equal((await ws.get(`/api/v1/contacts/${a}`)).body.mergedIntoId, b)
})

test('reject keeps the two apart; another workspace sees and decides nothing', async () => {
  const ws = await t.workspace()
  const a = await contact(ws, [{ kind: 'email', value: `r-${Date.now()}@example.org` }])
  const b = await contact(ws, [{ kind: 'widget', value: `v-r-${Date.now()}` }])
  const s = await suggest(ws, a, b)
  assert.ok(s)
  const other = await t.workspace()
  assert.equal((await other.get('/api/v1/merge-suggestions')).body.items.length, 0)
  assert.equal((await other.post(`/api/v1/merge-suggestions/${s.id}/accept`)).status, 404)
  assert.equal((await other.post(`/api/v1/merge-suggestions/${s.id}/reject`)).status, 404)
  const res = await ws.post(`/api/v1/merge-suggestions/${s.id}/reject`)
  assert.equal(res.status, 200)
  assert.equal(res.body.status, 'rejected')
  assert.equal((await ws.get(`/api/v1/contacts/${b}`)).body.mergedIntoId, null)
  // A later claim may suggest the pair again.
  const again = await suggest(ws, a, b)
  assert.ok(again)
  assert.notEqual(again.id, s.id)
})

test('16 concurrent suggestions of one pair record one open suggestion', async () => {
  const ws = await t.workspace()
  const a = await contact(ws, [{ kind: 'email', value: `c-${Date.now()}@example.org` }])
  const b = await contact(ws, [{ kind: 'widget', value: `v-c-${Date.now()}` }])
  const results = await Promise.all(Array.from({ length: 16 }, (_, i) => (i % 2 ? suggest(ws, a, b) : suggest(ws, b, a))))
  assert.equal(new Set(results.map((r) => r?.id)).size, 1)
  assert.equal((await ws.get('/api/v1/merge-suggestions')).body.items.length, 1)
})

test('suggestions are listed per contact (either side of the pair), only within the workspace', async () => {
  const ws = await t.workspace()
  const other = await t.workspace()
  const stamp = Date.now()
  const a = await contact(ws, [{ kind: 'email', value: `pa-${stamp}@example.org` }])
  const b = await contact(ws, [{ kind: 'widget', value: `pb-${stamp}` }])
  const c = await contact(ws, [{ kind: 'widget', value: `pc-${stamp}` }])
  const d = await contact(ws, [{ kind: 'widget', value: `pd-${stamp}` }])
  const ab = await suggest(ws, a, b)
  const cd = await suggest(ws, c, d)
  assert.ok(ab && cd)
  const ids = async (contactId: string, client = ws) => {
    const res = await client.get(`/api/v1/merge-suggestions?contactId=${contactId}`)
    assert.equal(res.status, 200, JSON.stringify(res.body))
    return res.body.items.map((s: { id: string }) => s.id)
  }
  assert.deepEqual(await ids(a), [ab.id])
  assert.deepEqual(await ids(b), [ab.id])
  assert.deepEqual(await ids(d), [cd.id])
  assert.deepEqual(await ids(a, other), [], 'another workspace sees none')
  assert.equal((await ws.get('/api/v1/merge-suggestions?contactId=nope')).status, 400)
})
