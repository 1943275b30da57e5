import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { test } from 'node:test'
import { roleMatrix, roles } from '../src/platform/auth/actor.ts'

const root = path.resolve(import.meta.dirname, '..')

test('docs/roles.md shows exactly the role matrix the code enforces', () => {
  const doc = fs.readFileSync(path.join(root, 'docs/roles.md'), 'utf8')
  const rows = doc.split('\n').filter((l) => /^\| `[a-z-]+:[a-z-]+` \|/.test(l))
  const documented = new Map<string, string[]>()
  for (const row of rows) {
    const cells = row.split('|').slice(1, -1).map((c) => c.trim())
    const perm = (cells[0] as string).replaceAll('`', '')
    documented.set(perm, roles.filter((_, i) => cells[i + 1] === '✓'))
  }
  const inCode = new Set<string>(Object.values(roleMatrix).flat())
  for (const perm of inCode) {
    assert.ok(documented.has(perm), `${perm} is missing from docs/roles.md`)
    assert.deepEqual(documented.get(perm), roles.filter((r) => (roleMatrix[r] as readonly string[]).includes(perm)), `row ${perm} differs`)
  }
  for (const perm of documented.keys()) if (perm !== 'workspaces:create') assert.ok(inCode.has(perm), `${perm} is documented but not in the code`)
})

test('the README documents every environment variable the config reads', () => {
  const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8')
  const config = fs.readFileSync(path.join(root, 'src/platform/config.ts'), 'utf8')
  const vars = [...config.matchAll(/^ {2}([A-Z][A-Z0-9_]+): z\./gm)].map((m) => m[1] as string)
  assert.ok(vars.length > 10, 'found the variables in config.ts')
  for (const v of vars) assert.ok(readme.includes(`\`${v}\``), `README.md does not document ${v}`)
})
