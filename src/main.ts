import { build } from './app.ts'
import { ConfigError, loadConfig } from './platform/config.ts'
import { DataDirLockedError, lockDataDir } from './platform/db/lock.ts'
import { createLogger } from './platform/observability/logger.ts'

/** `npm start`: one process serving HTTP (and, with the email channel, SMTP). */
async function main() {
  const config = loadConfig()
  const logger = createLogger(config.logLevel)
  // The lock matters for the embedded database; with DATABASE_URL many nodes may share one database.
  const unlock = config.databaseUrl ? () => {} : lockDataDir(config.dataDir)
  let omnidesk: Awaited<ReturnType<typeof build>>
  try {
    omnidesk = await build({ config, logger })
  } catch (err) {
    unlock()
    throw err
  }
  await omnidesk.start()
  const address = await omnidesk.app.listen({ port: config.port, host: config.host })
  const url = config.publicUrl ?? address.replace('0.0.0.0', 'localhost').replace('[::]', 'localhost')
  const smtp = await omnidesk.smtp.listen(config.smtpPort, config.smtpHost)
  const { bootstrap } = omnidesk
  const db = omnidesk.platform.database
  const lines = [
    '',
    `  Omnidesk is running at ${url}`,
    `  Database: ${db.backend === 'pglite' ? `embedded PostgreSQL (PGlite) in ${db.location}` : `PostgreSQL at ${db.location}`}`,
    `  API docs: ${url}/api/docs`,
    `  Inbound SMTP: ${config.smtpHost}:${smtp.port}${config.smtpAuthUser ? ' (AUTH required)' : ''}${config.smtpTlsCert ? ' (STARTTLS)' : ''}`,
    '',
  ]
  if (config.adminToken) lines.push('  Sign in to the API with: Authorization: Bearer $OMNIDESK_ADMIN_TOKEN')
  if (bootstrap.created && bootstrap.ownerPassword) {
    lines.push(
      '  First start: created the workspace "My workspace" and its owner.',
      `    email:    ${bootstrap.ownerEmail}`,
      `    password: ${bootstrap.ownerPassword}   (shown once; change it with PATCH /api/v1/users/{id} and your currentPassword, or npm run omnidesk -- user:password)`,
      `  Sign in:  curl -c cookies -H 'content-type: application/json' -d '{"email":"${bootstrap.ownerEmail}","password":"…"}' ${url}/api/v1/auth/login`,
    )
  } else if (!config.adminToken) {
    lines.push(`  Sign in as ${bootstrap.ownerEmail}, or create an API token: npm run omnidesk -- token:create --email ${bootstrap.ownerEmail}`)
  }
  process.stdout.write(`${lines.join('\n')}\n\n`)

  let stopping = false
  const stop = async (signal: string) => {
    if (stopping) return
    stopping = true
    logger.info({ signal }, 'shutting down')
    const force = setTimeout(() => {
      logger.error('shutdown took longer than 10 s; exiting')
      process.exit(1)
    }, 10_000)
    force.unref()
    try {
      await omnidesk.smtp.close()
      await omnidesk.close()
    } finally {
      unlock()
    }
    process.exit(0)
  }
  process.on('SIGINT', () => void stop('SIGINT'))
  process.on('SIGTERM', () => void stop('SIGTERM'))
}

main().catch((err) => {
  if (err instanceof ConfigError || err instanceof DataDirLockedError) {
    process.stderr.write(`\n${err.message}\n\n`)
    process.exit(2)
  }
  process.stderr.write(`Omnidesk failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`)
  process.exit(1)
})
