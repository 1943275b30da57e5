import path from 'node:path'
import { fileURLToPath } from 'node:url'

const self = fileURLToPath(import.meta.url)

/**
 * Where the server runs from: the sources (`src/`, through tsx), the compiled modules (`dist/`,
 * one file per module, as `tsc` writes them) or the one-file bundle `dist/server.js` that
 * `npm start` runs (scripts/bundle.mjs). In the bundle every module's `import.meta.url` is the
 * bundle's, so paths to files beside a module (a worker's script, the web app) are made from the
 * installation's root instead.
 */
export const runsFrom: 'src' | 'dist' | 'bundle' = self.endsWith('.ts') ? 'src' : path.basename(self) === 'server.js' ? 'bundle' : 'dist'

/** The installation's root: the folder with package.json, src/ and dist/. */
export const root = runsFrom === 'bundle' ? path.resolve(path.dirname(self), '..') : path.resolve(path.dirname(self), '..', '..')

/**
 * The file of a server module given by its path under src/ without extension
 * (`channels/email/parse.worker`): src/….ts from the sources, dist/….js otherwise (the bundle
 * leaves the compiled modules it was made with beside it).
 */
export function serverModule(name: string): string {
  return runsFrom === 'src' ? path.join(root, 'src', `${name}.ts`) : path.join(root, 'dist', `${name}.js`)
}
