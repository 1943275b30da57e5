import { createHash, randomUUID } from 'node:crypto'
import fs from 'node:fs/promises'
import path from 'node:path'

/**
 * Where attachment and raw-message bytes live. The local store writes under the
 * data directory; an S3-compatible store can implement the same interface.
 * Keys are opaque to callers.
 */
export interface BlobStore {
  put(data: Buffer, hint?: { workspaceId?: string; filename?: string }): Promise<{ key: string; size: number; sha256: string }>
  get(key: string): Promise<Buffer>
  delete(key: string): Promise<void>
}

export function createLocalBlobStore(root: string): BlobStore {
  const resolve = (key: string) => {
    const full = path.resolve(root, key)
    if (!full.startsWith(path.resolve(root) + path.sep)) throw new Error('Invalid blob key')
    return full
  }
  // Directories made (or found) by this store: a put into one of them makes no mkdir call. A
  // directory removed behind the store's back is made again when a write into it fails.
  const made = new Set<string>()
  const syncDir = createDirectorySync()
  /** mkdir -p, then the new directories' entries made durable (each parent fsynced, outermost first). */
  const makeDir = async (dir: string) => {
    const first = await fs.mkdir(dir, { recursive: true })
    if (first === undefined) return
    const parents: string[] = []
    for (let d = dir; d.length >= first.length; d = path.dirname(d)) parents.unshift(path.dirname(d))
    for (const d of parents) await syncDir(d)
  }
  return {
    async put(data, hint) {
      const sha256 = createHash('sha256').update(data).digest('hex')
      const key = path.join(hint?.workspaceId ?? '_', sha256.slice(0, 2), `${sha256.slice(2, 16)}-${randomUUID()}`)
      const full = resolve(key)
      const dir = path.dirname(full)
      if (!made.has(dir)) {
        await makeDir(dir)
        made.add(dir)
      }
      // Written in place, then fsynced: no temporary name and rename. The key is new (a random
      // part) and reaches no caller, so no row, before the fsync returned: a crash mid-write
      // leaves a torn file nothing refers to, as a torn temporary file did before (one call
      // into the thread pool fewer per put; on a loaded machine each costs the main thread a
      // wake-up). 'wx': a key is never written twice.
      const fh = await fs.open(full, 'wx').catch(async (err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err
        await makeDir(dir)
        return fs.open(full, 'wx')
      })
      try {
        await fh.writeFile(data)
        await fh.sync()
      } catch (err) {
        await fh.close().catch(() => {})
        await fs.rm(full, { force: true }).catch(() => {})
        throw err
      }
      await fh.close()
      // The file's bytes are durable; its name is durable once its directory is fsynced (a
      // power loss could otherwise drop the entry of a blob whose row is committed).
      await syncDir(dir)
      return { key, size: data.length, sha256 }
    },
    get: (key) => fs.readFile(resolve(key)),
    async delete(key) {
      await fs.rm(resolve(key), { force: true })
    },
  }
}

/**
 * fsync of a directory, shared by the puts that wait for it: a put waits for a
 * sync that starts after its file was made. While one runs, the puts that come
 * meanwhile share the next one (one fsync per directory per round, however
 * many files it received).
 */
function createDirectorySync(): (dir: string) => Promise<void> {
  const state = new Map<string, { running: Promise<void> | null; next: Promise<void> | null }>()
  const fsyncDir = async (dir: string) => {
    const fh = await fs.open(dir, 'r')
    try {
      await fh.sync()
    } finally {
      await fh.close()
    }
  }
  const start = (dir: string, s: { running: Promise<void> | null; next: Promise<void> | null }): Promise<void> => {
    const p = fsyncDir(dir).finally(() => {
      if (s.running === p) s.running = null
      if (!s.running && !s.next) state.delete(dir)
    })
    s.running = p
    return p
  }
  return (dir) => {
    let s = state.get(dir)
    if (!s) state.set(dir, (s = { running: null, next: null }))
    if (!s.running) return start(dir, s)
    if (!s.next) {
      const cur = s
      s.next = s.running.catch(() => {}).then(() => {
        cur.next = null
        return start(dir, cur)
      })
    }
    return s.next
  }
}
