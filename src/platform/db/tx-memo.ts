import type { Tx } from './tenant.ts'

/**
 * A read done once per transaction: later calls with the same key in the same
 * transaction get the first call's answer. For rows the transaction never
 * changes itself and that several units of work in it read (an inbox, the
 * workspace's settings, read by every mail of an inbound batch): one
 * statement per transaction instead of one per unit. The memo lives as long
 * as its transaction object, so the next transaction reads again; a row
 * another transaction changes meanwhile is seen as of the first read, as if
 * this transaction had read everything at that moment.
 */
export function perTransaction<V>(): (trx: Tx, key: string, read: () => Promise<V>) => Promise<V> {
  const memo = new WeakMap<Tx, Map<string, Promise<V>>>()
  return (trx, key, read) => {
    let reads = memo.get(trx)
    if (!reads) memo.set(trx, (reads = new Map()))
    let value = reads.get(key)
    if (!value) reads.set(key, (value = read()))
    return value
  }
}
