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
  watchJob: 'watchJob',
} as const;

/** Activity type names: the keys of activities/index.ts's `createActivities`. */
export const ActivityType = {
  callService: 'callService',
  recordExecution: 'recordExecution',
  reconcileMirror: 'reconcileMirror',
  pruneHistory: 'pruneHistory',
  deliverAlert: 'deliverAlert',
  listAlertDestinations: 'listAlertDestinations',
  readJobHealth: 'readJobHealth',
  findUnexplained: 'findUnexplained',
  recordAlert: 'recordAlert',
} as const;

/** Signal names of the alert watch (workflows/watch-job.ts). */
export const WatchSignal = {
  /** Runs of the job that ended unsuccessful: `WatchedRun[]`, in the order they were told. */
  runsEnded: 'runsEnded',
  /** Temporal's counters of the schedule: `{skipped, missed}`. */
  counters: 'counters',
  /** The job's rules changed: `WatchRules`. */
  rules: 'rules',
} as const;

/** Signal names of a run (workflows/run-job.ts). */
export const RunSignal = {
  /** An admin asked to cancel the run, just before cancelling it: `{by}` (who), recorded in its end row. */
  cancelRequested: 'cancelRequested',
} as const;
