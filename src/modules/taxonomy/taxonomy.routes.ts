import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { commonErrors, humanText, idParam, listOf, listQuery } from '../../platform/http/schemas.ts'
import type { TaxonomyService } from './taxonomy.service.ts'
import { caseRequirementsSchema, categorySchema, customFieldKeyPattern, customFieldSchema, customFieldTypes, tagColorPattern, tagSchema } from './taxonomy.types.ts'

const name = (max: number) => humanText(max).pipe(z.string().min(1, 'must not be empty'))
const color = z.string().regex(tagColorPattern, 'must be a colour like #1a2b3c')
const options = z.array(name(100)).max(200)
const requirementList = z.array(z.string().max(100)).max(50)
const wholeList = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item), nextCursor: z.null() })

export const taxonomyRoutes =
  (taxonomy: TaxonomyService): FastifyPluginAsyncZod =>
  async (app) => {
    const tags = ['Taxonomy']

    // Categories

    app.get('/categories', {
      schema: { tags, summary: 'The category tree as a flat, depth-first list with each path', response: { 200: wholeList(categorySchema), ...commonErrors } },
    }, async (req) => taxonomy.listCategories(req.actor))

    app.get('/categories/:id', { schema: { tags, summary: 'Get a category', params: idParam, response: { 200: categorySchema, ...commonErrors } } }, async (req) =>
      taxonomy.getCategory(req.actor, req.params.id),
    )

    app.post('/categories', {
      schema: {
        tags,
        summary: 'Create a category (names are unique among siblings, ignoring case)',
        body: z.strictObject({ name: name(100), parentId: z.uuid().nullable().optional() }),
        response: { 201: categorySchema, ...commonErrors },
      },
    }, async (req, reply) => reply.status(201).send(await taxonomy.createCategory(req.actor, req.body)))

    app.patch('/categories/:id', {
      schema: {
        tags,
        summary: 'Rename or move a category (parentId null moves it to the top level; moving it under its own subtree is 422)',
        params: idParam,
        body: z.strictObject({ name: name(100).optional(), parentId: z.uuid().nullable().optional() }),
        response: { 200: categorySchema, ...commonErrors },
      },
    }, async (req) => taxonomy.updateCategory(req.actor, req.params.id, req.body))

    app.delete('/categories/:id', {
      schema: { tags, summary: 'Delete a category and its subcategories; their conversations become uncategorised', params: idParam, response: { 204: z.null(), ...commonErrors } },
    }, async (req, reply) => {
      await taxonomy.deleteCategory(req.actor, req.params.id)
      return reply.status(204).send(null)
    })

    // Tags

    const tagParam = z.strictObject({ name: z.string().min(1).max(200) })
    app.get('/tags', {
      schema: {
        tags,
        summary: 'List tags by name; q filters by name prefix',
        querystring: listQuery.extend({ q: z.string().max(50).optional() }),
        response: { 200: listOf(tagSchema), ...commonErrors },
      },
    }, async (req) => taxonomy.listTags(req.actor, req.query))

    app.post('/tags', {
      schema: {
        tags,
        summary: 'Create a tag (the name is normalised: trimmed, inner spaces collapsed, lower case)',
        body: z.strictObject({ name: z.string().max(200), color: color.nullable().optional() }),
        response: { 201: tagSchema, ...commonErrors },
      },
    }, async (req, reply) => reply.status(201).send(await taxonomy.createTag(req.actor, req.body)))

    app.patch('/tags/:name', {
      schema: { tags, summary: "Change a tag's colour (null removes it)", params: tagParam, body: z.strictObject({ color: color.nullable() }), response: { 200: tagSchema, ...commonErrors } },
    }, async (req) => taxonomy.updateTag(req.actor, req.params.name, req.body))

    app.delete('/tags/:name', {
      schema: { tags, summary: 'Delete a tag; it is removed from every conversation', params: tagParam, response: { 204: z.null(), ...commonErrors } },
    }, async (req, reply) => {
      await taxonomy.deleteTag(req.actor, req.params.name)
      return reply.status(204).send(null)
    })

    // Custom fields

    app.get('/custom-fields', { schema: { tags, summary: 'List custom fields', response: { 200: wholeList(customFieldSchema), ...commonErrors } } }, async (req) =>
      taxonomy.listCustomFields(req.actor),
    )

    app.get('/custom-fields/:id', { schema: { tags, summary: 'Get a custom field', params: idParam, response: { 200: customFieldSchema, ...commonErrors } } }, async (req) =>
      taxonomy.getCustomField(req.actor, req.params.id),
    )

    app.post('/custom-fields', {
      schema: {
        tags,
        summary: 'Define a custom field (select fields need options; other types take none)',
        body: z.strictObject({
          key: z.string().regex(customFieldKeyPattern, 'must start with a lower-case letter and hold only a-z, 0-9 and _ (at most 40)'),
          label: name(100),
          type: z.enum(customFieldTypes),
          options: options.optional(),
        }),
        response: { 201: customFieldSchema, ...commonErrors },
      },
    }, async (req, reply) => reply.status(201).send(await taxonomy.createCustomField(req.actor, req.body)))

    app.patch('/custom-fields/:id', {
      schema: {
        tags,
        summary: "Change a custom field's label or a select field's options (key and type are fixed)",
        params: idParam,
        body: z.strictObject({ label: name(100).optional(), options: options.optional() }),
        response: { 200: customFieldSchema, ...commonErrors },
      },
    }, async (req) => taxonomy.updateCustomField(req.actor, req.params.id, req.body))

    app.delete('/custom-fields/:id', {
      schema: { tags, summary: 'Delete a custom field, its values on conversations, and requirements naming it', params: idParam, response: { 204: z.null(), ...commonErrors } },
    }, async (req, reply) => {
      await taxonomy.deleteCustomField(req.actor, req.params.id)
      return reply.status(204).send(null)
    })

    // Case requirements

    app.get('/settings/case-requirements', {
      schema: { tags, summary: 'What must be set on a case before it may be solved or transferred', response: { 200: caseRequirementsSchema, ...commonErrors } },
    }, async (req) => taxonomy.getCaseRequirements(req.actor))

    app.put('/settings/case-requirements', {
      schema: {
        tags,
        summary: 'Replace the requirement rule; items are category, assignee, team, tags or customFields.<key>',
        body: z.strictObject({ solve: requirementList, transfer: requirementList }),
        response: { 200: caseRequirementsSchema, ...commonErrors },
      },
    }, async (req) => taxonomy.setCaseRequirements(req.actor, req.body))
  }
