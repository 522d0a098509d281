/**
 * Writes schemas/json-schema/continuity-event.v<n>.schema.json (one per catalog version) from the zod
 * schemas, for producers that cannot import TypeScript.
 * Usage: npx tsx scripts/generate-json-schema.ts [--check]
 */
import { fileURLToPath, pathToFileURL } from 'node:url';
import { writeGenerated } from './write-generated.ts';
import { catalogVersion } from '../schemas/events.ts';
import { jsonSchemaFile, renderEventJsonSchema } from '../schemas/json-schema.ts';

function main() {
  // One file per catalog version: producers still on an older version keep theirs.
  for (let version = 1; version <= catalogVersion(); version++) {
    const file = fileURLToPath(jsonSchemaFile(version));
    writeGenerated(file, renderEventJsonSchema(version), 'scripts/generate-json-schema.ts');
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) main();
