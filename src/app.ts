import path from 'node:path'
import cookie from '@fastify/cookie'
import rateLimit from '@fastify/rate-limit'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import websocket from '@fastify/websocket'
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify'
import { jsonSchemaTransform, jsonSchemaTransformObject, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod'
import { createChatModule } from './channels/chat/index.ts'
import { createAuditModule } from './modules/audit/index.ts'
import { createAuthModule } from './modules/auth/index.ts'
import { createBoardModule } from './modules/board/index.ts'
import { createCannedRepliesModule } from './modules/canned-replies/index.ts'
import { createContactsModule } from './modules/contacts/index.ts'
import { createConversationsModule, setSlaSummaryReader, timelineEventTypes } from './modules/conversations/index.ts'
import { createEmailModule } from './channels/email/email.module.ts'
import { createMessagingChannelsModule } from './channels/meta/messaging.module.ts'
import { type WebhookDefinition, type WebhookDeps, webhookRoutes } from './channels/webhooks.ts'
import { createHealthService, healthListener, healthRoutes, webhookRecorder } from './channels/health.ts'
import { mediaLinkRoutes } from './channels/media-links.ts'
import { createSmsWebhook } from './channels/sms/webhook.ts'
import { createVoiceModule } from './channels/voice/voice.module.ts'
import { createInboxesModule } from './modules/inboxes/index.ts'
import { createNotificationsModule } from './modules/notifications/index.ts'
import { createRealtimeModule } from './modules/realtime/index.ts'
import { createSearchModule } from './modules/search/index.ts'
import { createRoutingModule } from './modules/routing/index.ts'
import { createSlaModule, type SlaClock, type SlaPorts, slaSummaries } from './modules/sla/index.ts'
import { createTaxonomyModule } from './modules/taxonomy/index.ts'
import { createUsersModule } from './modules/users/index.ts'
import { createViewsModule } from './modules/views/index.ts'
import { createWorkspacesModule } from './modules/workspaces/index.ts'
import { AuditAppender } from './platform/audit/appender.ts'
import type { Actor } from './platform/auth/actor.ts'
import { createLocalBlobStore } from './platform/blob-store.ts'
import type { Config } from './platform/config.ts'
import { createSecretBox, resolveSecretKey } from './platform/crypto.ts'
import { type Database, openDatabase } from './platform/db/database.ts'
import { migrateToLatest } from './platform/db/migrate.ts'
import { StatisticsKeeper } from './platform/db/statistics.ts'
import { withTenant } from './platform/db/tenant.ts'
import { deferring } from './platform/events/deferred-writes.ts'
import { AppError } from './platform/errors.ts'
import { createLocalBus } from './platform/events/bus.ts'
import { EventDispatcher } from './platform/events/dispatcher.ts'
import { installAuth, rateLimitKey } from './platform/http/auth.ts'
import { createCursorCodec } from './platform/http/cursor.ts'
import { installCsrf, csrfTokenFor } from './platform/http/csrf.ts'
import { installErrorHandling } from './platform/http/errors.ts'
import { installIdempotency } from './platform/http/idempotency.ts'
import { installSecurityHeaders } from './platform/http/security-headers.ts'
import { installInputGuards } from './platform/http/input-guards.ts'
import { installWebApp } from './platform/http/web-app.ts'
import { createJobs } from './platform/jobs/jobs.ts'
import { createLogger, type Logger } from './platform/observability/logger.ts'
import type { ModuleParts, Platform } from './platform/platform.ts'
import { root } from './platform/paths.ts'

export interface BuildOptions {
  config: Config
  /** Use this database instead of opening one from the config (tests). */
  database?: Database
  logger?: Logger
  /** The built agent desk (default dist/web beside src/ and dist/). */
  webRoot?: string
  /** The SLA module's clock (tests and benchmarks move a manual one); the system clock by default. */
  slaClock?: SlaClock
  /** What the SLA module uses from optional modules (routing's moveToQueue). */
  slaPorts?: SlaPorts
}

export type Omnidesk = Awaited<ReturnType<typeof build>>

/**
 * The composition root: opens the database, runs migrations, builds every
 * module with exactly what it uses, and returns the HTTP app without listening.
 * `start()` begins background work (event dispatch, jobs); `close()` stops all.
 */
export async function build(opts: BuildOptions) {
  const { config } = opts
  const logger = opts.logger ?? createLogger(config.logLevel)
  const database = opts.database ?? (await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir, poolSize: config.databasePoolSize, preparedStatements: config.databasePreparedStatements, pgliteThread: config.pgliteThread }))
  await migrateToLatest(database.db)
  // PGlite has no autovacuum: migrateToLatest analyzes after a schema change; then every few thousand writes or hourly,
  // and one table with many dead rows is vacuumed per minute at a quiet moment.
  const statistics = new StatisticsKeeper(database, logger)

  const box = createSecretBox(resolveSecretKey(config.secretKey, config.dataDir))
  const dispatcher = new EventDispatcher(database.db, [], logger, {
    retentionDays: config.eventsRetentionDays,
    keepEventTypes: timelineEventTypes,
    // PGlite: one session, nothing to wait on; PostgreSQL: only what keeps the lock order (dispatcher.ts).
    shareTransactions: database.backend === 'pglite' ? 'workspace' : 'conversation',
  })
  // Links committed audit entries into their hash chains, off the request path.
  // A pass 50 ms after the commit that woke it: under load one pass links the entries of many commits.
  // On PGlite a transaction of 64 entries at most (~10–20 ms): requests queue behind each on the one session.
  const auditAppender = new AuditAppender(database.db, logger, 1000, (n) => statistics.noteWrites(n), 50, database.backend === 'pglite' ? 64 : undefined)
  const platform: Platform = {
    config,
    database,
    db: database.db,
    logger,
    box,
    cursors: createCursorCodec(box),
    blobs: createLocalBlobStore(path.join(config.dataDir, 'blobs')),
    bus: createLocalBus(),
    dispatcher,
    jobs: createJobs(database.pool, logger),
    async tx(actor: Actor | string, fn) {
      // Its events and audit entries are written in one statement just before commit.
      const result = typeof actor === 'string' ? await withTenant(database.db, actor, (trx) => deferring(trx, fn)) : await withTenant(database.db, actor.workspaceId, (trx) => deferring(trx, fn), actor.recheck)
      dispatcher.kick()
      auditAppender.kick()
      return result
    },
  }

  const audit = createAuditModule(platform)
  const users = createUsersModule(platform)
  const auth = createAuthModule(platform, { users: users.service })
  const workspaces = createWorkspacesModule(platform, { users: users.service, auth: auth.service })
  const contacts = createContactsModule(platform)
  const inboxes = createInboxesModule(platform)
  const taxonomy = createTaxonomyModule(platform)
  const views = createViewsModule(platform)
  const conversations = createConversationsModule(platform, {
    contacts: contacts.service,
    inboxes: inboxes.service,
    taxonomy: taxonomy.service,
    views: views.service,
    workspaces: workspaces.service,
  })
  const email = createEmailModule(platform, { conversations: conversations.service })
  const realtime = createRealtimeModule(platform, {
    authenticate: auth.authenticate,
    describeUser: async (actor) => (actor.userId ? (await users.service.get(actor, actor.userId)).name : actor.label),
  })
  const search = createSearchModule(platform)
  const notifications = createNotificationsModule(platform)
  const board = createBoardModule(platform)
  const cannedReplies = createCannedRepliesModule(platform, { conversations: conversations.service, contacts: contacts.service })
  const routing = createRoutingModule(platform, { conversations: conversations.service, connectedUsers: realtime.connectedUsers })
  const sla = createSlaModule(platform, { conversations: conversations.service, clock: opts.slaClock, ports: { moveToQueue: (actor, conversationId, queueId, note) => routing.service.moveToQueue(actor, conversationId, queueId, note), nextBreachChanged: routing.service.nextBreachChanged, ...opts.slaPorts } })
  setSlaSummaryReader(slaSummaries)
  // Channel health per inbox (src/channels/health.ts): send outcomes from delivery events, webhook arrivals from each channel.
  const recordWebhook = webhookRecorder(platform)
  const health: ModuleParts = { routes: healthRoutes(createHealthService(platform, { inboxes: inboxes.service })), listeners: [healthListener()] }
  const channelDeps = { conversations: conversations.service, contacts: contacts.service, health: recordWebhook }
  const voice = createVoiceModule(platform, channelDeps)
  const messaging = createMessagingChannelsModule(platform, {
    conversations: conversations.service,
    inboxes: inboxes.service,
    onWebhook: (inbox, accepted) => void recordWebhook(inbox.workspaceId, inbox.id, accepted),
  })
  const chat = createChatModule(platform, { conversations: conversations.service, contacts: contacts.service, callbacks: voice.service })
  const modules: ModuleParts[] = [audit, users, auth, workspaces, contacts, inboxes, taxonomy, conversations, email, realtime, routing, sla, health, voice, messaging, chat, search, views, cannedReplies, notifications, board]
  for (const m of modules) for (const l of m.listeners ?? []) dispatcher.register(l)

  const bootstrap = await workspaces.service.ensureInstanceOwner()

  const app: FastifyInstance = Fastify({
    // Per-request lines only at debug: at info a busy node would log twice per request.
    loggerInstance: logger.child({ component: 'http' }, { level: ['debug', 'trace'].includes(config.logLevel) ? config.logLevel : 'warn' }) as FastifyBaseLogger,
    bodyLimit: config.bodyLimit,
    trustProxy: config.trustProxy,
  })
  app.setValidatorCompiler(validatorCompiler)
  app.setSerializerCompiler(serializerCompiler)
  installErrorHandling(app)
  installInputGuards(app, platform.cursors)
  await app.register(cookie)
  await app.register(websocket, { options: { maxPayload: 64 * 1024 } })
  await installSecurityHeaders(app, { publicUrl: config.publicUrl })
  await app.register(rateLimit, {
    global: true,
    max: config.apiRateLimit,
    timeWindow: '1 minute',
    // Keyed on the credentials installAuth resolved (token, session user), or the client address without valid ones.
    keyGenerator: rateLimitKey,
    errorResponseBuilder: (_req, ctx) =>
      new AppError('RATE_LIMITED', `Too many requests: the limit is ${ctx.max} per minute; retry in ${Math.max(1, Math.ceil(ctx.ttl / 1000))} s`),
  })
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Omnidesk API', version: '1', description: 'The REST API of Omnidesk. Authenticate with `Authorization: Bearer <token>` or a session cookie.' },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer' },
          session: { type: 'apiKey', in: 'cookie', name: 'omnidesk_session' },
        },
      },
      security: [{ bearer: [] }, { session: [] }],
    },
    transform: jsonSchemaTransform,
    // Fills components.schemas from the schemas' `.meta({ id })`, which the paths reference with $ref.
    transformObject: jsonSchemaTransformObject,
  })
  await app.register(swaggerUi, { routePrefix: '/api/docs' })
  app.get('/api/openapi.json', { config: { public: true }, schema: { hide: true } }, async () => app.swagger())
  app.get('/health', { config: { public: true, rateLimit: false }, schema: { hide: true } }, async () => {
    await database.pool.query('select 1')
    return { status: 'ok', database: database.backend }
  })

  installAuth(app, auth.authenticate)
  installCsrf(app, { tokenFor: (secret) => csrfTokenFor(box, secret), secure: config.publicUrl?.startsWith('https:') ?? false })
  installIdempotency(app, database.db)
  await app.register(chat.publicRoutes)
  await app.register(
    async (api) => {
      for (const m of modules) if (m.routes) await api.register(m.routes)
    },
    { prefix: '/api/v1' },
  )
  await installWebApp(app, { root: opts.webRoot ?? path.join(root, 'dist', 'web'), messageHtml: conversations.service.getMessageHtml })
  // Inbound provider webhooks, /webhooks/<provider>/:inboxId: each channel module adds its definitions here.
  const webhooks: WebhookDefinition[] = [createSmsWebhook(platform, channelDeps), voice.webhook, ...messaging.webhooks]
  const webhookDeps: WebhookDeps = { resolveInbox: inboxes.service.findForWebhook, bodyLimit: config.webhookBodyLimit, rateLimitPerMinute: config.webhookRateLimit }
  await app.register(webhookRoutes(webhookDeps, webhooks))
  // Signed, expiring links to outbound attachments, for providers that fetch files by URL (Twilio MMS).
  await app.register(mediaLinkRoutes({ box, blobs: platform.blobs }))

  let started = false
  return {
    app,
    platform,
    bootstrap,
    /** The inbound SMTP server: main.ts (or a test) calls listen(port, host). */
    smtp: email.smtp,
    /** Turns stored inbound mail into conversations; runs after start(), drain() in tests. */
    emailProcessor: email.processor,
    /** Polls the IMAP mailboxes of email inboxes (IDLE + interval); runs after start(). */
    imap: email.imap,
    /** What webhook routes are built with (a test registers a provider of its own with webhookRoutes). */
    webhookDeps,
    services: {
      audit: audit.service,
      users: users.service,
      auth: auth.service,
      workspaces: workspaces.service,
      contacts: contacts.service,
      inboxes: inboxes.service,
      taxonomy: taxonomy.service,
      conversations: conversations.service,
      email: email.service,
      chat: chat.service,
      routing: routing.service,
      sla: sla.service,
    },
    /** Begins background work: the job queue and the modules' workers (outbound delivery), then event dispatch. */
    async start(opts: { jobs?: boolean } = {}) {
      started = true
      // Workers first: listeners enqueue into their queues, which work() creates.
      if (opts.jobs !== false) {
        await platform.jobs.start()
        for (const m of modules) await m.start?.()
      }
      dispatcher.start()
      auditAppender.start()
      statistics.start()
      await email.processor.start()
      // Connects only to mailboxes of email inboxes with IMAP settings; none: nothing runs but a periodic settings scan.
      await email.imap.start()
    },
    async close() {
      await app.close()
      await email.smtp.close()
      if (started) {
        await routing.stop()
        await email.imap.stop()
        await email.processor.stop()
        await dispatcher.stop()
        await auditAppender.stop()
        await statistics.stop()
        await platform.jobs.stop()
      }
      realtime.close()
      await platform.bus.close()
      if (!opts.database) await database.close()
    },
  }
}
