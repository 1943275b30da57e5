import assert from 'node:assert/strict'
import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import WebSocket from 'ws'
import type { TestApp, WorkspaceClient } from '../../../test/harness.ts'

type Frame = any // eslint-disable-line @typescript-eslint/no-explicit-any -- tests read arbitrary JSON frames

export const wsUrlOf = (t: TestApp, inboxId: string) => `ws://127.0.0.1:${(t.omnidesk.app.server.address() as AddressInfo).port}/chat/ws?inboxId=${inboxId}`
export const httpUrlOf = (t: TestApp) => `http://127.0.0.1:${(t.omnidesk.app.server.address() as AddressInfo).port}`

export async function chatInbox(ws: WorkspaceClient, config: Record<string, unknown> = {}): Promise<string> {
  const res = await ws.post('/api/v1/inboxes', { name: 'Website chat', channel: 'chat', config: { websiteUrl: 'https://shop.example', ...config } })
  assert.equal(res.status, 201, JSON.stringify(res.body))
  return res.body.id as string
}

/** A visitor's socket that records every frame, so a test can wait for one. */
export function visitorSocket(url: string, headers: Record<string, string> = {}) {
  const ws = new WebSocket(url, { headers })
  const frames: Frame[] = []
  let seen = 0
  const waiters = new Set<() => void>()
  ws.on('message', (data) => {
    frames.push(JSON.parse(data.toString()))
    for (const w of waiters) w()
  })
  ws.on('error', () => {})
  const closing = new Promise<{ code: number; reason: string }>((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })))
  const opened = once(ws, 'open')
  const api = {
    ws,
    frames,
    closed: () => Promise.race([closing, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`still open; got ${JSON.stringify(frames)}`)), 10_000).unref())]),
    async send(frame: unknown) {
      await opened
      ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame))
    },
    /** The next frame (after those already taken) matching `pred`. */
    async next(pred: (f: Frame) => boolean = () => true, what = 'a frame', timeoutMs = 10_000): Promise<Frame> {
      for (;;) {
        const i = frames.findIndex((f, idx) => idx >= seen && pred(f))
        if (i >= 0) {
          seen = i + 1
          return frames[i]
        }
        if (ws.readyState === WebSocket.CLOSED) throw new Error(`closed before ${what}; got ${JSON.stringify(frames)}`)
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`no ${what}; got ${JSON.stringify(frames)}`)), timeoutMs)
          const w = () => {
            clearTimeout(timer)
            waiters.delete(w)
            resolve()
          }
          waiters.add(w)
          void closing.then(w)
        })
      }
    },
    /** Says hello and returns the ready frame. */
    async hello(token?: string): Promise<Frame> {
      await api.send({ type: 'hello', ...(token && { token }) })
      return api.next((f) => f.type === 'ready' || f.type === 'error', 'ready')
    },
    /** Sends a message and waits for its ack (or error). */
    async say(text: string, clientId = `c-${Math.random().toString(36).slice(2, 12)}`): Promise<Frame> {
      await api.send({ type: 'message', clientId, text })
      return api.next((f) => (f.type === 'ack' || f.type === 'error') && f.clientId === clientId, `ack of ${clientId}`)
    },
    close() {
      ws.close()
      return closing
    },
  }
  return api
}
export type VisitorSocket = ReturnType<typeof visitorSocket>
