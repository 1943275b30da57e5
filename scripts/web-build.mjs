#!/usr/bin/env node
// The agent desk's build (web/ → dist/web/ with Vite). Used by scripts/build.mjs
// (so `npm ci` builds it through `prepare`), by scripts/start.mjs (when the build is
// missing or older than web/), and by `npm run build:web` (--force).
import fs from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { fileURLToPath, pathToFileURL } from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
export const webSrc = path.join(root, 'web')
export const webDist = path.join(root, 'dist', 'web')
const stamp = path.join(webDist, '.build-stamp')

function newestMtime(dir) {
  let newest = 0
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules') continue
    const full = path.join(dir, entry.name)
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(full) : fs.statSync(full).mtimeMs)
  }
  return newest
}

/** Why dist/web cannot be served as is, or null when it is current. */
export function webStaleReason() {
  if (!fs.existsSync(path.join(webDist, 'index.html')) || !fs.existsSync(stamp)) return 'the web app has not been built'
  return newestMtime(webSrc) > fs.statSync(stamp).mtimeMs ? 'web/ changed after the last web build' : null
}

/** Vite, when installed (it is a dev dependency: an --omit=dev install cannot build the app). */
function viteEntry() {
  try {
    return createRequire(import.meta.url).resolve('vite')
  } catch {
    return null
  }
}

/** Builds the app; returns false (and says why) when Vite is not installed. */
export async function buildWeb({ quiet = false } = {}) {
  const entry = viteEntry()
  if (!entry) {
    console.warn('omnidesk: Vite is not installed (dev dependencies omitted); the web app cannot be built here.')
    return false
  }
  const started = new Date()
  const t0 = performance.now()
  const { build } = await import(pathToFileURL(entry).href)
  await build({ configFile: path.join(webSrc, 'vite.config.ts'), logLevel: quiet ? 'warn' : 'info' })
  fs.writeFileSync(stamp, `${started.toISOString()}\n`)
  fs.utimesSync(stamp, started, started)
  console.log(`omnidesk build: web app built into ${path.relative(root, webDist)}/ (${((performance.now() - t0) / 1000).toFixed(1)} s)`)
  return true
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const force = process.argv.includes('--force')
  const reason = webStaleReason()
  if (force || reason) await buildWeb()
  else console.log('omnidesk build: web app is up to date')
}
