/*
 * Checked by `tsc --noEmit` (npm run lint), never run: client/ ships to the services without importing us, so its
 * copy of the job type is held to the registration schema here, both ways, and the two cannot drift.
 */
import type { JobDeclaration } from '../../client/scheduler-client';
import type { DeclaredJobBody } from '../../jobs/schema';
import type { Assert, Same } from './same';

export type JobDeclarationMatchesDeclaredJobSchema = Assert<Same<JobDeclaration, DeclaredJobBody>>;
