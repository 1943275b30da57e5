import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { test } from 'node:test'
import { gzipSync } from 'node:zlib'
import { ensureWebBuilt } from './built-app.ts'

/**
 * The first-load budget of the agent desk: the gzip size of what index.html
 * loads before the inbox can render (its entry script and stylesheet).
 * React 19 + react-router + react-query + react-virtual + i18next come to ~130 kB.
 */
const BUDGET_KB = 200

test(`the first load of the agent desk stays under ${BUDGET_KB} kB gzipped`, async () => {
  const dist = await ensureWebBuilt()
  const html = fs.readFileSync(path.join(dist, 'index.html'), 'utf8')
  const files = [...html.matchAll(/(?:src|href)="\/(assets\/[^"]+\.(?:js|css))"/g)].map((m) => m[1] as string)
  assert.ok(files.some((f) => f.endsWith('.js')), 'index.html loads a script')
  let total = 0
  for (const f of files) {
    const gz = gzipSync(fs.readFileSync(path.join(dist, f)), { level: 9 }).length
    total += gz
    console.log(`# ${f}: ${(gz / 1024).toFixed(1)} kB gzipped`)
  }
  console.log(`# first load: ${(total / 1024).toFixed(1)} kB gzipped (budget ${BUDGET_KB} kB)`)
  assert.ok(total < BUDGET_KB * 1024, `first load is ${(total / 1024).toFixed(1)} kB gzipped, over the ${BUDGET_KB} kB budget`)
})
