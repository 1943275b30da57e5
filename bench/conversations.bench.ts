import { fileURLToPath } from 'node:url'
import autocannon from 'autocannon'
import type pg from 'pg'
import { countAll, http, type Measurement, workspace } from './lib.ts'

export interface ConversationsBenchOptions {
  base: string
  adminToken: string
  pool: pg.Pool
  rounds: number
  /** Seconds of load per round, for each side. */
  seconds: number
  connections: number
}

/** Builds each request body (a fresh customer per request); a file because autocannon's workers require() it. */
const setupRequestFile = fileURLToPath(new URL('./conversation-request.cjs', import.meta.url))

/** The same text as conversation-request.cjs sends. */
const TEXT = 'Hello, my order #1234 arrived damaged: the box was crushed and the lid is cracked. Can you send a replacement? Thanks, a customer.'

/**
 * Create conversation + first message: POST /api/v1/conversations over real
 * HTTP (autocannon in a worker thread, fresh contact per request) against a raw
 * INSERT loop of the same rows — contact, email identity, conversation,
 * message, one transaction each — on the same pool and database.
 */
export async function benchConversations(o: ConversationsBenchOptions): Promise<Measurement> {
  const api = await workspace(o.base, o.adminToken, 'Bench: API')
  const raw = await workspace(o.base, o.adminToken, 'Bench: raw')
  const { rows } = await o.pool.query<{ id: string }>(`INSERT INTO inboxes (workspace_id, name, channel) VALUES ($1, 'Bench raw', 'api') RETURNING id`, [raw.id])
  const rawInbox = rows[0]?.id as string
  let number = 0
  let unique = 0

  const hammer = (seconds: number) =>
    autocannon({
      url: `${o.base}/api/v1/conversations`,
      method: 'POST',
      headers: { authorization: `Bearer ${api.token}`, 'content-type': 'application/json' },
      requests: [{ setupRequest: setupRequestFile }],
      connections: o.connections,
      duration: seconds,
      // The load generator runs in its own thread, so it does not share the server's event loop.
      workers: 1,
      timeout: 30,
    })

  async function rawLoop(seconds: number): Promise<number> {
    const until = Date.now() + seconds * 1000
    let done = 0
    const loop = async () => {
      while (Date.now() < until) {
        const n = ++unique
        const client = await o.pool.connect()
        try {
          await client.query('BEGIN')
          const c = await client.query<{ id: string }>('INSERT INTO contacts (workspace_id, name) VALUES ($1, $2) RETURNING id', [raw.id, `Customer ${n}`])
          const contactId = c.rows[0]?.id
          const email = `r-${n}@bench.example`
          await client.query(`INSERT INTO contact_identities (workspace_id, contact_id, kind, value, raw_value) VALUES ($1, $2, 'email', $3, $3)`, [raw.id, contactId, email])
          const conv = await client.query<{ id: string }>(
            `INSERT INTO conversations (workspace_id, number, subject, contact_id, inbox_id, channel, first_inbound_at, last_customer_message_at, last_message_at)
             VALUES ($1, $2, $3, $4, $5, 'api', now(), now(), now()) RETURNING id`,
            [raw.id, ++number, `Damaged order ${n}`, contactId, rawInbox],
          )
          await client.query(
            `INSERT INTO messages (workspace_id, conversation_id, inbox_id, direction, channel, author_type, author_id, text) VALUES ($1, $2, $3, 'inbound', 'api', 'contact', $4, $5)`,
            [raw.id, conv.rows[0]?.id, rawInbox, contactId, TEXT],
          )
          await client.query('COMMIT')
          done++
        } catch (err) {
          await client.query('ROLLBACK').catch(() => {})
          throw err
        } finally {
          client.release()
        }
      }
    }
    const t0 = performance.now()
    await Promise.all(Array.from({ length: o.connections }, loop))
    return done / ((performance.now() - t0) / 1000)
  }

  // Warm-up: JIT, caches, the workspace's default API inbox.
  await hammer(2)
  await rawLoop(1)

  const ours: number[] = []
  const baseline: number[] = []
  let ok = 0
  for (let r = 0; r < o.rounds; r++) {
    const res = await hammer(o.seconds)
    const failed = res.non2xx + res.errors + res.timeouts
    if (failed > 0) throw new Error(`POST /api/v1/conversations: ${failed} of ${res.requests.total} requests failed (${JSON.stringify(res.statusCodeStats)}, errors ${res.errors}, timeouts ${res.timeouts})`)
    if (res['2xx'] === 0) throw new Error('POST /api/v1/conversations: no request completed (is the server answering?)')
    ok += res['2xx']
    ours.push(res['2xx'] / res.duration)
    baseline.push(await rawLoop(o.seconds))
  }
  // The API answered 201 for each; the rows are there to read back.
  const visible = await countAll(o.base, api.token, '/api/v1/conversations')
  if (visible < ok) throw new Error(`only ${visible} of ${ok} created conversations are listed by the API`)
  const rawRows = await http(o.base, raw.token, 'GET', '/api/v1/conversations?limit=1')
  if (rawRows.items.length !== 1) throw new Error('the raw loop left no conversation readable through the API')

  return {
    name: 'create conversation + first message',
    unit: 'conversations/s',
    ours,
    baseline,
    oursLabel: `POST /api/v1/conversations over HTTP, autocannon, ${o.connections} connections, ${o.seconds} s per round`,
    baselineLabel: `raw INSERT of contact + identity + conversation + message, one transaction each, ${o.connections} concurrent loops, ${o.seconds} s per round`,
    notes: [`${ok} conversations created through the API and read back`],
  }
}
