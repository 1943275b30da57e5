import assert from 'node:assert/strict'
import { test } from 'node:test'
import { useTestApp } from '../../../test/harness.ts'
import { systemActor } from '../../platform/auth/actor.ts'

/*
 * ingestInboundInTx's `details: false` (the email pipeline's): a message that
 * joins an existing case answers without reading the case's tags and SLA
 * summary; by default they are read back.
 */

const t = await useTestApp()

test('a message joining a tagged case: its tags come back by default, not with details: false', async () => {
  const ws = await t.workspace()
  const inbox = await ws.post('/api/v1/inboxes', { name: 'Integration', channel: 'api', config: {} })
  assert.equal(inbox.status, 201, JSON.stringify(inbox.body))
  const first = await ws.post(`/api/v1/inboxes/${inbox.body.id}/messages`, { contact: { email: 'details@example.test' }, text: 'first' })
  assert.equal(first.status, 201, JSON.stringify(first.body))
  const conversationId = first.body.conversation.id as string
  assert.equal((await ws.patch(`/api/v1/conversations/${conversationId}`, { tags: ['vip'] })).status, 200)
  const actor = systemActor(ws.workspaceId, 'intake test')
  const { conversations } = t.omnidesk.services
  const ingest = (n: number, details?: boolean) =>
    t.omnidesk.platform.tx(actor, (trx) =>
      conversations.ingestInboundInTx(trx, actor, { inboxId: inbox.body.id, contact: { email: 'details@example.test' }, conversationId, text: `reply ${n}`, providerMessageId: `details-${n}` }, details === undefined ? {} : { details }),
    )
  const full = await ingest(1)
  assert.equal(full.outcome, 'appended')
  assert.deepEqual(full.conversation.tags, ['vip'])
  const bare = await ingest(2, false)
  assert.equal(bare.outcome, 'appended')
  assert.equal(bare.conversation.id, conversationId)
  assert.deepEqual(bare.conversation.tags, [], 'not read')
  const repeat = await ingest(2, false)
  assert.equal(repeat.outcome, 'duplicate')
  assert.deepEqual(repeat.conversation.tags, [], 'not read for a repeat either')
  assert.deepEqual((await ingest(2)).conversation.tags, ['vip'])
})
