// Generates the lab's view of the REST contract from src/surveylab/openapi.yaml:
//   src/generated/openapi.d.ts  request and response types (openapi-typescript)
//   src/generated/limits.ts     the contract's `x-limits` as constants
// `node scripts/generate-api.mjs --check` writes nothing and fails when the
// committed files differ from a fresh generation (run by `npm run lint`).
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { dirname, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import yaml from 'js-yaml';
import openapiTS, { astToString } from 'openapi-typescript';
import * as prettier from 'prettier';

const here = dirname(fileURLToPath(import.meta.url));
const root = dirname(here);
const contract = `${root}/../src/surveylab/openapi.yaml`;
const typesFile = `${root}/src/generated/openapi.d.ts`;
const limitsFile = `${root}/src/generated/limits.ts`;
const source = relative(root, contract);

const HEADER = `// Generated from ${source} by scripts/generate-api.mjs (npm run generate:api).
// Do not edit: change the contract and regenerate.
`;

/** The value at a local JSON pointer such as `#/components/schemas/Label/maximum`. */
function resolvePointer(document, pointer) {
  if (!pointer.startsWith('#/')) {
    throw new Error(`${pointer} is not a local JSON pointer`);
  }
  let value = document;
  for (const token of pointer.slice(2).split('/')) {
    const key = token.replace(/~1/g, '/').replace(/~0/g, '~');
    if (value === null || typeof value !== 'object' || !(key in value)) {
      throw new Error(`${source}: ${pointer} leads nowhere (at "${key}")`);
    }
    value = value[key];
  }
  return value;
}

function limitsModule(document) {
  const pointers = document['x-limits'] ?? {};
  const lines = [
    HEADER,
    "// The REST API's limits (the contract's `x-limits`), each with where it is written.\n"
  ];
  for (const [name, pointer] of Object.entries(pointers)) {
    const value = resolvePointer(document, pointer);
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw new Error(`${source}: limit ${name} (${pointer}) is not a number`);
    }
    lines.push(`/** \`${pointer}\` */`, `export const ${name} = ${value};`);
  }
  return lines.join('\n') + '\n';
}

async function format(text, file) {
  const options = (await prettier.resolveConfig(file)) ?? {};
  return prettier.format(text, { ...options, filepath: file });
}

async function generate() {
  const text = await readFile(contract, 'utf8');
  const document = yaml.load(text);
  const ast = await openapiTS(pathToFileURL(contract), {
    // request fields with a default stay optional; `type: object` is any object
    defaultNonNullable: false,
    emptyObjectsUnknown: true
  });
  return new Map([
    [typesFile, await format(HEADER + '\n' + astToString(ast), typesFile)],
    [limitsFile, await format(limitsModule(document), limitsFile)]
  ]);
}

const check = process.argv.includes('--check');
const files = await generate();
let stale = 0;
for (const [file, content] of files) {
  const name = relative(root, file);
  if (check) {
    const committed = await readFile(file, 'utf8').catch(() => null);
    if (committed !== content) {
      stale += 1;
      console.error(
        `${name} is not what ${source} generates: run \`npm run generate:api\` and commit it`
      );
    }
  } else {
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, content);
  }
}
process.exitCode = stale > 0 ? 1 : 0;
