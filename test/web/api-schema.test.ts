import assert from 'node:assert/strict'
import fs from 'node:fs'
import { test } from 'node:test'
import { generateApiTypes, schemaFile } from '../../web/scripts/openapi-types.ts'
import { useTestApp } from '../harness.ts'

const t = await useTestApp()

test('web/src/api/schema.d.ts is generated from the current OpenAPI document (run `npm run gen:api` when this fails)', async () => {
  const res = await t.omnidesk.app.inject({ method: 'GET', url: '/api/openapi.json' })
  assert.equal(res.statusCode, 200)
  const expected = await generateApiTypes(JSON.parse(res.body))
  const committed = fs.readFileSync(schemaFile, 'utf8')
  assert.ok(committed === expected, 'web/src/api/schema.d.ts is stale: run `npm run gen:api` and commit the result')
})
