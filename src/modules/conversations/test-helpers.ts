import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Client, Res, TestApp, WorkspaceClient } from '../../../test/harness.ts'

/** Shared by this module's HTTP tests (not a test file itself). */

export async function openConversation(ws: Client, body: Record<string, unknown> = {}): Promise<Res['body']> {
  const res = await ws.post('/api/v1/conversations', {
    contact: { name: 'Ada Lovelace', email: 'ada@example.com' },
    subject: 'Printer on fire',
    message: { text: 'My printer is on fire.' },
    ...body,
  })
  assert.equal(res.status, 201, JSON.stringify(res.body))
  return res.body
}

/** A user of the given role in the workspace, with a client acting as them. */
export async function member(ws: WorkspaceClient, role: 'agent' | 'supervisor' | 'auditor' | 'admin', name: string = role): Promise<{ id: string; client: Client }> {
  const user = await ws.post('/api/v1/users', { email: `${name}-${Math.random().toString(36).slice(2, 8)}@example.com`, name, role })
  assert.equal(user.status, 201, JSON.stringify(user.body))
  const token = await ws.post('/api/v1/tokens', { name, userId: user.body.id })
  assert.equal(token.status, 201, JSON.stringify(token.body))
  return { id: user.body.id, client: ws.as(token.body.secret) }
}

/** Rows of a table for one workspace, read as the database owner (bypasses the API). */
export async function countRows(t: TestApp, table: 'contacts' | 'conversations' | 'messages' | 'contact_identities', workspaceId: string): Promise<number> {
  const r = await t.database.db
    .selectFrom(table)
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('workspace_id', '=', workspaceId)
    .executeTakeFirstOrThrow()
  return Number(r.n)
}

export async function eventsOf(t: TestApp, conversationId: string): Promise<Array<{ type: string; payload: Record<string, unknown> }>> {
  return t.database.db.selectFrom('events').select(['type', 'payload']).where('conversation_id', '=', conversationId).orderBy('id').execute()
}

/**
 * Polls the API until the message's delivery status is one of `until` (the
 * delivery worker runs after the reply's commit); returns the message. Gives
 * up after a generous bound so a broken worker fails the test instead of hanging it.
 */
export async function waitForDelivery(ws: Client, conversationId: string, messageId: string, until: string[]): Promise<Res['body']> {
  let last: Res['body'] = null
  for (let i = 0; i < 600; i++) {
    const res = await ws.get(`/api/v1/conversations/${conversationId}/messages?limit=100`)
    assert.equal(res.status, 200, JSON.stringify(res.body))
    last = res.body.items.find((m: { id: string }) => m.id === messageId)
    if (last && until.includes(last.deliveryStatus)) return last
    await sleep(100)
  }
  assert.fail(`message ${messageId} never reached ${until.join('/')}: ${JSON.stringify(last)}`)
}
