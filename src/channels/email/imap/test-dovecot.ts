import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { freePort } from '../../../../test/net.ts'

/**
 * A throwaway Dovecot IMAP server for tests (not a test file itself): its own
 * config, passwd-file users and maildirs under a temp dir, plaintext login on
 * 127.0.0.1 at a free port. Debian package: dovecot-imapd.
 */
export interface TestDovecot {
  host: string
  port: number
  /** The users given to startDovecot, with their passwords. */
  users: Array<{ user: string; password: string }>
  stop(): Promise<void>
}

export const DOVECOT_PACKAGE = 'dovecot-imapd'

/** The dovecot binary, or null when it is not installed. */
export function findDovecot(): string | null {
  const r = spawnSync('sh', ['-c', 'command -v dovecot || { test -x /usr/sbin/dovecot && echo /usr/sbin/dovecot; }'], { encoding: 'utf8' })
  const bin = r.stdout.trim().split('\n')[0]
  return bin ? bin : null
}

const canConnect = (port: number) =>
  new Promise<boolean>((resolve) => {
    const sock = net.connect(port, '127.0.0.1')
    sock.once('connect', () => {
      sock.destroy()
      resolve(true)
    })
    sock.once('error', () => resolve(false))
  })

/** Starts Dovecot with these users (all up front: Dovecot may not notice a passwd-file changed within the same second). */
export async function startDovecot(bin: string, users: Array<{ user: string; password: string }>): Promise<TestDovecot> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'omnidesk-dovecot-'))
  // Dovecot's auth and mail processes run as unprivileged users: they must reach these files.
  fs.chmodSync(dir, 0o755)
  const mail = path.join(dir, 'mail')
  fs.mkdirSync(mail, { mode: 0o777 })
  fs.chmodSync(mail, 0o777)
  const passwd = path.join(dir, 'passwd')
  fs.writeFileSync(passwd, users.map((u) => `${u.user}:{PLAIN}${u.password}::::::\n`).join(''), { mode: 0o644 })
  const port = await freePort()
  // Dovecot refuses to run its login and mail processes as root; the Debian package creates these users.
  const me = os.userInfo().username
  const root = process.getuid?.() === 0
  const internal = root ? 'dovecot' : me
  const login = root ? 'dovenull' : me
  const conf = path.join(dir, 'dovecot.conf')
  fs.writeFileSync(
    conf,
    `
protocols = imap
listen = 127.0.0.1
base_dir = ${dir}/run
state_dir = ${dir}/state
instance_name = omnidesk-test-${port}
log_path = ${dir}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
default_internal_user = ${internal}
default_internal_group = ${internal}
default_login_user = ${login}
first_valid_uid = 0
mail_location = maildir:${mail}/%u
mail_fsync = never
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u ${passwd}
}
userdb {
  driver = static
  args = uid=${internal} gid=${internal} home=${mail}/%u
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = ${port}
  }
  inet_listener imaps {
    port = 0
  }
}
`,
  )
  const proc: ChildProcess = spawn(bin, ['-F', '-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  proc.stdout?.on('data', (d: Buffer) => (output += d.toString()))
  proc.stderr?.on('data', (d: Buffer) => (output += d.toString()))
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()))
  const log = () => `${output}${fs.existsSync(`${dir}/dovecot.log`) ? fs.readFileSync(`${dir}/dovecot.log`, 'utf8') : ''}`
  for (let i = 0; ; i++) {
    if (proc.exitCode !== null) throw new Error(`dovecot exited at start (code ${proc.exitCode}):\n${log()}`)
    if (await canConnect(port)) break
    if (i > 200) {
      proc.kill('SIGKILL')
      throw new Error(`dovecot did not listen on ${port}:\n${log()}`)
    }
    await new Promise((r) => setTimeout(r, 50))
  }
  return {
    host: '127.0.0.1',
    port,
    users,
    async stop() {
      if (proc.exitCode === null) {
        proc.kill('SIGTERM')
        const killer = setTimeout(() => proc.kill('SIGKILL'), 5000)
        await exited
        clearTimeout(killer)
      }
      fs.rmSync(dir, { recursive: true, force: true })
    },
  }
}
