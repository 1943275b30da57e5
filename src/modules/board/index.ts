import type { ModuleParts, Platform } from '../../platform/platform.ts'
import { boardRoutes } from './board.routes.ts'
import { createBoardService } from './board.service.ts'

export type { BoardService } from './board.service.ts'
export { boardSchema, type Board } from './board.types.ts'

/** The supervisors' live board (a read model over conversations, inboxes, teams and users). */
export function createBoardModule(p: Platform) {
  const service = createBoardService(p)
  return { service, routes: boardRoutes(service) } satisfies ModuleParts
}
