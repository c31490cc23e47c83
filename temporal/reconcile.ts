import { ScheduleAlreadyRunning, type Client, type ScheduleOptions } from '@temporalio/client';
import type { ReconcileInput } from '../jobs/reconcile';
import { deleteSchedule } from './schedules';
import { WorkflowType } from '../jobs/workflow-types';

export const RECONCILE_SCHEDULE_ID = 'scheduler-reconcile';

/** The reconciler's schedule and the input its passes take (`ReconcileInput`). */
export interface ReconcileSettings {
  taskQueue: string;
  /** 0 turns the schedule off (and deletes it). */
  everyMinutes: number;
  lookbackHours: number;
  /** History retention in days; 0 keeps every row. */
  retentionDays: number;
}

const reconcileInputOf = ({ lookbackHours, retentionDays }: ReconcileSettings): ReconcileInput => ({
  lookbackHours,
  retentionDays,
});

/** The passes of the schedule are incremental (`everyMinutes`); a pass run on demand describes every schedule. */
const scheduledInputOf = (settings: ReconcileSettings): ReconcileInput => ({
  ...reconcileInputOf(settings),
  everyMinutes: settings.everyMinutes,
});

/** Creates, updates or (every 0) deletes the reconciler's own schedule. Safe from every replica at every start. */
export async function ensureReconcileSchedule(client: Client, settings: ReconcileSettings): Promise<void> {
  if (settings.everyMinutes === 0) return deleteSchedule(client, RECONCILE_SCHEDULE_ID);
  const options: ScheduleOptions = {
    scheduleId: RECONCILE_SCHEDULE_ID,
    spec: { intervals: [{ every: `${settings.everyMinutes}m` }] },
    action: {
      type: 'startWorkflow',
      workflowType: WorkflowType.reconcile,
      taskQueue: settings.taskQueue,
      workflowId: `${RECONCILE_SCHEDULE_ID}-run`,
      args: [scheduledInputOf(settings)],
    },
    policies: { overlap: 'SKIP', catchupWindow: '1m' },
    state: { note: 'reconciles the mirror with Temporal' },
  };
  try {
    await client.schedule.create(options);
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
    await client.schedule.getHandle(RECONCILE_SCHEDULE_ID).update((prev) => ({
      ...prev,
      spec: options.spec,
      action: options.action,
      policies: options.policies,
    }));
  }
}

/**
 * Runs the reconciler now, a full pass (every schedule described), and waits up to `waitMs` for its report: null when the pass is still running (its
 * workflow id says where to watch it). Concurrent calls join the pass already running rather than starting another.
 */
export async function reconcileNow<R>(
  client: Client,
  settings: ReconcileSettings,
  waitMs = 60_000,
): Promise<{ workflowId: string; report: R | null }> {
  const handle = await client.workflow.start(WorkflowType.reconcile, {
    taskQueue: settings.taskQueue,
    workflowId: `${RECONCILE_SCHEDULE_ID}-manual`,
    workflowIdConflictPolicy: 'USE_EXISTING',
    args: [reconcileInputOf(settings)],
    workflowExecutionTimeout: '15m',
  });
  // a race against a cleared timer: handle.result() takes no signal, and the run goes on after we stop waiting
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), waitMs)));
  try {
    const report = await Promise.race([handle.result() as Promise<R>, late]);
    return { workflowId: handle.workflowId, report };
  } finally {
    clearTimeout(timer);
  }
}
