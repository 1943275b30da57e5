#!/usr/bin/env node
// `npm run build` (and `prepare`, so `npm ci` runs it): compiles src/ to dist/ with
// tsconfig.build.json, builds the agent desk (web/ → dist/web/, scripts/web-build.mjs),
// then, with --template, makes the embedded database's template
// data directory so a first start never runs initdb. Without TypeScript (an install
// with --omit=dev) it only says so: `npm start` then runs the sources through tsx.
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { root, stampFile } from './build-info.mjs'
import { buildWeb } from './web-build.mjs'

const require = createRequire(import.meta.url)
let tsc
try {
  tsc = require.resolve('typescript/bin/tsc')
} catch {
  console.warn('omnidesk build: TypeScript is not installed; `npm start` will run the sources with tsx.')
  process.exit(0)
}
const started = new Date()
const res = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json')], { cwd: root, stdio: 'inherit' })
if (res.status !== 0) process.exit(res.status ?? 1)
// The one-file server `npm start` runs (scripts/bundle.mjs), before the stamp that says dist/ is current.
const { bundleServer, serverBundle } = await import('./bundle.mjs')
const bytes = await bundleServer()
console.log(`omnidesk build: server bundle ${path.relative(root, serverBundle)} (${(bytes / 1024 / 1024).toFixed(1)} MB)`)
fs.writeFileSync(stampFile, `${started.toISOString()}\n`)
fs.utimesSync(stampFile, started, started)

// The agent desk (web/ → dist/web/), served by the same process at `/`.
if (!(await buildWeb({ quiet: true }))) console.warn('omnidesk build: skipped the web app; `npm start` serves a page saying how to build it.')

await buildChatWidget()

/** The chat widget: web-widget/src bundled by esbuild into one script, served at /widget.js. */
async function buildChatWidget() {
  const { buildWidget, widgetBundlePath } = await import(path.join(root, 'dist/channels/chat/widget-source.js'))
  const js = await buildWidget()
  fs.mkdirSync(path.dirname(widgetBundlePath), { recursive: true })
  fs.writeFileSync(widgetBundlePath, js)
  console.log(`omnidesk build: chat widget ${widgetBundlePath} (${js.length} bytes)`)
}

if (process.argv.includes('--template')) {
  const { ensureTemplate } = await import(path.join(root, 'dist/platform/db/pglite.js'))
  const t0 = performance.now()
  const dir = await ensureTemplate()
  console.log(`omnidesk build: embedded database template ready in ${dir} (${((performance.now() - t0) / 1000).toFixed(1)} s)`)
  // The same with this build's migrations applied: a first start copies it and runs none.
  const t1 = performance.now()
  const { ensureMigratedTemplate } = await import(path.join(root, 'dist/platform/db/template.js'))
  const migrated = await ensureMigratedTemplate()
  console.log(`omnidesk build: migrated template ready in ${migrated} (${((performance.now() - t1) / 1000).toFixed(1)} s)`)
}
