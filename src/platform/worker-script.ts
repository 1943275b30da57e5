import { pathToFileURL } from 'node:url'
import { runsFrom, serverModule } from './paths.ts'

/**
 * How to start a worker thread whose script is the server module `name` (its path under src/
 * without extension, paths.ts). Compiled, the worker is the .js file in dist/. From the sources
 * (tsx), it is the .ts file, which the worker can only load through tsx's loader: Node 20 runs
 * neither an inherited nor an explicit `--import tsx` before a worker loads its entry module, and
 * `scripts/start.mjs` registers tsx in-process (`register()`), which workers do not inherit. So
 * the worker runs a one-line script that registers tsx, then imports the .ts file.
 *
 * Pass the result to `new Worker(script.url, { eval: script.eval, … })`. A worker inherits the
 * process's flags, V8's heap flags (`--max-semi-space-size` of `npm start`) included.
 */
export function workerScript(name: string): { url: URL | string; eval: boolean } {
  const url = pathToFileURL(serverModule(name))
  if (runsFrom !== 'src') return { url, eval: false }
  const tsx = import.meta.resolve('tsx/esm/api')
  return { url: `import(${JSON.stringify(tsx)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(url.href)}) })`, eval: true }
}
