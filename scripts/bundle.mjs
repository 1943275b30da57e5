// The server as one file, dist/server.js, which `npm start` runs (scripts/start.mjs): esbuild
// bundles src/main.ts with the libraries that can travel in a bundle. Loading ~1,400 module files
// at start (310 of ours, 264 of Kysely's, ~100 each of zod's and ajv's) cost more than PostgreSQL's
// own start; one file takes ~0.3 s and ~0.5 s of CPU off a start (BENCHMARKS.md). `tsc` still
// writes dist/ module by module: the worker threads' scripts (the MIME parser, PGlite's thread),
// the build scripts and `npm run omnidesk` use those, and paths.ts finds them from the bundle.
import path from 'node:path'
import { root } from './build-info.mjs'

/**
 * Left out of the bundle, loaded from node_modules as before: packages that find their own files
 * beside them at run time (PGlite's WASM and data, piscina's and pino's worker scripts, Swagger's
 * files and package.json), native code (argon2, esbuild, pg-native), the loader (tsx), and what
 * the server loads on first use only (createRequire: mailparser, imapflow, sanitize-html,
 * date-holidays, libphonenumber-js).
 */
const external = [
  '@electric-sql/pglite',
  '@electric-sql/pglite/*',
  'piscina',
  'pino',
  '@fastify/swagger',
  '@fastify/swagger-ui',
  '@fastify/static',
  '@node-rs/argon2',
  'esbuild',
  'tsx',
  'tsx/*',
  'pg-native',
  'mailparser',
  'imapflow',
  'sanitize-html',
  'date-holidays',
  'libphonenumber-js',
]

export const serverBundle = path.join(root, 'dist', 'server.js')

/** Writes dist/server.js (and its source map); returns its size in bytes. */
export async function bundleServer() {
  const esbuild = await import('esbuild')
  const result = await esbuild.build({
    entryPoints: [path.join(root, 'src', 'main.ts')],
    outfile: serverBundle,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external,
    // CommonJS libraries in an ES module bundle still call require() for Node's own modules.
    banner: { js: "import { createRequire as __omnideskCreateRequire } from 'node:module'; const require = __omnideskCreateRequire(import.meta.url);" },
    sourcemap: 'linked',
    legalComments: 'none',
    logLevel: 'warning',
    metafile: true,
  })
  return Object.values(result.metafile.outputs).find((o) => o.entryPoint)?.bytes ?? 0
}
