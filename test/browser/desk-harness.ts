/**
 * Browser-test harness: the real server process (`src/main.ts`, as `npm start`
 * runs it) on a free port with its own data directory (or a throwaway database
 * on DATABASE_URL), a workspace with an agent and an admin who sign in with
 * passwords, and Debian's chromium driven by playwright-core.
 */
import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import type { AddressInfo } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { after, before } from 'node:test'
import { fileURLToPath } from 'node:url'
import { type Browser, chromium, type Locator, type Page } from 'playwright-core'
import type { TestApp } from '../harness.ts'
import { type Database, openDatabase } from '../../src/platform/db/database.ts'
import { freePort } from '../net.ts'
import { serverEnv, startServerProcess } from '../server-process.ts'
import { createThrowawayDatabase } from '../server-database.ts'
import { ensureWebBuilt } from '../web/built-app.ts'
import { screenshotDir } from './screenshot-dir.ts'

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
export const chromiumPath = '/usr/bin/chromium'
export const screenshots = screenshotDir

/** Why browser tests cannot run here, or null. Without chromium they skip locally and fail in CI. */
export function browserSkipReason(): string | null {
  if (fs.existsSync(chromiumPath)) return null
  if (process.env.CI) throw new Error(`${chromiumPath} is missing: .ci/run installs it with apt-get (chromium)`)
  return `${chromiumPath} is not installed (apt-get install -y chromium); browser tests skipped`
}

/** Debian's chromium, headless, without the background traffic a test does not want. */
export const launchChromium = (): Promise<Browser> =>
  chromium.launch({ executablePath: chromiumPath, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'] })

/** Serves a test file's in-process app (useTestApp) with the built desk, no job workers; returns its base URL. */
export async function serveTestApp(t: TestApp): Promise<string> {
  await ensureWebBuilt()
  await t.omnidesk.start({ jobs: false })
  await t.omnidesk.app.listen({ port: 0, host: '127.0.0.1' })
  return `http://127.0.0.1:${(t.omnidesk.app.server.address() as AddressInfo).port}`
}

/**
 * One desk for the calling test file: started before its tests (then `ready`
 * runs, e.g. to open and sign in a page), closed after them. `opts` skips the
 * tests where chromium is missing.
 */
export function deskForFile(ready: (desk: Desk) => Promise<void>): { opts: { skip: string | false } } {
  const skip = browserSkipReason()
  if (skip) console.log(`# ${skip}`)
  let desk: Desk | undefined
  before(async () => {
    if (skip) return
    desk = await startDesk()
    await ready(desk)
  })
  after(async () => {
    await desk?.close()
  })
  return { opts: { skip: skip ?? false } }
}

export interface Desk {
  base: string
  /** The server's inbound SMTP port (127.0.0.1). */
  smtpPort: number
  browser: Browser
  /** The workspace admin's API token. */
  token: string
  agent: { id: string; email: string; password: string }
  admin: { id: string; email: string; password: string }
  api(method: string, url: string, body?: unknown, token?: string): Promise<{ status: number; body: any }> // eslint-disable-line @typescript-eslint/no-explicit-any -- tests read arbitrary JSON
  newPage(opts?: { colorScheme?: 'light' | 'dark' }): Promise<Page>
  signIn(page: Page, who: { email: string; password: string }): Promise<void>
  /**
   * Stops the server, hands its database to `fn` (bulk test data through the
   * product's own database layer: PGlite lets one process open its directory
   * at a time), then starts the server again on the same port and data.
   */
  withServerStopped(fn: (database: Database) => Promise<void>): Promise<void>
  close(): Promise<void>
}

export async function startDesk(): Promise<Desk> {
  await ensureWebBuilt()
  const port = await freePort()
  const smtpPort = await freePort()
  const base = `http://127.0.0.1:${port}`
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'omnidesk-browser-'))
  const adminToken = `browser-admin-${randomBytes(12).toString('hex')}`
  const serverDb = process.env.DATABASE_URL ? await createThrowawayDatabase(process.env.DATABASE_URL, 'omnidesk_browser', { migrated: true }) : null
  const env = serverEnv({ dataDir, port, smtpPort, adminToken, databaseUrl: serverDb?.url })
  let server = await startServerProcess(env)

  async function api(method: string, url: string, body?: unknown, token = adminToken) {
    const res = await fetch(`${base}${url}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    })
    const text = await res.text()
    return { status: res.status, body: text ? JSON.parse(text) : null }
  }

  const password = `pw-${randomBytes(8).toString('hex')}`
  const ws = await api('POST', '/api/v1/workspaces', { name: 'Acme Support', admin: { email: 'ada@acme.test', name: 'Ada Admin', password } })
  if (ws.status !== 201) throw new Error(`workspace: ${ws.status} ${JSON.stringify(ws.body)}`)
  const token = ws.body.token as string
  const agentRes = await api('POST', '/api/v1/users', { email: 'sam@acme.test', name: 'Sam Agent', role: 'agent', password }, token)
  if (agentRes.status !== 201) throw new Error(`agent: ${agentRes.status} ${JSON.stringify(agentRes.body)}`)

  const browser = await launchChromium()

  return {
    base,
    smtpPort,
    browser,
    token,
    agent: { id: agentRes.body.id, email: 'sam@acme.test', password },
    admin: { id: ws.body.admin.id, email: 'ada@acme.test', password },
    api: (method, url, body, t = token) => api(method, url, body, t),
    async newPage(opts = {}) {
      const context = await browser.newContext({ baseURL: base, viewport: { width: 1280, height: 800 }, colorScheme: opts.colorScheme ?? 'light', reducedMotion: 'reduce' })
      return context.newPage()
    },
    async signIn(page, who) {
      await page.goto('/')
      await page.getByLabel('Email').fill(who.email)
      await page.getByLabel('Password').fill(who.password)
      await page.getByRole('button', { name: 'Sign in' }).click()
      await page.getByRole('button', { name: 'Sign out' }).waitFor()
    },
    async withServerStopped(fn) {
      await server.stop()
      const database = await openDatabase(serverDb ? { url: serverDb.url, poolSize: 2 } : { dataDir })
      try {
        await fn(database)
      } finally {
        await database.close()
      }
      server = await startServerProcess(env)
    },
    async close() {
      await browser.close().catch(() => undefined)
      await server.stop()
      await serverDb?.drop()
      fs.rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

/** The server process (`src/main.ts`) until it prints that it is ready. */
/** Runs axe-core in the page (evaluated over CDP, so the app's CSP stays as it is) and returns serious/critical violations. */
export async function axeViolations(page: Page): Promise<string[]> {
  const source = fs.readFileSync(path.join(root, 'node_modules', 'axe-core', 'axe.min.js'), 'utf8')
  await page.evaluate(source)
  const result = (await page.evaluate(`axe.run(document, { resultTypes: ['violations'] })`)) as {
    violations: Array<{ id: string; impact: string | null; help: string; nodes: Array<{ target: unknown }> }>
  }
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.map((n) => JSON.stringify(n.target)).slice(0, 3).join(', ')})`)
}

/**
 * The texts of every element `locator` matches, once they equal `expected` (or what they were
 * after `timeoutMs`): a list may re-render between the row a test waited for and the read, so
 * a single read can catch it empty. Assert on the result.
 */
export async function textsOnceEqual(locator: Locator, expected: string[], timeoutMs = 10_000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const texts = await locator.allTextContents()
    if (JSON.stringify(texts) === JSON.stringify(expected) || Date.now() > deadline) return texts
    await new Promise((r) => setTimeout(r, 50))
  }
}

export async function screenshot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(screenshots, { recursive: true })
  await page.screenshot({ path: path.join(screenshots, `${name}.png`) })
}

/**
 * Scrolls the inbox list to its end, page after page, until the count reads
 * `total` (e.g. "10,000 cases"): each step waits for the count to change, never
 * for a fixed time. Returns the most rows the DOM held at any step.
 */
export async function scrollInboxToEnd(page: Page, total: string, opts: { timeoutMs?: number } = {}): Promise<number> {
  const scroller = page.locator('.inbox-scroll')
  const count = page.locator('.page-head .count')
  const deadline = Date.now() + (opts.timeoutMs ?? 10 * 60_000)
  let most = 0
  for (;;) {
    const before = (await count.textContent()) ?? ''
    most = Math.max(most, await page.locator('.inbox-row').count())
    if (before === total) return most
    if (Date.now() > deadline) throw new Error(`the inbox count stayed at "${before}", never "${total}"`)
    await scroller.evaluate((el) => el.scrollTo(0, el.scrollHeight))
    // The next page loads when the last rows come into view; a live update may also change the count.
    // A jump to the bottom made while the list was still growing can land above the new end (the
    // virtualizer re-measures rows after the jump): no page is asked for, and the next turn
    // jumps again, as a user scrolls on. A short wait keeps such a turn from costing 15 s.
    await count
      .filter({ hasNotText: new RegExp(`^${before.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) })
      .waitFor({ timeout: 3_000 })
      .catch(() => undefined)
  }
}
