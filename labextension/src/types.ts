/**
 * The surveylab REST contract's types, as the lab uses them.
 *
 * Every endpoint lives under `<baseUrl>/surveylab/api/`. The types are
 * generated from the contract (`src/surveylab/openapi.yaml`) into
 * `generated/openapi.d.ts` by `npm run generate:api`; `npm run lint` fails
 * when the generated file is stale. Name a schema here rather than writing
 * its fields again.
 */
import type { components, operations } from './generated/openapi';

/** The contract's schemas (`#/components/schemas`). */
export type Schemas = components['schemas'];

/** The JSON body of a successful answer (200 or 201) of an operation. */
export type ResponseBody<Operation extends keyof operations> =
  operations[Operation]['responses'] extends {
    200: { content: { 'application/json': infer Body } };
  }
    ? Body
    : operations[Operation]['responses'] extends {
          201: { content: { 'application/json': infer Body } };
        }
      ? Body
      : never;

/** One table of the data release, as listed by `GET /surveylab/api/info`. */
export type ISurveyTable = Schemas['TableSummary'];

/** The body of `GET /surveylab/api/info`. */
export type ISurveyInfo = Schemas['ReleaseInfo'];

/** The body of `GET /surveylab/api/lab`: facts about this lab. */
export type ILabInfo = ResponseBody<'getLab'>;

/** The JSON body of every error response (4xx and 5xx). */
export type IErrorBody = Schemas['Error'];
