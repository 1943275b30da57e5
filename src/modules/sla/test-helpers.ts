import assert from 'node:assert/strict'
import { after } from 'node:test'
import { build, type Omnidesk } from '../../app.ts'
import { type Client, clientFor, startTestApp, type TestApp } from '../../../test/harness.ts'
import type { SlaClock, SlaPorts } from './index.ts'

/** Shared by this module's HTTP tests (not a test file itself). */

export const nineToFive = { mon: [['09:00', '17:00']], tue: [['09:00', '17:00']], wed: [['09:00', '17:00']], thu: [['09:00', '17:00']], fri: [['09:00', '17:00']] }

export interface SlaTestApp {
  t: TestApp
  app: Omnidesk
  workspace(name?: string): Promise<Client & { workspaceId: string; adminUserId: string }>
  /** Runs every pending event through the listeners (SLA clocks, escalation actions). */
  settle(): Promise<void>
}

/** One app for the calling file, on the harness's fresh database, with the given SLA clock; started (jobs, dispatcher). */
export async function useSlaApp(clock: SlaClock, opts: { ports?: SlaPorts } = {}): Promise<SlaTestApp> {
  const t = await startTestApp()
  const app = await build({ config: t.config, database: t.database, slaClock: clock, ...(opts.ports && { slaPorts: opts.ports }) })
  await app.start()
  after(async () => {
    await app.close()
    await t.close()
  })
  let n = 0
  return {
    t,
    app,
    async workspace(name) {
      const res = await clientFor(app, t.adminToken).post('/api/v1/workspaces', { name: name ?? `SLA ${++n} ${Math.random().toString(36).slice(2, 6)}` })
      assert.equal(res.status, 201, JSON.stringify(res.body))
      return Object.assign(clientFor(app, res.body.token), { workspaceId: res.body.workspace.id as string, adminUserId: res.body.admin.id as string })
    },
    async settle() {
      for (let i = 0; i < 5; i++) await app.platform.dispatcher.drain()
    },
  }
}

export async function created(res: { status: number; body: { id?: string } & Record<string, unknown> }, status = 201) {
  assert.equal(res.status, status, JSON.stringify(res.body))
  return res.body
}

export async function openCase(ws: Client, body: Record<string, unknown> = {}) {
  return created(await ws.post('/api/v1/conversations', { contact: { name: 'Grace', email: `grace-${Math.random().toString(36).slice(2, 8)}@example.com` }, subject: 'Help', message: { text: 'Hello?' }, ...body }))
}

export async function timelineEvents(ws: Client, conversationId: string, type: string) {
  const res = await ws.get(`/api/v1/conversations/${conversationId}/timeline?limit=100`)
  assert.equal(res.status, 200, JSON.stringify(res.body))
  return (res.body.items as Array<{ kind: string; event?: { type: string; payload: Record<string, unknown> } }>).filter((i) => i.kind === 'event' && i.event?.type === type).map((i) => i.event!.payload)
}

/** Polls `probe` until it returns something truthy (a job that runs on pg-boss's polling interval); fails after ~30 s. */
export async function eventually<T>(probe: () => Promise<T | null | undefined | false>, what: string): Promise<T> {
  for (let i = 0; i < 300; i++) {
    const v = await probe()
    if (v) return v
    await new Promise((r) => setTimeout(r, 100))
  }
  assert.fail(`gave up waiting for ${what}`)
}
