import { openDatabase } from '../src/platform/db/database.ts'
import { percentile } from './lib.ts'
import { startSmtpFloor } from './smtp-floor.ts'

/**
 * The floors, in a process of their own (forked by bench/floors.ts), as the
 * server runs in its own process:
 *  - raw INSERTs of the rows a conversation create writes, on the same database
 *    as the server: PostgreSQL, the server's database over its own pool; PGlite,
 *    a copy of the server's data directory taken while the server was stopped
 *    (PGlite does not share a directory between processes);
 *  - a bare smtp-server + mailparser that parses each mail before its 250 and
 *    stores nothing.
 */
export type FloorRequest = { type: 'insert'; concurrency: number; seconds: number } | { type: 'smtp' } | { type: 'parsed' } | { type: 'close' }
export interface InsertResult {
  done: number
  durationMs: number
  p50: number
  p99: number
}

const TEXT = 'Hello, my order #1234 arrived damaged: the box was crushed and the lid is cracked. Can you send a replacement? Thanks, a customer.'

const backend = process.env.FLOOR_DATABASE_URL
  ? await openDatabase({ url: process.env.FLOOR_DATABASE_URL, poolSize: 32 })
  : await openDatabase({ dataDir: process.env.FLOOR_DATA_DIR as string })
const { pool } = backend
const ws = await pool.query<{ id: string }>(`INSERT INTO workspaces (name) VALUES ('Bench floor') RETURNING id`)
const workspaceId = ws.rows[0]?.id as string
const inbox = await pool.query<{ id: string }>(`INSERT INTO inboxes (workspace_id, name, channel) VALUES ($1, 'Bench floor', 'api') RETURNING id`, [workspaceId])
const inboxId = inbox.rows[0]?.id as string
const run = Math.random().toString(36).slice(2, 8)
let unique = 0

/** One conversation create's rows — contact, email identity, conversation, first message — in one transaction. */
async function insertOne() {
  const n = ++unique
  const client = await pool.connect()
  try {
    await client.query('BEGIN')
    const c = await client.query<{ id: string }>('INSERT INTO contacts (workspace_id, name) VALUES ($1, $2) RETURNING id', [workspaceId, `Customer ${run}-${n}`])
    const contactId = c.rows[0]?.id
    const email = `f-${run}-${n}@bench.example`
    await client.query(`INSERT INTO contact_identities (workspace_id, contact_id, kind, value, raw_value) VALUES ($1, $2, 'email', $3, $3)`, [workspaceId, contactId, email])
    const conv = await client.query<{ id: string }>(
      `INSERT INTO conversations (workspace_id, number, subject, contact_id, inbox_id, channel, first_inbound_at, last_customer_message_at, last_message_at)
       VALUES ($1, $2, $3, $4, $5, 'api', now(), now(), now()) RETURNING id`,
      [workspaceId, n, `Damaged order ${run}-${n}`, contactId, inboxId],
    )
    await client.query(
      `INSERT INTO messages (workspace_id, conversation_id, inbox_id, direction, channel, author_type, author_id, text) VALUES ($1, $2, $3, 'inbound', 'api', 'contact', $4, $5)`,
      [workspaceId, conv.rows[0]?.id, inboxId, contactId, TEXT],
    )
    await client.query('COMMIT')
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {})
    throw err
  } finally {
    client.release()
  }
}

async function insertLoops(concurrency: number, seconds: number): Promise<InsertResult> {
  const latencies: number[] = []
  const until = performance.now() + seconds * 1000
  const loop = async () => {
    while (performance.now() < until) {
      const t = performance.now()
      await insertOne()
      latencies.push(performance.now() - t)
    }
  }
  const t0 = performance.now()
  await Promise.all(Array.from({ length: concurrency }, loop))
  return { done: latencies.length, durationMs: performance.now() - t0, p50: percentile(latencies, 50), p99: percentile(latencies, 99) }
}

let smtp: Awaited<ReturnType<typeof startSmtpFloor>> | null = null

const reply = (msg: unknown) => process.send?.(msg)
process.on('message', (req: FloorRequest) => {
  const answer = async () => {
    if (req.type === 'insert') return insertLoops(req.concurrency, req.seconds)
    if (req.type === 'smtp') {
      smtp ??= await startSmtpFloor()
      return { port: smtp.port }
    }
    if (req.type === 'parsed') return { parsed: smtp?.parsed() ?? 0 }
    await smtp?.close()
    await backend.close()
    setImmediate(() => process.exit(0))
    return {}
  }
  answer().then(
    (result) => reply({ ok: true, result }),
    (err: unknown) => reply({ ok: false, error: err instanceof Error ? (err.stack ?? err.message) : String(err) }),
  )
})
reply({ ok: true, result: { ready: true } })
