/** Helpers shared by the benchmarks (not a benchmark itself). */

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  const mid = Math.floor(s.length / 2)
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

export const fmt = (n: number) => (n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2))

/** A JSON request over real HTTP; throws with the body on an unexpected status. */
export async function http(base: string, token: string, method: string, url: string, body?: unknown, expect = 200) {
  const res = await fetch(`${base}${url}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  })
  const text = await res.text()
  if (res.status !== expect) throw new Error(`${method} ${url}: expected ${expect}, got ${res.status} ${text}`)
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- benchmark plumbing reads arbitrary JSON
  return (text ? JSON.parse(text) : null) as any
}

/** A new workspace through the API; returns its admin token and id. */
export async function workspace(base: string, adminToken: string, name: string): Promise<{ token: string; id: string }> {
  const res = await http(base, adminToken, 'POST', '/api/v1/workspaces', { name }, 201)
  return { token: res.token as string, id: res.workspace.id as string }
}

/** Counts a cursor-paginated list (100 per page). */
export async function countAll(base: string, token: string, url: string): Promise<number> {
  let n = 0
  let cursor: string | null = null
  do {
    const sep = url.includes('?') ? '&' : '?'
    const page = await http(base, token, 'GET', `${url}${sep}limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`)
    n += page.items.length
    cursor = page.nextCursor
  } while (cursor)
  return n
}

/** The p-th percentile (nearest rank) of a sample, 0 when empty. */
export const percentile = (xs: number[], p: number): number => {
  if (xs.length === 0) return 0
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] as number
}
