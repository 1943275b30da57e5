import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { after, test } from 'node:test'
import { createLocalBlobStore } from './blob-store.ts'

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'omnidesk-blobs-'))
after(() => fs.rmSync(root, { recursive: true, force: true }))

test('a blob reads back as written, under its workspace, with its size and hash; no temporary file is left', async () => {
  const store = createLocalBlobStore(root)
  const data = Buffer.from('hello blob')
  const b = await store.put(data, { workspaceId: 'ws-a' })
  assert.equal(b.size, data.length)
  assert.match(b.key, /^ws-a[/\\][0-9a-f]{2}[/\\]/)
  assert.deepEqual(await store.get(b.key), data)
  const dir = path.dirname(path.join(root, b.key))
  assert.deepEqual(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp')), [])
  await store.delete(b.key)
  await assert.rejects(store.get(b.key), /ENOENT/)
})

test('a put into a directory removed since the store made it makes it again', async () => {
  const store = createLocalBlobStore(root)
  const data = Buffer.from('same bytes, same directory')
  const first = await store.put(data, { workspaceId: 'ws-b' })
  fs.rmSync(path.join(root, 'ws-b'), { recursive: true })
  const second = await store.put(data, { workspaceId: 'ws-b' })
  assert.equal(path.dirname(second.key), path.dirname(first.key))
  assert.deepEqual(await store.get(second.key), data)
})

test('keys outside the store are refused', async () => {
  const store = createLocalBlobStore(root)
  await assert.rejects(async () => store.get('../outside'), /Invalid blob key/)
})

test('64 concurrent puts, many into one directory, all resolve and read back (they share the directory fsyncs)', async () => {
  const store = createLocalBlobStore(root)
  // The same bytes land in one directory; the others spread over several.
  const same = Buffer.from('one directory for all of these')
  const blobs = await Promise.all(
    Array.from({ length: 64 }, (_, i) => (i % 2 === 0 ? store.put(same, { workspaceId: 'ws-c' }) : store.put(Buffer.from(`blob ${i}`), { workspaceId: 'ws-c' }))),
  )
  assert.equal(new Set(blobs.map((b) => b.key)).size, 64)
  assert.equal(new Set(blobs.filter((_, i) => i % 2 === 0).map((b) => path.dirname(b.key))).size, 1)
  for (const [i, b] of blobs.entries()) assert.deepEqual(await store.get(b.key), i % 2 === 0 ? same : Buffer.from(`blob ${i}`))
  // A later put into the same directory is not held by the earlier round.
  const later = await store.put(same, { workspaceId: 'ws-c' })
  assert.deepEqual(await store.get(later.key), same)
})
