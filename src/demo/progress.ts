/** Reports how far the loader is; the CLI draws it on stderr, tests pass nothing. */
export interface Progress {
  start(label: string, total: number): void
  tick(n?: number): void
  done(): void
}

export const silentProgress: Progress = { start() {}, tick() {}, done() {} }

/**
 * A progress bar redrawn in place when `stream` is a terminal; otherwise a
 * plain line at every tenth of the work (logs and CI stay readable).
 */
export function streamProgress(stream: NodeJS.WriteStream): Progress {
  let label = ''
  let total = 0
  let count = 0
  let lastDecile = -1
  let started = 0
  const width = 30
  const draw = () => {
    const ratio = total ? count / total : 1
    const secs = ((Date.now() - started) / 1000).toFixed(1)
    if (stream.isTTY) {
      const filled = Math.round(ratio * width)
      stream.write(`\r${label.padEnd(14)} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${count}/${total} ${secs} s `)
      return
    }
    const decile = Math.floor(ratio * 10)
    if (decile !== lastDecile) {
      lastDecile = decile
      stream.write(`${label}: ${count}/${total} (${Math.round(ratio * 100)}%) ${secs} s\n`)
    }
  }
  return {
    start(l, t) {
      label = l
      total = t
      count = 0
      lastDecile = -1
      started = Date.now()
      draw()
    },
    tick(n = 1) {
      count += n
      draw()
    },
    done() {
      count = total
      draw()
      if (stream.isTTY) stream.write('\n')
    },
  }
}
