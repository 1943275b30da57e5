import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Client, WorkspaceClient } from '../../../test/harness.ts'

/** Shared by this module's HTTP tests (not a test file itself). */

export async function agent(ws: WorkspaceClient, name: string, capacity: Record<string, number>, opts: { skills?: Array<{ name: string; level: number }>; role?: 'agent' | 'supervisor'; online?: boolean } = {}) {
  const user = await ws.post('/api/v1/users', { email: `${name}-${Math.random().toString(36).slice(2, 8)}@example.com`, name, role: opts.role ?? 'agent' })
  assert.equal(user.status, 201, JSON.stringify(user.body))
  const token = await ws.post('/api/v1/tokens', { name, userId: user.body.id })
  assert.equal(token.status, 201, JSON.stringify(token.body))
  const id = user.body.id as string
  const profile = await ws.put(`/api/v1/users/${id}/routing`, { capacity, skills: opts.skills ?? [] })
  assert.equal(profile.status, 200, JSON.stringify(profile.body))
  const client = ws.as(token.body.secret)
  if (opts.online !== false) await presence(client, id, 'online')
  return { id, client, token: token.body.secret as string }
}

export async function presence(client: Client, userId: string, status: string) {
  const res = await client.put(`/api/v1/users/${userId}/presence`, { status })
  assert.equal(res.status, 200, JSON.stringify(res.body))
  return res.body
}

export async function queue(ws: Client, body: Record<string, unknown>) {
  const res = await ws.post('/api/v1/queues', body)
  assert.equal(res.status, 201, JSON.stringify(res.body))
  return res.body
}

export async function inbox(ws: Client, channel: 'chat' | 'api' | 'voice', name = `${channel} inbox`) {
  const res = await ws.post('/api/v1/inboxes', { name, channel, config: {} })
  assert.equal(res.status, 201, JSON.stringify(res.body))
  return res.body.id as string
}

let seq = 0
export async function newCase(ws: Client, body: Record<string, unknown> = {}) {
  const n = ++seq
  const res = await ws.post('/api/v1/conversations', { contact: { name: `Customer ${n}`, email: `customer${n}-${Math.random().toString(36).slice(2, 6)}@example.com` }, message: { text: `Help ${n}` }, ...body })
  assert.equal(res.status, 201, JSON.stringify(res.body))
  return res.body
}

/** Polls until `check` returns a value (not undefined/false); fails after a generous bound instead of hanging. */
export async function until<T>(what: string, check: () => Promise<T | undefined | false>, bound = 15_000): Promise<T> {
  const end = Date.now() + bound
  let last: unknown
  for (;;) {
    last = await check()
    if (last !== undefined && last !== false) return last as T
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`)
    await sleep(50)
  }
}

export async function assigneeOf(ws: Client, id: string): Promise<string | null> {
  const res = await ws.get(`/api/v1/conversations/${id}`)
  assert.equal(res.status, 200, JSON.stringify(res.body))
  return res.body.assigneeId
}

export async function decisions(ws: Client, id: string): Promise<any[]> { // eslint-disable-line @typescript-eslint/no-explicit-any -- JSON from the API
  const res = await ws.get(`/api/v1/conversations/${id}/routing-decisions`)
  assert.equal(res.status, 200, JSON.stringify(res.body))
  return res.body.items
}
