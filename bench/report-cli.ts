import fs from 'node:fs'
import path from 'node:path'
import { renderMarkdown, type BenchResults } from './report.ts'
import { ROOT } from './server-process.ts'

/** `npm run bench:report [-- FILE]`: the Markdown tables of a saved run (default bench/results/latest.json), for BENCHMARKS.md. */
const file = process.argv[2] ?? path.join(ROOT, 'bench/results/latest.json')
const results = JSON.parse(fs.readFileSync(file, 'utf8')) as BenchResults
if (results.version !== 1) throw new Error(`${file}: unknown results version ${String(results.version)}`)
console.log(renderMarkdown(results))
