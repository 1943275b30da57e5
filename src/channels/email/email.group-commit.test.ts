import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createGroupCommit } from './group-commit.ts'

/** A write that records its groups and waits until the test opens it. */
function gatedWrite() {
  const groups: string[][] = []
  let open: () => void = () => {}
  const gate = new Promise<void>((r) => (open = r))
  return {
    groups,
    write: async (items: string[]) => {
      groups.push(items)
      await gate
      // A poisoned item fails its whole write, as a failing statement would.
      if (items.some((i) => i.startsWith('poison'))) throw new Error('disk full')
      return items.map((i) => `done ${i}`)
    },
    open: () => open(),
  }
}

const key = (item: string) => [item.split('#')[0] as string]

test('an item alone is written at once; items arriving meanwhile share the next write', async () => {
  const w = gatedWrite()
  const group = createGroupCommit(w.write, { maxItems: 10, keys: key })
  const first = group.submit('a')
  assert.deepEqual(w.groups, [['a']])
  const rest = ['b', 'c', 'd'].map((i) => group.submit(i))
  assert.equal(group.waiting, 3)
  w.open()
  assert.deepEqual(await Promise.all([first, ...rest]), ['done a', 'done b', 'done c', 'done d'])
  assert.deepEqual(w.groups, [['a'], ['b', 'c', 'd']])
  assert.equal(group.waiting, 0)
})

test('a write holds at most maxItems, in arrival order', async () => {
  const w = gatedWrite()
  const group = createGroupCommit(w.write, { maxItems: 2, keys: key })
  const all = ['a', 'b', 'c', 'd', 'e'].map((i) => group.submit(i))
  w.open()
  await Promise.all(all)
  assert.deepEqual(w.groups, [['a'], ['b', 'c'], ['d', 'e']])
})

test('the same key twice never shares a write: the second waits for the next one', async () => {
  const w = gatedWrite()
  const group = createGroupCommit(w.write, { maxItems: 10, keys: key })
  const all = ['a', 'x#1', 'y', 'x#2', 'x#3'].map((i) => group.submit(i))
  w.open()
  await Promise.all(all)
  assert.deepEqual(w.groups, [['a'], ['x#1', 'y'], ['x#2'], ['x#3']])
})

test('a failed write rejects every item in it and nothing else; later items are written', async () => {
  const w = gatedWrite()
  const group = createGroupCommit(w.write, { maxItems: 10, keys: key })
  const first = group.submit('a')
  const failing = Promise.allSettled(['b', 'poison', 'c'].map((i) => group.submit(i)))
  w.open()
  assert.equal(await first, 'done a')
  const settled = await failing
  assert.deepEqual(
    settled.map((s) => s.status),
    ['rejected', 'rejected', 'rejected'],
  )
  assert.equal(await group.submit('d'), 'done d')
  assert.deepEqual(w.groups, [['a'], ['b', 'poison', 'c'], ['d']])
})
