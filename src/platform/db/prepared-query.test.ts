import assert from 'node:assert/strict'
import { test } from 'node:test'
import { sql } from 'kysely'
import { useTestApp } from '../../../test/harness.ts'
import { preparedQuery } from './prepared-query.ts'
import { withSystem } from './tenant.ts'

// A query compiled once and run with new values (prepared-query.ts), on a real database.
const t = await useTestApp()

test('a prepared query runs with each call’s own values, in a transaction or not', async () => {
  const a = await t.workspace()
  const b = await t.workspace()
  const byId = preparedQuery((db, id: string, limit: number) => db.selectFrom('workspaces').select(['id', sql<number>`${limit}::int`.as('echo')]).where('id', '=', id).where(sql<boolean>`true`))
  const first = await byId(t.database.db, a.workspaceId, 1)
  const second = await withSystem(t.database.db, (trx) => byId(trx, b.workspaceId, 2))
  assert.deepEqual(first.rows, [{ id: a.workspaceId, echo: 1 }])
  assert.deepEqual(second.rows, [{ id: b.workspaceId, echo: 2 }])
  assert.deepEqual((await byId(t.database.db, '00000000-0000-0000-0000-000000000000', 3)).rows, [])
})

test('a value the builder does not use as exactly one parameter is refused, never run as another query', async () => {
  const unused = preparedQuery((db, _id: string) => db.selectFrom('workspaces').select('id'))
  await assert.rejects(() => unused(t.database.db, 'x'), /must be exactly one parameter/)
  const twice = preparedQuery((db, id: string) => db.selectFrom('workspaces').select('id').where('id', '=', id).where('id', '=', id))
  await assert.rejects(() => twice(t.database.db, 'x'), /must be exactly one parameter/)
  // Spread into a list: compiled as one parameter where a list belongs, which PostgreSQL refuses.
  const spread = preparedQuery((db, ids: string[]) => db.selectFrom('workspaces').select('id').where('id', 'in', ids))
  await assert.rejects(() => spread(t.database.db, ['00000000-0000-0000-0000-000000000000', '00000000-0000-0000-0000-000000000001']))
})
