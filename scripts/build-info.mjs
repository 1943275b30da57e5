// Shared by scripts/build.mjs and scripts/start.mjs: where the compiled server lives
// and whether it is older than its sources.
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
/** What `npm start` runs: the one-file bundle of src/main.ts (scripts/bundle.mjs). */
export const distMain = path.join(root, 'dist', 'server.js')
/** Written after a successful build; its mtime is the time the build started. */
export const stampFile = path.join(root, 'dist', '.build-stamp')

function newestMtime(dir) {
  let newest = 0
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name)
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(full))
    // What tsconfig.build.json leaves out of dist/ (tests, their helpers and fixtures) does not make it stale.
    else if (!/\.test\.ts$|^test-.*\.ts$|\.fixtures\.ts$/.test(entry.name)) newest = Math.max(newest, fs.statSync(full).mtimeMs)
  }
  return newest
}

/** Why dist/ cannot be run as is, or null when it is current. */
export function staleReason() {
  if (!fs.existsSync(distMain) || !fs.existsSync(stampFile)) return 'dist/ has not been built'
  const built = fs.statSync(stampFile).mtimeMs
  const sources = Math.max(newestMtime(path.join(root, 'src')), fs.statSync(path.join(root, 'tsconfig.build.json')).mtimeMs)
  return sources > built ? 'src/ changed after the last build' : null
}
