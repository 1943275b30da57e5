// Loaded with `node --import scripts/memory-probe.mjs …` by scripts/measure-start.mjs:
// on SIGUSR2, writes process.memoryUsage() (MiB) to $OMNIDESK_MEMORY_PROBE_FILE.
// Not part of the product; it only observes the process it is loaded into.
import fs from 'node:fs'

const file = process.env.OMNIDESK_MEMORY_PROBE_FILE
if (file) {
  process.on('SIGUSR2', () => {
    const u = process.memoryUsage()
    const mib = (n) => Math.round(n / 1024 / 1024)
    const out = { rss: mib(u.rss), heapTotal: mib(u.heapTotal), heapUsed: mib(u.heapUsed), external: mib(u.external), arrayBuffers: mib(u.arrayBuffers) }
    fs.writeFileSync(file, JSON.stringify(out))
  })
}
