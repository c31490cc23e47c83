/*
 * Checked by `tsc --noEmit` (npm run lint), never run: the type names in jobs/workflow-types.ts are the workflows and
 * activities the worker registers, no more and no fewer.
 */
import type { Activities } from '../../activities';
import type { ActivityType, WorkflowType } from '../../jobs/workflow-types';
import type * as workflows from '../../workflows';
import type { Assert, Same } from './same';

type Names<T> = T[keyof T];

export type WorkflowTypesAreTheWorkflows = Assert<Same<Names<typeof WorkflowType>, keyof typeof workflows>>;
export type ActivityTypesAreTheActivities = Assert<Same<Names<typeof ActivityType>, keyof Activities>>;
