import fs from 'node:fs'
import path from 'node:path'

export class DataDirLockedError extends Error {}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * PGlite does not lock its directory, and two processes writing one data directory
 * corrupt it. We take `<dataDir>/omnidesk.lock` with O_EXCL; a lock left by a dead
 * process (kill -9, power loss) is taken over.
 */
export function lockDataDir(dataDir: string): () => void {
  fs.mkdirSync(dataDir, { recursive: true })
  const file = path.join(dataDir, 'omnidesk.lock')
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(file, `${process.pid}\n`, { flag: 'wx' })
      return () => {
        try {
          if (fs.readFileSync(file, 'utf8').trim() === String(process.pid)) fs.unlinkSync(file)
        } catch {
          // already gone: nothing to release
        }
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
      const pid = Number.parseInt(fs.readFileSync(file, 'utf8'), 10)
      if (Number.isInteger(pid) && pid !== process.pid && alive(pid)) {
        throw new DataDirLockedError(
          `The data directory ${dataDir} is in use by another Omnidesk process (pid ${pid}).\n` +
            'Stop that process first, or start this one with a different DATA_DIR.',
        )
      }
      fs.unlinkSync(file) // stale lock from a process that is gone
    }
  }
  throw new DataDirLockedError(`Could not lock ${dataDir}`)
}
