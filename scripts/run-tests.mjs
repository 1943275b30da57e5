#!/usr/bin/env node
// Runs every *.test.ts under src/ and test/ with Node's test runner (through tsx).
// Node 20's runner does not expand globs itself, so we list the files here.
// Usage: npm test [-- <path filter>...] [--exclude <path filter>]...
import { spawnSync } from 'node:child_process'
import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'

const roots = ['src', 'test']
const files = []
const walk = (dir) => {
  for (const name of readdirSync(dir)) {
    const full = join(dir, name)
    if (statSync(full).isDirectory()) walk(full)
    else if (name.endsWith('.test.ts')) files.push(full)
  }
}
for (const r of roots) walk(r)
// Arguments are path fragments to include; `--exclude <fragment>` (or `--exclude=<fragment>`) leaves files out.
const filters = []
const excludes = []
const args = process.argv.slice(2)
for (let i = 0; i < args.length; i++) {
  const a = args[i]
  if (a === '--exclude') excludes.push(args[++i] ?? '')
  else if (a.startsWith('--exclude=')) excludes.push(a.slice('--exclude='.length))
  else filters.push(a)
}
const selected = files
  .sort()
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .filter((f) => !excludes.some((x) => x && f.includes(x)))
if (selected.length === 0) {
  console.error(`No test files match ${args.join(' ')}`)
  process.exit(1)
}
const concurrency = process.env.TEST_CONCURRENCY ?? '2'
const res = spawnSync(process.execPath, ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, ...selected], { stdio: 'inherit' })
process.exit(res.status ?? 1)
