import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Client, TestApp } from '../../../test/harness.ts'

/** Shared by the messaging channels' tests (not a test file itself). */

/** Polls until `fn` gives a value; fails the test after a generous bound instead of hanging. */
export async function waitFor<T>(fn: () => Promise<T | null | undefined | false>, what: string, bound = 600): Promise<T> {
  let last: unknown
  for (let i = 0; i < bound; i++) {
    try {
      const v = await fn()
      if (v) return v
      last = v
    } catch (err) {
      last = err
    }
    await sleep(100)
  }
  assert.fail(`timed out waiting for ${what}: ${last instanceof Error ? last.message : JSON.stringify(last)}`)
}

/** A webhook request as a provider makes it: raw body, its own headers, no API credentials. */
export async function postWebhook(t: TestApp, path: string, body: string, headers: Record<string, string>) {
  const res = await t.omnidesk.app.inject({ method: 'POST', url: path, headers, payload: body })
  return { status: res.statusCode, body: res.body }
}

export async function conversations(ws: Client): Promise<Array<{ id: string; channel: string; status: string }>> {
  const res = await ws.get('/api/v1/conversations?limit=100')
  assert.equal(res.status, 200, JSON.stringify(res.body))
  return res.body.items
}

export async function messagesOf(ws: Client, conversationId: string): Promise<Array<Record<string, any>>> { // eslint-disable-line @typescript-eslint/no-explicit-any -- tests assert on arbitrary JSON
  const res = await ws.get(`/api/v1/conversations/${conversationId}/messages?limit=100`)
  assert.equal(res.status, 200, JSON.stringify(res.body))
  return res.body.items
}

/** The only conversation of a fresh workspace, once the inbound job has stored its first message. */
export async function theConversation(ws: Client, minMessages = 1): Promise<string> {
  return waitFor(async () => {
    const list = await conversations(ws)
    if (list.length !== 1 || !list[0]) return null
    const msgs = await messagesOf(ws, list[0].id)
    return msgs.length >= minMessages ? list[0].id : null
  }, `a conversation with ${minMessages} message(s)`)
}

/** Jobs of the inbound queue, in any state (pg-boss keeps completed ones). */
export async function inboundJobCount(t: TestApp): Promise<number> {
  const r = await t.database.pool.query("select count(*)::int as n from pgboss.job where name = 'channel-messaging-inbound'")
  return (r.rows[0] as { n: number }).n
}

/** Waits until the inbound queue has nothing waiting or running (its jobs have been handled). */
export async function inboundIdle(t: TestApp): Promise<void> {
  await waitFor(async () => {
    const r = await t.database.pool.query("select count(*)::int as n from pgboss.job where name = 'channel-messaging-inbound' and state in ('created', 'retry', 'active')")
    return (r.rows[0] as { n: number }).n === 0
  }, 'the inbound queue to be idle')
}

export const rand = () => Math.random().toString(36).slice(2, 10)
