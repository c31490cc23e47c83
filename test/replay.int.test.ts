import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { NO_EXECUTION_SINKS } from '../worker/worker';
import { apiClient, uniqueName } from './support/api';
import { deleteSchedules, startTestScheduler, type TestScheduler } from './support/scheduler';
import { startTarget, type Target } from './support/target';

/**
 * Workflow code must replay the histories of runs already in flight. Each case records a real run's history; the
 * committed ones under test/fixtures/histories (written with UPDATE_HISTORY_FIXTURES=1) are replayed against the
 * current workflow code, so a change that breaks determinism fails here and needs `patched()`.
 */
const FIXTURES = path.join(__dirname, 'fixtures', 'histories');
const { History } = temporal.api.history.v1;

describe('replaying run histories', () => {
  let target: Target;
  let scheduler: TestScheduler;
  let api: ReturnType<typeof apiClient>;
  const created: string[] = [];
  const replay = (history: unknown, workflowId: string) =>
    Worker.runReplayHistory(
      // the worker's sinks, as no-ops: sinks are never called on replay, but a workflow must find them registered
      { workflowBundle: { codePath: process.env.SCHEDULER_WORKFLOW_BUNDLE! }, sinks: NO_EXECUTION_SINKS },
      history,
      workflowId,
    );

  beforeAll(async () => {
    target = await startTarget();
    scheduler = await startTestScheduler({ REPLAY_SERVICE_URL: target.url });
    api = apiClient(scheduler.url);
  });
  afterAll(async () => {
    await deleteSchedules(scheduler.client, created);
    await scheduler.stop();
    await target.close();
  });

  test.each([
    ['succeeded-after-retry', [{ status: 503 }, { status: 200, body: 'ok' }]],
    ['failed-at-once', [{ status: 404 }]],
  ])('a fresh %s run replays', async (kind, answers) => {
    const name = uniqueName('replay');
    created.push(name);
    const endpoint = `/replay/${name}`;
    target.answer(endpoint, answers);
    await api.register({
      name,
      service: 'replay-service',
      endpoint,
      cron: '0 0 1 1 *',
      enabled: false,
      retry: { initialIntervalSeconds: 1 },
    });
    const run = await api.finished((await api.trigger(name)).body.execution.id);
    const handle = scheduler.client.workflow.getHandle(run.id);
    // the end row lands as the run's last workflow task runs: wait for the run itself to close, so the whole
    // history is recorded
    await handle.result().catch(() => undefined);
    const history = await handle.fetchHistory();
    await expect(replay(history, run.id)).resolves.toBeUndefined();
    if (process.env.UPDATE_HISTORY_FIXTURES === '1') {
      const encoded = Buffer.from(History.encode(history).finish()).toString('base64');
      writeFileSync(
        path.join(FIXTURES, `run-job-${kind}.json`),
        JSON.stringify({ workflowId: run.id, history: encoded }),
      );
    }
  });

  test('a fresh reconcile pass, history retention on, replays', async () => {
    const workflowId = uniqueName('replay-reconcile');
    const handle = await scheduler.client.workflow.start('reconcile', {
      taskQueue: scheduler.taskQueue,
      workflowId,
      args: [{ lookbackHours: 1, retentionDays: 1 }],
    });
    await handle.result();
    const history = await handle.fetchHistory();
    await expect(replay(history, workflowId)).resolves.toBeUndefined();
    if (process.env.UPDATE_HISTORY_FIXTURES === '1') {
      const encoded = Buffer.from(History.encode(history).finish()).toString('base64');
      writeFileSync(path.join(FIXTURES, 'reconcile-pass.json'), JSON.stringify({ workflowId, history: encoded }));
    }
  });

  const fixtures = readdirSync(FIXTURES).filter((f) => f.endsWith('.json'));
  test('there are recorded histories to replay', () => expect(fixtures.length).toBeGreaterThanOrEqual(2));
  test.each(fixtures)('the recorded history %s still replays', async (file) => {
    const { workflowId, history } = JSON.parse(readFileSync(path.join(FIXTURES, file), 'utf8')) as {
      workflowId: string;
      history: string; // protobuf, base64: exactly what the server sent
    };
    await expect(replay(History.decode(Buffer.from(history, 'base64')), workflowId)).resolves.toBeUndefined();
  });
});
