import path from 'node:path'

/**
 * Where the browser tests write their screenshots: `test-results/screenshots/`
 * (ignored by git), so a test run leaves the checkout clean; with
 * `UPDATE_SCREENSHOTS=1` into `docs/screenshots/`, the pictures the guides show.
 */
export const screenshotDir = path.resolve(
  import.meta.dirname,
  '../..',
  process.env.UPDATE_SCREENSHOTS === '1' ? 'docs/screenshots' : 'test-results/screenshots',
)
