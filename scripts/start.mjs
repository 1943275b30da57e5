#!/usr/bin/env node
// `npm start`: runs the compiled server (dist/main.js) in this very process, so the
// process `npm start` spawns is the one that serves (and the one to measure). When
// dist/ is missing or older than src/, it runs the sources through tsx instead — slower
// to start and ~70 MiB larger, so it says so; `npm run build` brings dist/ up to date.
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { distMain, root, staleReason } from './build-info.mjs'

const reason = staleReason()
if (reason === null) {
  await import(pathToFileURL(distMain).href)
} else {
  process.stderr.write(`omnidesk: ${reason}; running the sources with tsx (run \`npm run build\` for a faster, smaller start)\n`)
  const { register } = await import('tsx/esm/api')
  register()
  await import(pathToFileURL(path.join(root, 'src', 'main.ts')).href)
}
