import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { NO_EXECUTION_SINKS } from '../../worker/worker';

/**
 * Every workflow version the code still runs or replays (docs/workflow-versions.md), each with the recorded
 * histories that prove it replays: `test/fixtures/histories/<version>/<case>.json`. A version's branch leaves the
 * code together with its row here and its folder.
 */
export const WORKFLOW_VERSIONS: Readonly<Record<string, readonly string[]>> = {
  '1.0': [
    'run-job-succeeded-after-retry',
    'run-job-failed-at-once',
    'run-job-end-row-to-child',
    'run-job-cancelled',
    'reconcile-pass',
  ],
};
/** The version today's code starts runs at: fresh recordings are its fixtures. */
const CURRENT_WORKFLOW_VERSION = '1.0';

const HISTORY_FIXTURES = path.join(__dirname, '..', 'fixtures', 'histories');
const { History } = temporal.api.history.v1;
type History = temporal.api.history.v1.IHistory;

/** A recorded history as committed: the workflow id and the history, protobuf as the server sent it, base64. */
interface HistoryFixture {
  workflowId: string;
  history: string;
}

export const historyFixturePath = (version: string, kase: string) =>
  path.join(HISTORY_FIXTURES, version, `${kase}.json`);

/** Every `<version>/<case>` under the fixtures folder, listed in {@link WORKFLOW_VERSIONS} or not. */
export function historyFixturesOnDisk(): string[] {
  return readdirSync(HISTORY_FIXTURES, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .flatMap((dir) =>
      readdirSync(path.join(HISTORY_FIXTURES, dir.name))
        .filter((file) => file.endsWith('.json'))
        .map((file) => `${dir.name}/${file.replace(/\.json$/, '')}`),
    );
}

/** @throws when the fixture's file is missing or unreadable */
export function readHistoryFixture(version: string, kase: string): { workflowId: string; history: History } {
  const file = historyFixturePath(version, kase);
  if (!existsSync(file)) throw new Error(`no recorded history ${file}: record it with UPDATE_HISTORY_FIXTURES=1`);
  const { workflowId, history } = JSON.parse(readFileSync(file, 'utf8')) as HistoryFixture;
  return { workflowId, history: History.decode(Buffer.from(history, 'base64')) };
}

/**
 * With `UPDATE_HISTORY_FIXTURES=1`, keeps a freshly recorded history as the current version's fixture `kase`.
 * @throws when `kase` is not one of the current version's cases: the table decides what is recorded
 */
export function keepHistoryIfRecording(kase: string, workflowId: string, history: History): void {
  if (!WORKFLOW_VERSIONS[CURRENT_WORKFLOW_VERSION]?.includes(kase))
    throw new Error(`${kase} is not a case of workflow version ${CURRENT_WORKFLOW_VERSION} (WORKFLOW_VERSIONS)`);
  if (process.env.UPDATE_HISTORY_FIXTURES !== '1') return;
  const file = historyFixturePath(CURRENT_WORKFLOW_VERSION, kase);
  mkdirSync(path.dirname(file), { recursive: true });
  const encoded = Buffer.from(History.encode(history).finish()).toString('base64');
  writeFileSync(file, `${JSON.stringify({ workflowId, history: encoded } satisfies HistoryFixture)}\n`);
}

/**
 * Replays a history against the workflow bundle the integration run built (today's code).
 * @throws `DeterminismViolationError` when today's code would not make the recorded decisions
 */
export function replayHistory(history: History, workflowId: string): Promise<void> {
  return Worker.runReplayHistory(
    // the worker's sinks, as no-ops: sinks are never called on replay, but a workflow must find them registered
    { workflowBundle: { codePath: process.env.SCHEDULER_WORKFLOW_BUNDLE! }, sinks: NO_EXECUTION_SINKS },
    history,
    workflowId,
  );
}
