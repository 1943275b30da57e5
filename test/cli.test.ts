import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { after, test } from 'node:test'
import { promisify } from 'node:util'

const run = promisify(execFile)
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'omnidesk-cli-'))
after(() => fs.rmSync(dataDir, { recursive: true, force: true }))

// The CLI runs on the embedded database in DATA_DIR, as a user would run it.
const env = { ...process.env, DATA_DIR: dataDir, LOG_LEVEL: 'error' } as NodeJS.ProcessEnv
delete env.DATABASE_URL
delete env.OMNIDESK_ADMIN_TOKEN
const cli = (...args: string[]) => run(process.execPath, ['scripts/cli.mjs', ...args], { env, cwd: path.resolve(import.meta.dirname, '..') })

test('workspace, user and token commands, then audit:verify', async () => {
  const ws = await cli('workspace:create', '--name', 'Cli Co', '--admin-email', 'boss@cli.test')
  assert.match(ws.stdout, /Workspace Cli Co \(([0-9a-f-]{36})\) created/)
  const workspaceId = /\(([0-9a-f-]{36})\)/.exec(ws.stdout)?.[1] as string
  assert.match(ws.stdout, /Admin API token \(shown once\): odk_/)

  const user = await cli('user:create', '--workspace', workspaceId, '--email', 'agent@cli.test', '--name', 'Agent', '--role', 'agent')
  assert.match(user.stdout, /User agent@cli\.test \(agent\) created/)
  const token = await cli('token:create', '--workspace', workspaceId, '--email', 'agent@cli.test')
  assert.match(token.stdout.trim(), /^odk_[A-Za-z0-9_-]+$/)

  const verify = await cli('audit:verify')
  assert.match(verify.stdout, /All 2 workspace chain\(s\) intact/)
})

test('bad arguments are clear errors with exit code 2', async () => {
  await assert.rejects(cli('user:create', '--email', 'x@cli.test', '--name', 'X', '--role', 'wizard'), (err: { code: number; stderr: string }) => {
    assert.equal(err.code, 2)
    assert.match(err.stderr, /--role must be one of/)
    return true
  })
  await assert.rejects(cli('token:create', '--email', 'ghost@cli.test'), (err: { code: number; stderr: string }) => {
    assert.equal(err.code, 2)
    assert.match(err.stderr, /No user ghost@cli\.test/)
    return true
  })
})
