import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { after, test } from 'node:test'
import { build } from '../src/app.ts'
import { loadConfig } from '../src/platform/config.ts'

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'omnidesk-cli-pw-'))
after(() => fs.rmSync(dataDir, { recursive: true, force: true }))

const baseEnv = { ...process.env, DATA_DIR: dataDir, LOG_LEVEL: 'error' } as NodeJS.ProcessEnv
delete baseEnv.DATABASE_URL
delete baseEnv.OMNIDESK_ADMIN_TOKEN
delete baseEnv.OMNIDESK_PASSWORD

interface Run {
  code: number
  stdout: string
  stderr: string
}

/** Runs the CLI as a user would, with standard input piped (not a terminal). */
function cli(args: string[], opts: { stdin?: string; env?: Record<string, string> } = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, ['scripts/cli.mjs', ...args], { env: { ...baseEnv, ...opts.env }, cwd: path.resolve(import.meta.dirname, '..') }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    )
    child.stdin?.end(opts.stdin ?? '')
  })
}

async function signIn(email: string, password: string): Promise<number> {
  const o = await build({ config: loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'silent' }) })
  try {
    return (await o.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password } })).statusCode
  } finally {
    await o.close()
  }
}

test('passwords given as arguments are refused, pointing at the alternatives', async () => {
  for (const args of [
    ['user:create', '--email', 'a@cli.test', '--name', 'A', '--role', 'agent', '--password', 'visible in ps 1'],
    ['workspace:create', '--name', 'W', '--admin-email', 'w@cli.test', '--admin-password', 'visible in ps 1'],
  ]) {
    const r = await cli(args)
    assert.equal(r.code, 2, r.stderr)
    assert.match(r.stderr, /--password-stdin/)
    assert.match(r.stderr, /OMNIDESK_PASSWORD/)
  }
  const none = await cli(['user:password', '--email', 'a@cli.test'])
  assert.equal(none.code, 2)
  assert.match(none.stderr, /a password is required/)
})

test('passwords come from standard input or OMNIDESK_PASSWORD, are never echoed, and work for sign-in', async () => {
  const fromStdin = 'typed into stdin 42'
  const a = await cli(['user:create', '--email', 'in@cli.test', '--name', 'In', '--role', 'agent', '--password-stdin'], { stdin: `${fromStdin}\n` })
  assert.equal(a.code, 0, a.stderr)
  assert.match(a.stdout, /User in@cli\.test \(agent\) created/)
  const fromEnv = 'from the environment 7'
  const b = await cli(['user:create', '--email', 'env@cli.test', '--name', 'Env', '--role', 'agent'], { env: { OMNIDESK_PASSWORD: fromEnv } })
  assert.equal(b.code, 0, b.stderr)
  const short = await cli(['user:create', '--email', 'short@cli.test', '--name', 'S', '--role', 'agent', '--password-stdin'], { stdin: 'short' })
  assert.equal(short.code, 2)
  assert.match(short.stderr, /10 to 256 characters/)
  const reset = await cli(['user:password', '--email', 'env@cli.test', '--password-stdin'], { stdin: 'reset from stdin 9\n' })
  assert.equal(reset.code, 0, reset.stderr)
  for (const r of [a, b, short, reset]) for (const secret of [fromStdin, fromEnv, 'reset from stdin 9']) assert.ok(!(r.stdout + r.stderr).includes(secret), 'never echoed')

  assert.equal(await signIn('in@cli.test', fromStdin), 200)
  assert.equal(await signIn('env@cli.test', fromEnv), 401, 'the old password is gone')
  assert.equal(await signIn('env@cli.test', 'reset from stdin 9'), 200)
})
