import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import path from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..')

// `npm start` runs node with V8 heap flags (--max-semi-space-size); a worker refuses them in an
// explicit execArgv, and the pool must still get its thread rather than parse on the main thread.
test('the MIME worker pool starts its thread in a process run with V8 heap flags, and parses there', { skip: !!process.env.DATABASE_URL && 'no database involved' }, () => {
  const script = `(async () => {
    const { createParsePool } = await import('./src/channels/email/parse-pool.ts')
    const warnings = []
    const logger = { warn: (_o, m) => warnings.push(m), info() {}, debug() {}, error() {}, child() { return logger } }
    const pool = createParsePool(logger, { threads: 1 })
    const warm = await pool.warm()
    const parsed = await pool.parse(Buffer.from('From: a@example.test\\r\\nTo: b@example.test\\r\\nSubject: Hello\\r\\n\\r\\nBody\\r\\n'))
    // Asked for together (one task for the thread): each gets its own answer, in order.
    const many = await Promise.all([1, 2, 3, 4, 5].map((i) => pool.parse(Buffer.from('From: a@example.test\\r\\nSubject: Mail ' + i + '\\r\\n\\r\\nBody ' + i + '\\r\\n'))))
    await pool.close()
    console.log(JSON.stringify({ warm, subject: parsed.subject, many: many.map((m) => m.subject + '/' + m.text.trim()), warnings }))
  })()`
  const out = execFileSync(process.execPath, ['--max-semi-space-size=2', '--max-old-space-size=512', '--import', 'tsx', '-e', script], { cwd: root, encoding: 'utf8' })
  const result = JSON.parse(out.trim().split('\n').pop() ?? '{}') as { warm: boolean; subject: string; many: string[]; warnings: string[] }
  assert.deepEqual(result.warnings, [])
  assert.equal(result.warm, true)
  assert.equal(result.subject, 'Hello')
  assert.deepEqual(result.many, ['Mail 1/Body 1', 'Mail 2/Body 2', 'Mail 3/Body 3', 'Mail 4/Body 4', 'Mail 5/Body 5'])
})
