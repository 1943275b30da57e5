/** `npm run demo`: the loader lives in ./demo/. */
export { describeDemo, loadDemoData, streamProgress, type DemoOptions, type DemoResult } from './demo/index.ts'
