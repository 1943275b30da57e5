/**
 * The order of cases in the inbox list the agent last looked at, so that j/k
 * in a case view go to the next/previous case of that list.
 */
let order: string[] = []

export function setCaseOrder(ids: string[]): void {
  order = ids
}

export function neighbourCase(id: string, step: 1 | -1): string | undefined {
  const i = order.indexOf(id)
  if (i < 0) return undefined
  return order[i + step]
}
