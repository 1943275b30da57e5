#!/usr/bin/env node
// `npm start`: runs the compiled server (dist/server.js, one file: scripts/bundle.mjs) in this very process, so the
// process `npm start` spawns is the one that serves (and the one to measure). When
// dist/ is missing or older than src/, it runs the sources through tsx instead — slower
// to start and ~70 MiB larger, so it says so; `npm run build` brings dist/ up to date.
//
// V8's heap flags cannot be set from here (the heap is sized when node starts), so
// package.json's "start" passes them: `--max-semi-space-size=4` caps each of the young
// generation's semi-spaces at 4 MiB instead of 16, which keeps ~25–35 MiB less of the main
// thread's (and the MIME worker's) young generation committed under load and idle, for a
// little more GC time (docs/architecture.md, "Memory"). Started another way (a service unit,
// a container), pass the same flag: `node --max-semi-space-size=4 scripts/start.mjs`.
import { spawnSync } from 'node:child_process'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { distMain, root, staleReason } from './build-info.mjs'
import { webStaleReason } from './web-build.mjs'

// The agent desk is built here when missing or older than web/ (a few seconds), so
// `npm start` after a `git pull` serves the current app. In a child process, so the
// bundler's memory is not kept by the server.
const webReason = webStaleReason()
if (webReason !== null) {
  process.stderr.write(`omnidesk: ${webReason}; building it now\n`)
  const res = spawnSync(process.execPath, [path.join(root, 'scripts', 'web-build.mjs')], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] })
  if (res.status !== 0) process.stderr.write('omnidesk: the web app build failed; the API works, pages at / say how to build\n')
}

const reason = staleReason()
if (reason === null) {
  await import(pathToFileURL(distMain).href)
} else {
  process.stderr.write(`omnidesk: ${reason}; running the sources with tsx (run \`npm run build\` for a faster, smaller start)\n`)
  const { register } = await import('tsx/esm/api')
  register()
  await import(pathToFileURL(path.join(root, 'src', 'main.ts')).href)
}
