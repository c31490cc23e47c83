import { existsSync } from 'node:fs';
import { apiClient, uniqueName } from './support/api';
import { deleteSchedules, startTestScheduler, type TestScheduler } from './support/scheduler';
import { startTarget, type Target } from './support/target';
import {
  historyFixturePath,
  historyFixturesOnDisk,
  keepHistoryIfRecording,
  readHistoryFixture,
  replayHistory,
  WORKFLOW_VERSIONS,
} from './support/workflow-histories';
import { WorkflowType } from '../jobs/workflow-types';

/**
 * Workflow code must replay the histories of runs already in flight. Each fresh case records a real run's history
 * and replays it; the committed histories of every workflow version still in the code (WORKFLOW_VERSIONS, written
 * with UPDATE_HISTORY_FIXTURES=1 by this file and test/run-job.int.test.ts) are replayed against today's code, so
 * a change that breaks determinism fails here and needs a new version (docs/workflow-versions.md).
 */
describe('replaying run histories', () => {
  let target: Target;
  let scheduler: TestScheduler;
  let api: ReturnType<typeof apiClient>;
  const created: string[] = [];

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
    await expect(replayHistory(history, run.id)).resolves.toBeUndefined();
    keepHistoryIfRecording(`run-job-${kind}`, run.id, history);
  });

  test('a fresh reconcile pass, history retention on, replays', async () => {
    const workflowId = uniqueName('replay-reconcile');
    const handle = await scheduler.client.workflow.start(WorkflowType.reconcile, {
      taskQueue: scheduler.taskQueue,
      workflowId,
      args: [{ lookbackHours: 1, retentionDays: 1 }],
    });
    await handle.result();
    const history = await handle.fetchHistory();
    await expect(replayHistory(history, workflowId)).resolves.toBeUndefined();
    keepHistoryIfRecording('reconcile-pass', workflowId, history);
  });

  const recorded = Object.entries(WORKFLOW_VERSIONS).flatMap(([version, cases]) =>
    cases.map((kase) => [version, kase] as const),
  );
  test('every workflow version has its recorded histories, and every recorded history its version', () => {
    expect(recorded.filter(([version, kase]) => !existsSync(historyFixturePath(version, kase)))).toEqual([]);
    expect(historyFixturesOnDisk().sort()).toEqual(recorded.map(([version, kase]) => `${version}/${kase}`).sort());
  });
  test.each(recorded)('the recorded history of version %s, %s, still replays', async (version, kase) => {
    const { workflowId, history } = readHistoryFixture(version, kase);
    await expect(replayHistory(history, workflowId)).resolves.toBeUndefined();
  });
});
