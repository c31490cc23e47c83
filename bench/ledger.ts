import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freeLoopbackPort } from '../devserver/dev-server';
import { scheduledWorkflowIdOf } from '../jobs/ids';
import { DEFAULT_RETRY, JOB_DEFAULTS, type JobDefinition } from '../jobs/job';
import { createSqliteStore } from '../store/sqlite/sqlite-store';
import { describeSummary, startBenchTemporal, startScheduler, summarize, timed, writeResults } from './harness';

/**
 * `npm run bench:ledger`: what the occurrence ledger costs on this machine. A job that runs every minute with
 * `BENCH_LEDGER_DAYS` (7) days of runs in the embedded SQLite mirror (one run per minute, every tenth of them a
 * `failed` one, plus a day before the window); the scheduler runs as deployed (node dist/main.js, the pod's Node
 * settings) and `GET /api/jobs/:name/occurrences` over those days is read `BENCH_LEDGER_READS` (20) times, one at a
 * time. Figures are printed and written to bench/results/ledger-<time>.json.
 */
const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const DAYS = env('BENCH_LEDGER_DAYS', 7);
const READS = env('BENCH_LEDGER_READS', 20);
const NAME = 'ledger-every-minute';
const MINUTE = 60_000;

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-ledger-'));
  const dataDir = path.join(dir, 'data');
  mkdirSync(dataDir);
  const to = Math.floor(Date.now() / MINUTE) * MINUTE - 2 * MINUTE;
  const from = to - DAYS * 1440 * MINUTE;
  const seeded = await timed(() => seed(dataDir, from - 1440 * MINUTE, to));
  console.log(`seeded ${(DAYS + 1) * 1440} runs in ${(seeded / 1000).toFixed(1)} s`);

  const temporal = await startBenchTemporal(dir);
  const scheduler = await startScheduler({
    port: await freeLoopbackPort(),
    env: { TEMPORAL_ADDRESS: temporal.address, SCHEDULER_DATA_DIR: dataDir, SCHEDULER_RECONCILE_MINUTES: '0' },
  });
  try {
    const url = `${scheduler.url}/api/jobs/${NAME}/occurrences?from=${new Date(from).toISOString()}&to=${new Date(to).toISOString()}`;
    let bytes = 0;
    let counts: unknown = null;
    const read = async () => {
      const res = await fetch(url);
      const text = await res.text();
      if (res.status !== 200) throw new Error(`${res.status}: ${text.slice(0, 300)}`);
      bytes = text.length;
      counts = (JSON.parse(text) as { counts: unknown }).counts;
    };
    await read(); // warm: the plan's calendar and SQLite's pages
    const times: number[] = [];
    for (let i = 0; i < READS; i++) times.push(await timed(read));
    const summary = summarize(times);
    console.log(`ledger, ${DAYS} days of a per-minute job: ${describeSummary(summary)}; ${bytes} bytes`);
    console.log(`counts: ${JSON.stringify(counts)}`);
    writeResults('ledger', { days: DAYS, reads: READS, summary, bytes, counts });
  } finally {
    await scheduler.stop();
    await temporal.stop();
  }
}

/** The job's row, registered a day before `from`, and a run for each minute of [from, to). */
async function seed(dataDir: string, from: number, to: number): Promise<void> {
  const store = createSqliteStore(path.join(dataDir, 'scheduler.db'));
  const definition: JobDefinition = {
    ...JOB_DEFAULTS,
    name: NAME,
    service: 'bench-service',
    endpoint: '/tick',
    cron: '* * * * *',
    payload: {},
    retry: { ...DEFAULT_RETRY },
  };
  await store.upsertJob({
    definition,
    paused: false,
    pauseNote: null,
    scheduleNote: null,
    createdAt: new Date(from - 1440 * MINUTE).toISOString(),
    updatedAt: new Date(from).toISOString(),
    scheduleUpdatedAt: null,
    times: { nextRunTimes: [], skipped: 0, missed: 0 },
  });
  for (let at = from, i = 0; at < to; at += MINUTE, i++) {
    const id = scheduledWorkflowIdOf(NAME, new Date(at));
    await store.recordExecution({
      id,
      jobName: NAME,
      service: 'bench-service',
      status: i % 10 === 0 ? 'failed' : 'succeeded',
      trigger: 'schedule',
      triggeredBy: null,
      retryOf: null,
      scheduledAt: new Date(at).toISOString(),
      startedAt: new Date(at + 40).toISOString(),
      completedAt: new Date(at + 240).toISOString(),
      durationMs: 200,
      attempts: 1,
      httpStatus: i % 10 === 0 ? 500 : 200,
      error: i % 10 === 0 ? 'HTTP 500' : null,
      response: '{"ok":true}',
      workflowId: id,
      runId: null,
    });
  }
  await store.close();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
