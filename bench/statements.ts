import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import pg from 'pg'
import { build } from '../src/app.ts'
import { loadConfig } from '../src/platform/config.ts'
import { createThrowawayDatabase } from '../test/server-database.ts'

/**
 * Statements per `POST /api/v1/conversations` (new customer each), counted by
 * wrapping pg.Client#query: the request's own statements plus the work it
 * leaves to the background (event dispatcher, audit appender), on embedded
 * PGlite in a temporary data directory, or on a throwaway database of the
 * PostgreSQL server of DATABASE_URL. `node --import tsx bench/statements.ts`
 * (BENCH_CREATES, default 200; 10 at a time through app.inject). Prints the
 * round trips (query calls) per create grouped by their text (its first BENCH_TEXT_WIDTH
 * characters, default 200), most frequent first, then the totals: round trips, and statements (a parameterless query text of several
 * `;`-separated statements, such as `begin;select set_config(…)`, counts each), and how
 * many of them PostgreSQL had to parse: every simple query, and every extended one whose
 * Parse was sent (a statement kept by name on the connection sends none).
 */
const creates = Number(process.env.BENCH_CREATES ?? 200)
let count = 0
let statements = 0
let parses = 0
let counting = false
/** Statements by their text (whitespace folded, first 200 characters), counted while `counting`. */
const groups = new Map<string, number>()
const original = pg.Client.prototype.query
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a transparent wrapper of an overloaded method
;(pg.Client.prototype as any).query = function (this: pg.Client, ...args: unknown[]) {
  count++
  const q = args[0]
  const raw = typeof q === 'string' ? q : ((q as { text?: string } | undefined)?.text ?? String(q))
  const values = typeof q === 'string' ? args[1] : (q as { values?: unknown[] } | undefined)?.values
  // Only the simple protocol (no parameters) takes several statements; splitting on `;` is
  // rough (a `;` in a literal) but exact for the texts this application sends.
  statements += Array.isArray(values) && values.length > 0 ? 1 : raw.split(';').filter((s) => s.trim() !== '').length
  if (counting) {
    const text = raw.replace(/\s+/g, " ").trim().slice(0, Number(process.env.BENCH_TEXT_WIDTH ?? 200))
    groups.set(text, (groups.get(text) ?? 0) + 1)
  }
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- see above
  return (original as any).apply(this, args)
}
// Parse messages (extended protocol) and Query messages (simple protocol: parsed every time).
const connection = pg.Connection.prototype as unknown as Record<'parse' | 'query', (...a: unknown[]) => unknown>
const { parse: originalParse, query: originalQuery } = connection
connection.parse = function (this: unknown, ...a: unknown[]) {
  parses++
  return originalParse.apply(this, a)
}
connection.query = function (this: unknown, ...a: unknown[]) {
  parses++
  return originalQuery.apply(this, a)
}

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'omnidesk-stmts-'))
const adminToken = `bench-admin-${randomBytes(12).toString('hex')}`
const pgDb = process.env.DATABASE_URL ? await createThrowawayDatabase(process.env.DATABASE_URL, 'omnidesk_stmts') : null
const config = loadConfig({ ...(pgDb && { DATABASE_URL: pgDb.url }), DATA_DIR: dataDir, OMNIDESK_ADMIN_TOKEN: adminToken, LOG_LEVEL: 'error', API_RATE_LIMIT: '100000000' })
const o = await build({ config })
try {
  await o.start()
  const ws = await o.app.inject({ method: 'POST', url: '/api/v1/workspaces', headers: { authorization: `Bearer ${adminToken}` }, payload: { name: 'Statements' } })
  const token = JSON.parse(ws.body).token as string
  const post = (n: number) =>
    o.app.inject({
      method: 'POST',
      url: '/api/v1/conversations',
      headers: { authorization: `Bearer ${token}` },
      payload: { contact: { name: `Customer ${n}`, email: `c-${n}@bench.example` }, subject: `Order ${n}`, message: { text: 'Hello, my order arrived damaged.' } },
    })
  await post(0) // the default inbox, caches
  await o.platform.dispatcher.drain()
  await new Promise((r) => setTimeout(r, 1500))
  count = 0
  statements = 0
  parses = 0
  counting = true
  for (let i = 1; i <= creates; i += 10) {
    const res = await Promise.all(Array.from({ length: 10 }, (_, k) => post(i + k)))
    for (const r of res) if (r.statusCode !== 201) throw new Error(`${r.statusCode} ${r.body}`)
  }
  await o.platform.dispatcher.drain()
  await new Promise((r) => setTimeout(r, 1500)) // background passes (audit appender) settle
  const total = count
  const totalStatements = statements
  const totalParses = parses
  counting = false
  // Per create, most frequent first: where the statements go.
  for (const [text, n] of [...groups].sort((a, b) => b[1] - a[1])) console.log(`${(n / creates).toFixed(2).padStart(6)}  ${text}`)
  const per = (n: number) => (n / creates).toFixed(1)
  console.log(`${pgDb ? 'PostgreSQL' : 'PGlite'}: ${creates} creates: ${per(total)} round trips and ${per(totalStatements)} statements per create (request + dispatcher + background; ${total} and ${totalStatements} in all); ${per(totalParses)} query strings parsed per create`)
} finally {
  pg.Client.prototype.query = original
  Object.assign(connection, { parse: originalParse, query: originalQuery })
  await o.close()
  await pgDb?.drop()
  fs.rmSync(dataDir, { recursive: true, force: true })
}
