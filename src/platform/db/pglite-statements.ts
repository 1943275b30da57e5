/**
 * The prepared-statement cache of the PGlite connection (pglite-connection.ts): which query
 * texts are parsed once as named statements on the session, under which name, and which of
 * those names the session really holds.
 *
 * A name is *ready* once PostgreSQL answered its Parse with ParseComplete; until then only the
 * Parse that creates it may use it (a Parse that failed, or that PostgreSQL skipped after an
 * earlier error, leaves nothing behind, and the name is forgotten). Least recently used names
 * beyond `limit` are closed, as is everything after a statement that may change what a cached
 * statement means (DDL): PostgreSQL re-plans a named statement when a table it reads changes,
 * but refuses to run it when its result columns change ("cached plan must not change result
 * type"), which the next `select *` after an `ALTER TABLE` would hit.
 */
export class StatementCache {
  /** Text (and parameter types) → statement; Map order is recency, oldest first. */
  readonly #byText = new Map<string, { name: string; ready: boolean }>()
  /** Names whose Close has not been answered yet (sent with the next Parse, again if skipped). */
  #toClose: string[] = []
  #next = 0

  constructor(readonly limit = 500) {}

  /**
   * The statement an unnamed Parse of `text` may use instead: `{ hit }` when the session holds
   * it already (send no Parse), `{ miss }` with the name to parse it under, or null to send the
   * Parse unnamed (DDL, or the same text already on its way and not yet answered).
   */
  lookup(text: string, types: number[] | undefined): { hit: string } | { miss: string } | null {
    const key = types && types.length > 0 ? `${text}\u0000${types.join(',')}` : text
    const known = this.#byText.get(key)
    if (known) {
      if (!known.ready) return null
      this.#byText.delete(key)
      this.#byText.set(key, known)
      return { hit: known.name }
    }
    // Checked only for texts not cached: a cached text is never DDL.
    if (mayChangeStatements(text)) {
      this.clear()
      return null
    }
    const name = `omnidesk_${++this.#next}`
    this.#byText.set(key, { name, ready: false })
    if (this.#byText.size > this.limit) {
      const [oldestKey, oldest] = this.#byText.entries().next().value!
      this.#byText.delete(oldestKey)
      this.#toClose.push(oldest.name)
    }
    return { miss: name }
  }

  /** PostgreSQL answered the Parse of `name` with ParseComplete. */
  ready(name: string) {
    for (const s of this.#byText.values()) if (s.name === name) return void (s.ready = true)
  }

  /** The Parse of `name` failed or was skipped: nothing under that name exists. */
  forget(name: string) {
    for (const [key, s] of this.#byText) if (s.name === name) return void this.#byText.delete(key)
  }

  /** Forgets every statement and closes them with the next Parse. */
  clear() {
    for (const s of this.#byText.values()) this.#toClose.push(s.name)
    this.#byText.clear()
  }

  /** Names to close now; `closeSkipped` puts back those PostgreSQL skipped after an error. */
  takeToClose(): string[] {
    const names = this.#toClose
    this.#toClose = []
    return names
  }
  closeSkipped(name: string) {
    this.#toClose.push(name)
  }

  get size() {
    return this.#byText.size
  }
}

/**
 * Statements after which a cached statement may no longer be valid: DDL, and what drops
 * prepared statements (DISCARD, DEALLOCATE). Checked at the start of the text and after every
 * `;` (several statements in one simple query), after comments. `do` blocks may run DDL too.
 * A false positive only costs re-parsing.
 */
const DDL =
  /(?:^|;)\s*(?:(?:--[^\n]*(?:\n|$)|\/\*[\s\S]*?\*\/)\s*)*(?:create|alter|drop|truncate|discard|deallocate|comment|grant|revoke|reindex|cluster|do)\b/i

export function mayChangeStatements(text: string): boolean {
  return DDL.test(text)
}
