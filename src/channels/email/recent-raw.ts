/**
 * The raw bytes of mail just stored, kept in memory for the processor, so the
 * mail it takes up at once is not read back from the blob store it was
 * written to a moment before. Only a shortcut: the blob is the durable copy,
 * and mail not found here (evicted, taken already, stored by another
 * process) is read from the store as before. Bounded by bytes, oldest out
 * first, so a processor that falls behind costs no more than `maxBytes`.
 */
export function createRecentRaw(maxBytes = 8 * 1024 * 1024) {
  const kept = new Map<string, Buffer>()
  let bytes = 0
  return {
    /** Keeps `raw`, stored under blob `key`; a message larger than the bound is not kept. */
    keep(key: string, raw: Buffer): void {
      if (raw.length > maxBytes || kept.has(key)) return
      kept.set(key, raw)
      bytes += raw.length
      for (const [oldest, b] of kept) {
        if (bytes <= maxBytes) break
        kept.delete(oldest)
        bytes -= b.length
      }
    },
    /** The bytes of blob `key` if kept (and forgets them), else undefined. */
    take(key: string): Buffer | undefined {
      const raw = kept.get(key)
      if (raw) {
        kept.delete(key)
        bytes -= raw.length
      }
      return raw
    },
    get bytes(): number {
      return bytes
    },
  }
}
export type RecentRaw = ReturnType<typeof createRecentRaw>
