import type { findTokenWithUser } from './auth.repository.ts'

export type TokenRow = NonNullable<Awaited<ReturnType<typeof findTokenWithUser>>>

/**
 * API tokens looked up recently, by the hash of their secret: every request
 * starts with its token, and most come from a few integrations sending many.
 * An entry is used for at most `ttlMs`; within it, a request's transaction
 * re-checks the token and its user in its first statement (the actor's
 * `recheck`, db/tenant.ts), so a revoked token, a deactivated user or a
 * changed role is refused at once by every use case that opens one. Revoking
 * through this process also drops the entry immediately. Bounded: when full,
 * it starts over.
 */
export class TokenCache {
  private readonly entries = new Map<string, { row: TokenRow; at: number }>()

  constructor(
    private readonly ttlMs: number,
    private readonly max = 10_000,
  ) {}

  get(hash: string, now = Date.now()): TokenRow | null {
    const e = this.entries.get(hash)
    if (!e) return null
    if (now - e.at >= this.ttlMs) {
      this.entries.delete(hash)
      return null
    }
    return e.row
  }

  set(hash: string, row: TokenRow, now = Date.now()): void {
    if (this.ttlMs <= 0) return
    if (this.entries.size >= this.max) this.entries.clear()
    this.entries.set(hash, { row, at: now })
  }

  /** Drops every entry of this token (revoked). */
  forget(tokenId: string): void {
    for (const [hash, e] of this.entries) if (e.row.token_id === tokenId) this.entries.delete(hash)
  }
}
