// `npm run gen:api`: regenerates web/src/api/schema.d.ts from the server's OpenAPI document.
import fs from 'node:fs'
import { generateApiTypes, schemaFile } from './openapi-types.ts'

const text = await generateApiTypes()
fs.writeFileSync(schemaFile, text)
console.log(`wrote ${schemaFile} (${text.length} characters)`)
process.exit(0)
