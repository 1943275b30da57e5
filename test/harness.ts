import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { after } from 'node:test'
import type { LightMyRequestResponse } from 'fastify'
import { build, type Omnidesk } from '../src/app.ts'
import { loadConfig, type Config } from '../src/platform/config.ts'
import { type Database, openDatabase } from '../src/platform/db/database.ts'
import { createThrowawayDatabase } from './server-database.ts'

/**
 * Test harness: every test file gets its own freshly migrated database —
 * in-memory PGlite by default, or a new database on the server named by
 * DATABASE_URL — and tests isolate themselves by creating their own workspace.
 */
export interface TestApp {
  omnidesk: Omnidesk
  config: Config
  database: Database
  adminToken: string
  /** A request as the instance owner. */
  admin: Client
  /** Creates a fresh workspace; returns a client acting as its admin. */
  workspace(name?: string): Promise<WorkspaceClient>
  close(): Promise<void>
}

export interface Client {
  request(method: string, url: string, body?: unknown, headers?: Record<string, string>): Promise<Res>
  get(url: string): Promise<Res>
  post(url: string, body?: unknown, headers?: Record<string, string>): Promise<Res>
  patch(url: string, body?: unknown): Promise<Res>
  put(url: string, body?: unknown): Promise<Res>
  delete(url: string): Promise<Res>
}

export interface WorkspaceClient extends Client {
  workspaceId: string
  token: string
  adminUserId: string
  /** A client using another bearer token. */
  as(token: string): Client
}

export interface Res {
  status: number
  body: any // eslint-disable-line @typescript-eslint/no-explicit-any -- tests assert on arbitrary JSON
  headers: LightMyRequestResponse['headers']
  raw: LightMyRequestResponse
}

export function clientFor(omnidesk: Omnidesk, token: string | null, extraHeaders: Record<string, string> = {}): Client {
  const request = async (method: string, url: string, body?: unknown, headers: Record<string, string> = {}): Promise<Res> => {
    const res = await omnidesk.app.inject({
      method: method as 'GET',
      url,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...extraHeaders, ...headers },
      ...(body !== undefined && { payload: body as object }),
    })
    let parsed: unknown = undefined
    if (res.body) {
      try {
        parsed = JSON.parse(res.body)
      } catch {
        parsed = res.body
      }
    }
    return { status: res.statusCode, body: parsed, headers: res.headers, raw: res }
  }
  return {
    request,
    get: (url) => request('GET', url),
    post: (url, body, headers) => request('POST', url, body ?? {}, headers),
    patch: (url, body) => request('PATCH', url, body ?? {}),
    put: (url, body) => request('PUT', url, body ?? {}),
    delete: (url) => request('DELETE', url),
  }
}

export interface TestAppOptions {
  /**
   * Run omnidesk.start(): the job queue and its workers (outbound delivery),
   * the event dispatcher and the inbound-mail processor. Off by default, so a
   * test sees only what its requests did.
   */
  start?: boolean
}

export async function startTestApp(env: Record<string, string> = {}, opts: TestAppOptions = {}): Promise<TestApp> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'omnidesk-test-'))
  const adminToken = `test-admin-${randomBytes(12).toString('hex')}`
  const serverDb = process.env.DATABASE_URL ? await createThrowawayDatabase(process.env.DATABASE_URL, 'omnidesk_t', { migrated: true }) : null
  const config = loadConfig({
    DATA_DIR: dataDir,
    OMNIDESK_ADMIN_TOKEN: adminToken,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    API_RATE_LIMIT: '100000',
    ...(serverDb && { DATABASE_URL: serverDb.url }),
    ...env,
  })
  // Small by default (many test files run at once); a concurrency test asks for more with DATABASE_POOL_SIZE.
  // PGlite keeps its data in the test's DATA_DIR, as the server does: the directory is a copy of the
  // migrated template made at install time, which spares every test file an initdb and the migrations
  // (~3 s of CPU each). TEST_PGLITE_MEMORY=1 keeps it in memory instead (initdb + migrations in-process).
  const dataDirForDb = process.env.TEST_PGLITE_MEMORY === '1' ? undefined : dataDir
  const database = await openDatabase({ url: config.databaseUrl, dataDir: dataDirForDb, poolSize: env.DATABASE_POOL_SIZE ? config.databasePoolSize : 4 })
  const omnidesk = await build({ config, database })
  if (opts.start) await omnidesk.start()
  const admin = clientFor(omnidesk, adminToken)
  let counter = 0
  let closed = false
  const t: TestApp = {
    omnidesk,
    config,
    database,
    adminToken,
    admin,
    async workspace(name) {
      const res = await admin.post('/api/v1/workspaces', { name: name ?? `Workspace ${++counter}` })
      if (res.status !== 201) throw new Error(`could not create workspace: ${res.status} ${JSON.stringify(res.body)}`)
      const token = res.body.token as string
      return {
        ...clientFor(omnidesk, token),
        workspaceId: res.body.workspace.id,
        token,
        adminUserId: res.body.admin.id,
        as: (other: string) => clientFor(omnidesk, other),
      }
    },
    async close() {
      if (closed) return
      closed = true
      await omnidesk.close()
      await database.close()
      await serverDb?.drop()
      fs.rmSync(dataDir, { recursive: true, force: true })
    },
  }
  return t
}

/** Starts one app for the calling test file and closes it when the file ends. */
export async function useTestApp(env?: Record<string, string>, opts?: TestAppOptions): Promise<TestApp> {
  const t = await startTestApp(env, opts)
  after(() => t.close())
  return t
}
