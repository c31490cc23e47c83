import { Type } from '@sinclair/typebox';
import { DeclaredJobSchema } from '../../jobs/schema';

const Names = Type.Array(Type.String());

/** `/api/services/:service/jobs`. */
export const ServiceParams = Type.Object(
  { service: Type.String({ minLength: 1, maxLength: 100 }) },
  { additionalProperties: false },
);

export const DeclaredSetQuery = Type.Object(
  {
    dryRun: Type.Boolean({
      default: false,
      description: 'Answer the diff without applying it.',
    }),
  },
  { additionalProperties: false },
);

/** A service's whole declared set; each job is the domain's `DeclaredJobSchema`. */
export const DeclaredSetBody = Type.Object(
  { jobs: Type.Array(DeclaredJobSchema, { maxItems: 500 }) },
  { additionalProperties: false },
);

/** What the set changed (or, with `dryRun`, would change), by job name. */
export const DeclaredSetReply = Type.Object({
  dryRun: Type.Boolean(),
  created: Names,
  updated: Names,
  unchanged: Names,
  removed: Names,
  kept: Names,
  reasons: Type.Record(Type.String(), Type.String(), {
    description: 'Why each removed or kept job was, by name.',
  }),
});
