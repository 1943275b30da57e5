import type { Actor } from './auth/actor.ts'
import type { BlobStore } from './blob-store.ts'
import type { Config } from './config.ts'
import type { SecretBox } from './crypto.ts'
import type { Database, Db } from './db/database.ts'
import type { Tx } from './db/tenant.ts'
import type { EventBus } from './events/bus.ts'
import type { EventDispatcher } from './events/dispatcher.ts'
import type { Listener } from './events/events.ts'
import type { CursorCodec } from './http/cursor.ts'
import type { Jobs } from './jobs/jobs.ts'
import type { Logger } from './observability/logger.ts'
import type { FastifyPluginAsync } from 'fastify'

/** What every module may use. Built once by the composition root (src/app.ts). */
export interface Platform {
  config: Config
  database: Database
  db: Db
  logger: Logger
  box: SecretBox
  cursors: CursorCodec
  blobs: BlobStore
  bus: EventBus
  dispatcher: EventDispatcher
  jobs: Jobs
  /**
   * The one way services open a transaction: scoped to the actor's workspace
   * (row-level security), and wakes the event dispatcher after it commits.
   */
  tx<T>(actor: Actor | string, fn: (trx: Tx) => Promise<T>): Promise<T>
}

/** What a module gives the composition root. */
export interface ModuleParts {
  /** The module's use cases, for other modules and the CLI. */
  service?: unknown
  /** Fastify plugin registered under /api/v1. */
  routes?: FastifyPluginAsync
  listeners?: Listener[]
  /** Begins the module's background work (job workers); called by start() once the job queue runs. */
  start?(): Promise<void>
}
