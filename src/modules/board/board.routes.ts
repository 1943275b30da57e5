import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { commonErrors } from '../../platform/http/schemas.ts'
import type { BoardService } from './board.service.ts'
import { boardSchema } from './board.types.ts'

export const boardRoutes =
  (board: BoardService): FastifyPluginAsyncZod =>
  async (app) => {
    app.get('/board', {
      schema: {
        tags: ['Board'],
        summary: 'The live board (supervisors and above): open and unassigned per inbox and team, longest waiting, agents and their load',
        description: 'A snapshot; refresh it when conversation events arrive on the realtime socket.',
        response: { 200: boardSchema, ...commonErrors },
      },
    }, async (req) => board.get(req.actor))
  }
