import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { test } from 'node:test'
import { root, runsFrom, serverModule } from './paths.ts'

// The worker threads' scripts are found by their path under src/ (paths.ts), from the sources,
// the compiled modules and the one-file bundle alike: a moved or renamed worker must fail here,
// not at a user's first mail.
const workers = ['channels/email/parse.worker', 'platform/db/pglite.worker']

test('the installation root and every worker script are where paths.ts says, in src/ and in the build', { skip: !!process.env.DATABASE_URL && 'no database involved' }, () => {
  assert.equal(runsFrom, 'src')
  assert.equal(JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).name, 'omnidesk')
  for (const name of workers) {
    assert.ok(fs.existsSync(serverModule(name)), `${serverModule(name)} exists`)
    // `npm ci` builds dist/ (prepare); the bundle loads the compiled workers from there.
    const compiled = path.join(root, 'dist', `${name}.js`)
    if (fs.existsSync(path.join(root, 'dist', 'server.js'))) assert.ok(fs.existsSync(compiled), `${compiled} exists beside the bundle`)
  }
})
