import { type ChildProcess, fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { FloorRequest, InsertResult } from './floor-process.ts'

const script = fileURLToPath(new URL('./floor-process.ts', import.meta.url))

/** The floor process (bench/floor-process.ts): one request at a time over IPC. */
export interface Floors {
  pid: number
  insert(concurrency: number, seconds: number): Promise<InsertResult>
  smtpPort(): Promise<number>
  parsed(): Promise<number>
  close(): Promise<void>
}

/** Forks the floor process on a PostgreSQL URL or on a PGlite data directory (a copy of the server's). */
export async function startFloors(target: { databaseUrl: string } | { dataDir: string }): Promise<Floors> {
  // fork() inherits this process's execArgv (`--import tsx`), so the child runs TypeScript too.
  const child: ChildProcess = fork(script, [], {
    env: { ...process.env, ...('databaseUrl' in target ? { FLOOR_DATABASE_URL: target.databaseUrl } : { FLOOR_DATA_DIR: target.dataDir }) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  let pending: { resolve: (v: unknown) => void; reject: (e: Error) => void } | null = null
  child.on('message', (msg: { ok: boolean; result?: unknown; error?: string }) => {
    const p = pending
    pending = null
    if (msg.ok) p?.resolve(msg.result)
    else p?.reject(new Error(`floor process: ${msg.error}`))
  })
  child.on('exit', (code) => pending?.reject(new Error(`floor process exited (${code})`)))
  const next = () => new Promise<unknown>((resolve, reject) => (pending = { resolve, reject }))
  const ask = <T>(req: FloorRequest): Promise<T> => {
    const answer = next()
    child.send(req)
    return answer as Promise<T>
  }
  await next() // ready: the database is open and the floor's workspace exists
  return {
    pid: child.pid as number,
    insert: (concurrency, seconds) => ask<InsertResult>({ type: 'insert', concurrency, seconds }),
    smtpPort: async () => (await ask<{ port: number }>({ type: 'smtp' })).port,
    parsed: async () => (await ask<{ parsed: number }>({ type: 'parsed' })).parsed,
    close: async () => {
      if (child.exitCode !== null) return
      const exited = new Promise((resolve) => child.once('exit', resolve))
      await ask({ type: 'close' }).catch(() => {})
      await exited
    },
  }
}
