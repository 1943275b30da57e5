import pg from 'pg'
import { build } from '../src/app.ts'
import { loadConfig } from '../src/platform/config.ts'

/** Statements a start on DATA_DIR runs before it serves, with their time (a diagnostic, not a bench). */
const rows: Array<{ text: string; ms: number }> = []
const original = pg.Client.prototype.query
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a transparent wrapper of an overloaded method
;(pg.Client.prototype as any).query = function (this: pg.Client, ...args: unknown[]) {
  const q = args[0]
  const text = (typeof q === 'string' ? q : ((q as { text?: string } | undefined)?.text ?? String(q))).replace(/\s+/g, ' ').trim().slice(0, 160)
  const t = performance.now()
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- see above
  const r = (original as any).apply(this, args)
  if (r && typeof r.then === 'function') r.then(() => rows.push({ text, ms: performance.now() - t }), () => rows.push({ text: `(failed) ${text}`, ms: performance.now() - t }))
  return r
}
const t0 = performance.now()
const o = await build({ config: loadConfig({ DATA_DIR: process.env.DATA_DIR ?? '/tmp/st/data', OMNIDESK_ADMIN_TOKEN: 'x-admin-token-1234567890', LOG_LEVEL: 'error', PORT: '3998', SMTP_PORT: '2598' }) })
const t1 = performance.now()
await o.start()
const t2 = performance.now()
console.log(`build ${(t1 - t0).toFixed(0)} ms, start ${(t2 - t1).toFixed(0)} ms, ${rows.length} statements, ${rows.reduce((a, r) => a + r.ms, 0).toFixed(0)} ms in them`)
for (const r of rows.sort((a, b) => b.ms - a.ms).slice(0, 25)) console.log(r.ms.toFixed(1).padStart(8), r.text)
await o.close()
