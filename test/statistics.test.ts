import assert from 'node:assert/strict'
import { test } from 'node:test'
import { sql } from 'kysely'
import { useTestApp } from './harness.ts'

const t = await useTestApp()

test('the embedded database has planner statistics after migrations (PGlite runs no autovacuum)', { skip: t.database.backend !== 'pglite' && 'PostgreSQL analyzes by itself' }, async () => {
  // reltuples is -1 until a table was first analyzed (or vacuumed).
  const r = await sql<{ relname: string; reltuples: number }>`
    select relname, reltuples from pg_class where relname in ('conversations', 'contacts', 'audit_events', 'events') order by relname`.execute(t.database.db)
  assert.equal(r.rows.length, 4)
  for (const row of r.rows) assert.notEqual(Number(row.reltuples), -1, `${row.relname} was analyzed`)
})
