/*
 * Checked by `tsc --noEmit` (npm run lint), never run: client/ ships to the services without importing us, so its
 * copy of the job type is held to the registration schema here, both ways, and the two cannot drift.
 */
import type { JobDeclaration } from '../../client/scheduler-client';
import type { DeclaredJobBody } from '../../jobs/schema';

/** Each assignable to the other, with the same keys (an extra optional key would pass assignability alone). */
type Match<A, B> = [A] extends [B]
  ? [B] extends [A]
    ? [keyof A] extends [keyof B]
      ? [keyof B] extends [keyof A]
        ? true
        : false
      : false
    : false
  : false;
type Assert<T extends true> = T;

export type JobDeclarationMatchesDeclaredJobSchema = Assert<Match<JobDeclaration, DeclaredJobBody>>;
