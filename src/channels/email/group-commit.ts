/**
 * Group commit: callers hand in one item each and wait for its own answer;
 * items arriving while a write is in flight are written together by the next
 * one, so under load many callers share one statement and the write never
 * queues more than once behind other users of the connection. With nothing
 * in flight an item is written at once, alone: no added latency when idle.
 *
 * `write` gets the items in arrival order and answers one result per item, in
 * the same order; if it throws, every item of that write is rejected with the
 * error (nothing of it may be taken as done). Items whose `key`s meet one of an
 * earlier item of the same write wait for the next write, so one write never
 * holds the same key twice (an `insert … on conflict do nothing` then tells
 * each caller truthfully whether its own row was new).
 */
export function createGroupCommit<I, O>(write: (items: I[]) => Promise<O[]>, opts: { maxItems: number; keys: (item: I) => string[] }) {
  interface Waiting {
    item: I
    resolve: (o: O) => void
    reject: (err: unknown) => void
  }
  let queue: Waiting[] = []
  let writing = false

  /** The next write's items: arrival order, at most maxItems, no key twice. */
  function take(): Waiting[] {
    const taken: Waiting[] = []
    const rest: Waiting[] = []
    const seen = new Set<string>()
    for (const w of queue) {
      const keys = opts.keys(w.item)
      if (taken.length >= opts.maxItems || keys.some((k) => seen.has(k))) {
        rest.push(w)
        continue
      }
      for (const k of keys) seen.add(k)
      taken.push(w)
    }
    queue = rest
    return taken
  }

  async function run(): Promise<void> {
    writing = true
    try {
      while (queue.length > 0) {
        const group = take()
        try {
          const out = await write(group.map((w) => w.item))
          if (out.length !== group.length) throw new Error(`group commit: ${out.length} results for ${group.length} items`)
          group.forEach((w, i) => w.resolve(out[i] as O))
        } catch (err) {
          for (const w of group) w.reject(err)
        }
      }
    } finally {
      writing = false
    }
  }

  return {
    /** Resolves with this item's result once the write that held it has committed. */
    submit(item: I): Promise<O> {
      return new Promise<O>((resolve, reject) => {
        queue.push({ item, resolve, reject })
        if (!writing) void run()
      })
    },
    /** Items waiting for a write (not counting the one in flight). */
    get waiting(): number {
      return queue.length
    },
  }
}
