import { parseArgs } from 'node:util'
import { build, type Omnidesk } from './app.ts'
import { systemActor } from './platform/auth/actor.ts'
import { roles, type Role } from './platform/auth/actor.ts'
import { ConfigError, loadConfig } from './platform/config.ts'
import { openDatabase } from './platform/db/database.ts'
import { DataDirLockedError, lockDataDir } from './platform/db/lock.ts'
import { migrateToLatest } from './platform/db/migrate.ts'
import { withSystem } from './platform/db/tenant.ts'
import { AppError } from './platform/errors.ts'
import { createLogger } from './platform/observability/logger.ts'
import { describeDemo, loadDemoData, streamProgress } from './demo.ts'
import { PASSWORD_ARGUMENT_REFUSED, readPassword } from './cli-password.ts'

const usage = `Omnidesk command line (npm run omnidesk -- <command> [options])

  migrate                                   run database migrations (also done by npm start)
  workspace:create --name N [--admin-email E --admin-name N] [--password-stdin]
                                            create a workspace and its first admin; prints an admin API token
  user:create --email E --name N --role R [--password-stdin] [--workspace ID]
                                            create a user (roles: ${roles.join(', ')})
  user:password --email E [--password-stdin] [--workspace ID]
                                            set a user's password (ends their sessions, revokes their tokens)
  token:create --email E [--name N] [--workspace ID] [--expires ISO-DATE]
                                            create an API token for a user; prints it once
  demo [--workspace ID] [--conversations N] [--seed S]
                                            load demo users, teams, inboxes, contacts and conversations (once per workspace)
  audit:verify                              check every workspace's audit hash chain (exit 1 if broken)

Passwords are never taken as arguments: --password-stdin reads one from standard input,
otherwise OMNIDESK_PASSWORD, otherwise a prompt without echo on a terminal (no password if none).

Uses the same configuration as npm start (DATA_DIR or DATABASE_URL). Stop npm start first when
using the embedded database: one process owns the data directory.`

async function withApp<T>(fn: (o: Omnidesk) => Promise<T>): Promise<T> {
  const config = loadConfig({ ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' })
  const unlock = config.databaseUrl ? () => {} : lockDataDir(config.dataDir)
  try {
    const o = await build({ config, logger: createLogger(config.logLevel) })
    try {
      return await fn(o)
    } finally {
      await o.platform.dispatcher.drain()
      await o.close()
    }
  } finally {
    unlock()
  }
}

async function workspaceIdFor(o: Omnidesk, given: string | undefined): Promise<string> {
  if (given) return given
  return o.bootstrap.workspaceId
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv
  const { values } = parseArgs({
    args: rest,
    options: {
      name: { type: 'string' },
      email: { type: 'string' },
      role: { type: 'string' },
      password: { type: 'string' },
      workspace: { type: 'string' },
      expires: { type: 'string' },
      'admin-email': { type: 'string' },
      'admin-name': { type: 'string' },
      'admin-password': { type: 'string' },
      'password-stdin': { type: 'boolean' },
      conversations: { type: 'string' },
      seed: { type: 'string' },
    },
    strict: true,
  })
  // Parsed only to refuse them with a clear message (see cli-password.ts).
  if (values.password !== undefined || values['admin-password'] !== undefined) throw new AppError('VALIDATION_FAILED', PASSWORD_ARGUMENT_REFUSED)
  const password = (label: string, required = false) => readPassword({ stdin: values['password-stdin'] === true, env: process.env, label, required })
  switch (command) {
    case 'migrate': {
      const config = loadConfig()
      const unlock = config.databaseUrl ? () => {} : lockDataDir(config.dataDir)
      try {
        const database = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir })
        const applied = await migrateToLatest(database.db)
        await database.close()
        console.log(applied.length ? `Applied: ${applied.join(', ')}` : 'Database is up to date.')
      } finally {
        unlock()
      }
      return 0
    }
    case 'workspace:create': {
      if (!values.name) throw new AppError('VALIDATION_FAILED', '--name is required')
      const adminEmail = values['admin-email']
      const adminPassword = adminEmail ? await password(`Password for ${adminEmail}`) : undefined
      return withApp(async (o) => {
        const r = await o.services.workspaces.createWithAdmin(null, {
          name: values.name!,
          admin: adminEmail ? { email: adminEmail, name: values['admin-name'] ?? adminEmail, password: adminPassword } : undefined,
        })
        console.log(`Workspace ${r.workspace.name} (${r.workspace.id}) created.`)
        console.log(`Admin: ${r.admin.email}`)
        console.log(`Admin API token (shown once): ${r.token}`)
        return 0
      })
    }
    case 'user:create': {
      if (!values.email || !values.name || !values.role) throw new AppError('VALIDATION_FAILED', '--email, --name and --role are required')
      if (!roles.includes(values.role as Role)) throw new AppError('VALIDATION_FAILED', `--role must be one of ${roles.join(', ')}`)
      const userPassword = await password(`Password for ${values.email}`)
      return withApp(async (o) => {
        const ws = await workspaceIdFor(o, values.workspace)
        const user = await o.services.users.create(systemActor(ws, 'cli'), { email: values.email!, name: values.name!, role: values.role as Role, password: userPassword })
        console.log(`User ${user.email} (${user.role}) created in workspace ${ws}: ${user.id}`)
        return 0
      })
    }
    case 'user:password': {
      if (!values.email) throw new AppError('VALIDATION_FAILED', '--email is required')
      const newPassword = await password(`New password for ${values.email}`, true)
      return withApp(async (o) => {
        const ws = await workspaceIdFor(o, values.workspace)
        const user = await withSystem(o.platform.db, (trx) =>
          trx.selectFrom('users').select(['id']).where('workspace_id', '=', ws).where('email', '=', values.email!.toLowerCase()).executeTakeFirst(),
        )
        if (!user) throw new AppError('NOT_FOUND', `No user ${values.email} in workspace ${ws}`)
        await o.services.users.update(systemActor(ws, 'cli'), user.id, { password: newPassword })
        console.log(`Password of ${values.email} set; their sessions are ended and their API tokens revoked.`)
        return 0
      })
    }
    case 'token:create': {
      if (!values.email) throw new AppError('VALIDATION_FAILED', '--email is required')
      return withApp(async (o) => {
        const ws = await workspaceIdFor(o, values.workspace)
        const user = await withSystem(o.platform.db, (trx) =>
          trx.selectFrom('users').select(['id']).where('workspace_id', '=', ws).where('email', '=', values.email!.toLowerCase()).executeTakeFirst(),
        )
        if (!user) throw new AppError('NOT_FOUND', `No user ${values.email} in workspace ${ws}`)
        const { secret } = await o.services.auth.createToken(systemActor(ws, 'cli'), { name: values.name ?? 'CLI token', userId: user.id, expiresAt: values.expires })
        console.log(secret)
        return 0
      })
    }
    case 'demo': {
      const count = (flag: 'conversations' | 'seed', max: number) => {
        const raw = values[flag]
        if (raw === undefined) return undefined
        const n = Number(raw)
        if (!/^\d+$/.test(raw) || n > max) throw new AppError('VALIDATION_FAILED', `--${flag} must be a whole number from 0 to ${max}`)
        return n
      }
      const options = { conversations: count('conversations', 100_000), seed: count('seed', 2 ** 32 - 1) }
      return withApp(async (o) => {
        const ws = await workspaceIdFor(o, values.workspace)
        const result = await loadDemoData(o, ws, { ...options, progress: streamProgress(process.stderr) })
        // Its events (realtime, listeners) are handled before the summary, so the run ends with nothing pending.
        await o.platform.dispatcher.drain()
        console.log(describeDemo(result, o.platform.config.publicUrl ?? `http://localhost:${o.platform.config.port}`))
        return 0
      })
    }
    case 'audit:verify':
      return withApp(async (o) => {
        const reports = await o.services.audit.verifyAll()
        let broken = 0
        for (const r of reports) {
          if (r.intact) console.log(`ok      ${r.name} (${r.workspaceId}): ${r.checked} entries intact`)
          else {
            broken++
            console.log(`BROKEN  ${r.name} (${r.workspaceId}): at entry ${r.firstBrokenSeq}: ${r.reason}`)
          }
        }
        console.log(broken ? `${broken} workspace chain(s) broken.` : `All ${reports.length} workspace chain(s) intact.`)
        return broken ? 1 : 0
      })
    default:
      console.log(usage)
      return command && command !== 'help' && command !== '--help' ? 2 : 0
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    if (err instanceof AppError || err instanceof ConfigError || err instanceof DataDirLockedError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      console.error(`error: ${err.message}`)
      process.exit(2)
    }
    console.error(err)
    process.exit(1)
  },
)
