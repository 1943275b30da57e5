#!/usr/bin/env node
// `npm run omnidesk -- <command>` (and `migrate`, `demo`, `audit:verify`): the command line.
// Runs the compiled dist/cli.js when dist/ is current — about a second less CPU per command
// than transpiling the sources — else src/cli.ts through tsx, as scripts/start.mjs does for
// the server. Quiet about which: a command's output is for its reader (and its scripts).
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { root, staleReason } from './build-info.mjs'

if (staleReason() === null) {
  await import(pathToFileURL(path.join(root, 'dist', 'cli.js')).href)
} else {
  const { register } = await import('tsx/esm/api')
  register()
  await import(pathToFileURL(path.join(root, 'src', 'cli.ts')).href)
}
