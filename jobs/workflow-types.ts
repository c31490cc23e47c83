/*
 * Temporal's names for our workflow and activity types, in one place: schedules, starts, visibility queries, history
 * reads and tests use these, never a bare string. test/types/workflow-types.ts holds them to workflows/index.ts's
 * exports and to the activities' keys at compile time.
 */

/** Workflow type names: the functions workflows/index.ts exports. */
export const WorkflowType = {
  runJob: 'runJob',
  mirrorExecution: 'mirrorExecution',
  reconcile: 'reconcile',
} as const;

/** Activity type names: the keys of activities/index.ts's `createActivities`. */
export const ActivityType = {
  callService: 'callService',
  recordExecution: 'recordExecution',
  reconcileMirror: 'reconcileMirror',
  pruneHistory: 'pruneHistory',
} as const;
