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
  return {
    async put(data, hint) {
      const sha256 = createHash('sha256').update(data).digest('hex')
      const key = path.join(hint?.workspaceId ?? '_', sha256.slice(0, 2), `${sha256.slice(2, 16)}-${randomUUID()}`)
      const full = resolve(key)
      const dir = path.dirname(full)
      if (!made.has(dir)) {
        await fs.mkdir(dir, { recursive: true })
        made.add(dir)
      }
      // Written in place, then fsynced: no temporary name and rename. The key is new (a random
      // part) and reaches no caller, so no row, before the fsync returned: a crash mid-write
      // leaves a torn file nothing refers to, as a torn temporary file did before (one call
      // into the thread pool fewer per put; on a loaded machine each costs the main thread a
      // wake-up). 'wx': a key is never written twice.
      const fh = await fs.open(full, 'wx').catch(async (err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err
        await fs.mkdir(dir, { recursive: true })
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
      return { key, size: data.length, sha256 }
    },
    get: (key) => fs.readFile(resolve(key)),
    async delete(key) {
      await fs.rm(resolve(key), { force: true })
    },
  }
}
