/*
 * Checked by `tsc --noEmit` (npm run lint), never run: the client package declares the API's answers without
 * importing the scheduler, so every field it declares is held to the API's schemas here. One way only: the API may
 * answer more than a client of an older version knows.
 */
import type {
  AlertView as ClientAlertView,
  ExecutionView as ClientExecutionView,
  JobDetailView as ClientJobDetailView,
  JobView as ClientJobView,
} from '../../client/views';
import type { AlertView } from '../../api/schemas/alerts';
import type { ExecutionView } from '../../api/schemas/executions';
import type { JobDetailView, JobView } from '../../api/schemas/jobs';
import type { Assert } from './same';

/** True when every answer of type A is a B, and B declares no key A lacks. */
type Answers<A, B> = [A] extends [B] ? ([keyof B] extends [keyof A] ? true : false) : false;

export type ApiJobViewIsClientJobView = Assert<Answers<JobView, ClientJobView>>;
export type ApiJobDetailViewIsClientJobDetailView = Assert<Answers<JobDetailView, ClientJobDetailView>>;
export type ApiExecutionViewIsClientExecutionView = Assert<Answers<ExecutionView, ClientExecutionView>>;
export type ApiAlertViewIsClientAlertView = Assert<Answers<AlertView, ClientAlertView>>;
