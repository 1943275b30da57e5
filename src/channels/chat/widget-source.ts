import fs from 'node:fs/promises'
import path from 'node:path'
import { root } from '../../platform/paths.ts'

/** The widget's sources (web-widget/src at the repository root, whether this runs from src/ or dist/). */
export const widgetSourceDir = path.join(root, 'web-widget', 'src')
/** Where `npm run build` puts the bundle. */
export const widgetBundlePath = path.join(root, 'dist', 'widget', 'widget.js')

/** Bundles the widget into one minified script (esbuild, which tsx already brings). */
export async function buildWidget(): Promise<string> {
  const esbuild = await import('esbuild')
  const out = await esbuild.build({
    entryPoints: [path.join(widgetSourceDir, 'widget.ts')],
    bundle: true,
    minify: true,
    format: 'iife',
    target: 'es2020',
    write: false,
    legalComments: 'none',
  })
  const file = out.outputFiles[0]
  if (!file) throw new Error('esbuild produced no widget bundle')
  return file.text
}

async function newestSourceMtime(): Promise<number> {
  try {
    const names = await fs.readdir(widgetSourceDir)
    const stats = await Promise.all(names.map((n) => fs.stat(path.join(widgetSourceDir, n))))
    return Math.max(...stats.map((s) => s.mtimeMs))
  } catch {
    return 0
  }
}

/**
 * The script served at /widget.js: the built bundle, unless the sources are
 * newer (a development checkout), in which case it is bundled once in memory.
 */
export function createWidgetSource() {
  let cached: Promise<string> | null = null
  const load = async () => {
    const [bundle, sources] = await Promise.all([fs.stat(widgetBundlePath).catch(() => null), newestSourceMtime()])
    if (bundle && bundle.mtimeMs >= sources) return fs.readFile(widgetBundlePath, 'utf8')
    return buildWidget()
  }
  return {
    get(): Promise<string> {
      cached ??= load().catch((err: unknown) => {
        cached = null
        throw err
      })
      return cached
    },
  }
}
export type WidgetSource = ReturnType<typeof createWidgetSource>
