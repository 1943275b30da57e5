import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { commonErrors } from '../../platform/http/schemas.ts'
import type { SearchService } from './search.service.ts'
import { searchResultSchema } from './search.types.ts'

export const searchRoutes =
  (search: SearchService): FastifyPluginAsyncZod =>
  async (app) => {
    app.get('/search', {
      schema: {
        tags: ['Search'],
        summary: 'Search cases (subject, #number), messages and notes (text) and contacts (name, identities) in one ranked list',
        description: 'Every word must match, as a prefix ("prin" finds "printer"). Punctuation separates words. One page: no cursor.',
        querystring: z.strictObject({
          q: z.string().trim().min(1).max(200),
          limit: z.coerce.number().int().min(1).max(50).default(20),
        }),
        response: { 200: z.object({ items: z.array(searchResultSchema), nextCursor: z.null() }), ...commonErrors },
      },
    }, async (req) => search.search(req.actor, req.query))
  }
