/**
 * How to start a worker thread whose script sits beside the module that starts it (`name`,
 * without extension). Compiled (dist/*.js), the worker is the .js file beside the module. From the
 * sources (tsx), it is the .ts file, which the worker can only load through tsx's loader: Node 20
 * runs neither an inherited nor an explicit `--import tsx` before a worker loads its entry module,
 * and `scripts/start.mjs` registers tsx in-process (`register()`), which workers do not inherit. So
 * the worker runs a one-line script that registers tsx, then imports the .ts file.
 *
 * Pass the result to `new Worker(script.url, { eval: script.eval, … })`. A worker inherits the
 * process's flags, V8's heap flags (`--max-semi-space-size` of `npm start`) included.
 */
export function workerScript(moduleUrl: string, name: string): { url: URL | string; eval: boolean } {
  const fromSources = moduleUrl.endsWith('.ts')
  const url = new URL(`./${name}.${fromSources ? 'ts' : 'js'}`, moduleUrl)
  if (!fromSources) return { url, eval: false }
  const tsx = import.meta.resolve('tsx/esm/api')
  return { url: `import(${JSON.stringify(tsx)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(url.href)}) })`, eval: true }
}
