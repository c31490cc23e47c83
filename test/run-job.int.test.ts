import { activityInfo, heartbeat, sleep } from '@temporalio/activity';
import { ApplicationFailure, CancelledFailure, WorkflowFailedError } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { type InjectedSinks, Worker } from '@temporalio/worker';
import type { Activities, CallRequest } from '../activities';
import { resolveTemporalCli } from '../devserver/dev-server';
import type { ExecutionRecord } from '../jobs/execution';
import type { ExecutionEnded, ExecutionSinks } from '../jobs/execution-events';
import { mirrorTaskQueueOf } from '../jobs/ids';
import { DEFAULT_RETRY, JOB_DEFAULTS, type JobDefinition } from '../jobs/job';
import { CALL_FAILURE, type CallFailureDetails, type CallResult, type RunJobInput } from '../jobs/run-input';
import type { runJob } from '../workflows';
import { uniqueName } from './support/api';
import { quietRuntime } from './support/scheduler';
import { keepHistoryIfRecording, replayHistory } from './support/workflow-histories';
import { WorkflowType } from '../jobs/workflow-types';

/**
 * runJob's decisions, with its activities mocked: the real workflow code (the integration run's bundle) on a
 * Temporal dev server of this file's own, the project's CLI started by `TestWorkflowEnvironment` (never a
 * download; loopback, version check off). An integration test because it needs that binary and a server process;
 * each case takes well under a second once the server is up. Every case's history also replays; the child and
 * cancellation cases are the recorded histories of those paths (test/replay.int.test.ts).
 */
describe('runJob, its activities mocked', () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    quietRuntime(); // the cases fail and cancel runs on purpose
    env = await TestWorkflowEnvironment.createLocal({
      server: { executable: { type: 'existing-path', path: resolveTemporalCli() }, ip: '127.0.0.1' },
    });
  });
  afterAll(() => env?.teardown());

  const job: JobDefinition = {
    ...JOB_DEFAULTS,
    name: 'digest',
    service: 'email-service',
    endpoint: '/jobs/digest',
    cron: '@daily',
    payload: {},
    retry: { ...DEFAULT_RETRY, initialIntervalSeconds: 1 },
  };
  const input: RunJobInput = { job, trigger: 'schedule', triggeredBy: null, retryOf: null };
  /** An occurrence's id as Temporal gives it: the nominal time appended. */
  const scheduledWorkflowId = () => `job-run-${uniqueName('digest')}-2026-11-30T08:00:00Z`;

  /** A row the mocked mirror took: by which workflow, and whether in place (a local activity) or on a task queue. */
  interface Row {
    status: ExecutionRecord['status'];
    by: string | undefined;
    on: string;
    record: ExecutionRecord;
  }
  interface Mocks {
    /** Called once the start row is written, so that both rows are there when the run ends. */
    callService(req: CallRequest): Promise<CallResult>;
    /** The in-place end row write; default: the mirror takes it. */
    writeInPlace?(): Promise<void>;
  }

  /** Runs `body` with the run's worker and the mirror's, on a task queue of its own, and what they saw. */
  async function withWorkers<T>(mocks: Mocks, body: (taskQueue: string) => Promise<T>) {
    const taskQueue = uniqueName('run-job');
    const rows: Row[] = [];
    const events: string[] = [];
    const calls: CallRequest[] = [];
    let startRowWritten!: () => void;
    const started = new Promise<void>((resolve) => (startRowWritten = resolve));
    const activities: Pick<Activities, 'callService' | 'recordExecution'> = {
      async callService(req) {
        calls.push(req);
        await started;
        return mocks.callService(req);
      },
      async recordExecution(record) {
        const info = activityInfo();
        if (info.isLocal && mocks.writeInPlace) await mocks.writeInPlace();
        // Temporal may run a run's last workflow task again (it refuses a completion while an event, e.g. the start
        // row's write, comes in meanwhile): the idempotent in-place write then repeats, its record as of the new try
        const row = { status: record.status, by: info.workflowType, on: info.isLocal ? 'in place' : info.taskQueue };
        const again = rows.some((seen) => seen.status === row.status && seen.by === row.by && seen.on === row.on);
        if (!again) rows.push({ ...row, record });
        if (record.status === 'running') startRowWritten();
      },
    };
    const sinks: InjectedSinks<ExecutionSinks> = {
      executions: {
        // sinks run at least once: a last workflow task run again (see above) ends the run again
        started: { fn: () => void pushOnce(events, 'started') },
        ended: { fn: (_info, e: ExecutionEnded) => void pushOnce(events, `ended ${e.status}, attempts ${e.attempts}`) },
      },
    };
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowBundle: { codePath: process.env.SCHEDULER_WORKFLOW_BUNDLE! },
      activities,
      sinks,
      // the call's cancellation reaches it with its next heartbeat
      defaultHeartbeatThrottleInterval: '100ms',
      maxHeartbeatThrottleInterval: '100ms',
    });
    const mirror = await Worker.create({
      connection: env.nativeConnection,
      taskQueue: mirrorTaskQueueOf(taskQueue),
      activities: { recordExecution: activities.recordExecution },
    });
    const result = await worker.runUntil(() => mirror.runUntil(() => body(taskQueue)));
    return { result, rows, events, calls, mirrorQueue: mirrorTaskQueueOf(taskQueue) };
  }

  /** Starts the run; resolves with what it ended with (its result or its failure) once it has closed. */
  async function run(taskQueue: string, workflowId: string, then?: () => Promise<unknown>) {
    const handle = await env.client.workflow.start<typeof runJob>(WorkflowType.runJob, {
      taskQueue,
      workflowId,
      args: [input],
    });
    await then?.();
    const outcome = await handle.result().then(
      (value) => ({ value, error: undefined }),
      (error: unknown) => ({ value: undefined, error }),
    );
    const history = await handle.fetchHistory();
    await expect(replayHistory(history, workflowId)).resolves.toBeUndefined();
    return { ...outcome, history, handle };
  }

  test('a succeeded call writes the start row on the mirror queue and the end row in place, and returns the end record', async () => {
    const workflowId = scheduledWorkflowId();
    const { result, rows, events, calls, mirrorQueue } = await withWorkers(
      { callService: () => Promise.resolve({ httpStatus: 200, attempt: 1, response: 'sent' }) },
      (taskQueue) => run(taskQueue, workflowId),
    );
    expect(calls).toEqual([
      { job, executionId: workflowId, scheduledAt: '2026-11-30T08:00:00.000Z', trigger: 'schedule' },
    ]);
    expect(rows.map(({ status, by, on }) => ({ status, by, on }))).toEqual([
      { status: 'running', by: WorkflowType.runJob, on: mirrorQueue },
      { status: 'succeeded', by: WorkflowType.runJob, on: 'in place' },
    ]);
    const end = rows[1]!.record;
    expect(end).toMatchObject({
      id: workflowId,
      workflowId,
      jobName: 'digest',
      service: 'email-service',
      trigger: 'schedule',
      scheduledAt: '2026-11-30T08:00:00.000Z',
      status: 'succeeded',
      attempts: 1,
      httpStatus: 200,
      response: 'sent',
      error: null,
    });
    expect(Date.parse(end.completedAt!) - Date.parse(end.startedAt)).toBe(end.durationMs);
    expect(result.value).toEqual(end);
    expect(events).toEqual(['started', 'ended succeeded, attempts 1']);
  });

  test('a call failed for good is not retried and fails the run, the end record in the failure details', async () => {
    const workflowId = scheduledWorkflowId();
    const details: CallFailureDetails = { attempt: 1, httpStatus: 404, timedOut: false, response: 'no such job' };
    const { result, rows, events, calls } = await withWorkers(
      {
        callService: () =>
          Promise.reject(
            ApplicationFailure.create({
              type: CALL_FAILURE.client, // non-retryable by the job's retry policy, not by the failure
              message: 'POST /jobs/digest answered HTTP 404: no such job',
              details: [details],
            }),
          ),
      },
      (taskQueue) => run(taskQueue, workflowId),
    );
    expect(calls).toHaveLength(1);
    expect(rows.map((row) => row.status)).toEqual(['running', 'failed']);
    const end = rows[1]!.record;
    expect(end).toMatchObject({
      status: 'failed',
      attempts: 1,
      httpStatus: 404,
      response: 'no such job',
      error: 'POST /jobs/digest answered HTTP 404: no such job',
    });
    expect(result.error).toBeInstanceOf(WorkflowFailedError);
    const failure = (result.error as WorkflowFailedError).cause;
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({ type: 'JobRunFailed', nonRetryable: true, message: end.error });
    expect((failure as ApplicationFailure).details).toEqual([end]);
    expect(events).toEqual(['started', 'ended failed, attempts 1']);
  });

  test.each([
    [
      'refuses it',
      () => Promise.reject(new Error('canceling statement due to lock timeout')),
      'run-job-end-row-to-child',
    ],
    ['is slower than 250 ms', () => sleep(2000).then(() => Promise.reject(new Error('too late'))), null],
  ])(
    'when the mirror %s in place, the end row goes to the mirrorExecution child and the run ends',
    async (_, write, recordAs) => {
      const workflowId = scheduledWorkflowId();
      const { result, rows, events, mirrorQueue } = await withWorkers(
        {
          callService: () => Promise.resolve({ httpStatus: 200, attempt: 1, response: null }),
          writeInPlace: write,
        },
        async (taskQueue) => {
          const ran = await run(taskQueue, workflowId);
          // abandoned by the run, the child outlives it: wait for it to write the row
          await env.client.workflow.getHandle(`${workflowId}-mirror`).result();
          if (recordAs) keepHistoryIfRecording(recordAs, workflowId, ran.history);
          return ran;
        },
      );
      expect(rows.map(({ status, by, on }) => ({ status, by, on }))).toEqual([
        { status: 'running', by: WorkflowType.runJob, on: mirrorQueue },
        { status: 'succeeded', by: WorkflowType.mirrorExecution, on: mirrorQueue },
      ]);
      expect(result.value).toEqual(rows[1]!.record);
      expect(events).toEqual(['started', 'ended succeeded, attempts 1']);
    },
  );

  test('a run cancelled mid-call still gets its end row, cancelled, and ends cancelled', async () => {
    const workflowId = scheduledWorkflowId();
    let callStarted!: () => void;
    const calling = new Promise<void>((resolve) => (callStarted = resolve));
    const { result, rows, events } = await withWorkers(
      {
        async callService() {
          callStarted();
          for (;;) {
            heartbeat();
            await sleep(100); // throws once the cancellation arrives
          }
        },
      },
      async (taskQueue) => {
        const ran = await run(taskQueue, workflowId, async () => {
          await calling;
          await env.client.workflow.getHandle(workflowId).cancel();
        });
        keepHistoryIfRecording('run-job-cancelled', workflowId, ran.history);
        return ran;
      },
    );
    expect(result.error).toBeInstanceOf(WorkflowFailedError);
    expect((result.error as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
    expect(rows.map(({ status, on }) => ({ status, on: on === 'in place' ? on : 'mirror queue' }))).toEqual([
      { status: 'running', on: 'mirror queue' },
      { status: 'cancelled', on: 'in place' },
    ]);
    expect(rows[1]!.record).toMatchObject({ status: 'cancelled', error: 'cancelled', attempts: 0 });
    expect(rows[1]!.record.completedAt).not.toBeNull();
    expect(events).toEqual(['started', 'ended cancelled, attempts null']);
  });
});

/** Appends `item` unless it is already there. */
function pushOnce(items: string[], item: string): void {
  if (!items.includes(item)) items.push(item);
}
