import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Registry } from 'prom-client';
import { DEFAULT_RETRY, JOB_DEFAULTS } from '../jobs/job';
import { registerJobMetrics } from '../observability/job-metrics';
import { NO_TIMES } from '../store/job-store';
import { writeResults } from './harness';
import { createSqliteStore } from '../store/sqlite/sqlite-store';

/**
 * `npm run bench:job-metrics`: what a Prometheus scrape of the per-job series costs with `BENCH_METRICS_JOBS` jobs
 * (default 10,000) in a SQLite mirror, each with `BENCH_METRICS_RUNS` ended runs (default 20, a full recent-runs
 * window on every row). Prints the time of a scrape that reads the mirror (median of 5) and of one the 5 s cache
 * answers, and the text's size; writes them to bench/results/job-metrics-<time>.json.
 */
const JOBS = Number(process.env.BENCH_METRICS_JOBS ?? 10_000);
const RUNS = Number(process.env.BENCH_METRICS_RUNS ?? 20);
const T0 = Date.parse('2026-11-01T00:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();

async function main() {
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-job-metrics-'));
  const store = createSqliteStore(path.join(dir, 'mirror.db'));
  try {
    const filling = Date.now();
    for (let j = 0; j < JOBS; j++) {
      const name = `job-${String(j).padStart(5, '0')}`;
      const service = `service-${j % 20}`;
      await store.upsertJob({
        definition: {
          ...JOB_DEFAULTS,
          name,
          service,
          endpoint: `/jobs/${name}`,
          cron: '*/5 * * * *',
          payload: {},
          retry: { ...DEFAULT_RETRY },
        },
        paused: j % 50 === 0,
        pauseNote: null,
        scheduleNote: null,
        times: { ...NO_TIMES, skipped: j % 7, missed: j % 3 },
        createdAt: iso(T0),
        updatedAt: iso(T0),
        scheduleUpdatedAt: null,
      });
      for (let r = 0; r < RUNS; r++) {
        const start = T0 + r * 300_000;
        await store.recordExecution({
          id: `job-run-${name}-${r}`,
          jobName: name,
          service,
          status: (j + r) % 9 === 0 ? 'failed' : 'succeeded',
          trigger: 'schedule',
          triggeredBy: null,
          retryOf: null,
          scheduledAt: iso(start),
          startedAt: iso(start),
          completedAt: iso(start + 1500),
          durationMs: 1500,
          attempts: 1,
          httpStatus: 200,
          error: null,
          response: null,
          workflowId: `job-run-${name}-${r}`,
          runId: null,
        });
      }
    }
    console.log(`filled ${JOBS} jobs × ${RUNS} runs in ${((Date.now() - filling) / 1000).toFixed(0)} s`);

    let clock = Date.now();
    const registry = new Registry();
    registerJobMetrics(registry, { store, now: () => clock });
    const timed = async () => {
      const start = process.hrtime.bigint();
      const text = await registry.metrics();
      return { ms: Number(process.hrtime.bigint() - start) / 1e6, bytes: Buffer.byteLength(text), text };
    };
    const reading: number[] = [];
    let scraped = await timed(); // warm-up: prepared statements, JIT
    for (let i = 0; i < 5; i++) {
      clock += 10_000; // past the cache: this scrape reads the mirror
      scraped = await timed();
      reading.push(scraped.ms);
    }
    const cached = await timed();
    const median = reading.sort((a, b) => a - b)[2]!;
    const series = scraped.text.split('\n').filter((l) => l.startsWith('scheduler_job') && l.includes('{')).length;
    const results = {
      jobs: JOBS,
      runsPerJob: RUNS,
      store: 'sqlite',
      scrapeReadingMirrorMs: { median, all: reading },
      scrapeFromCacheMs: cached.ms,
      bytes: scraped.bytes,
      perJobSeries: series,
    };
    console.log(
      `${JOBS} jobs: a scrape that reads the mirror ${median.toFixed(0)} ms (median of 5), one the cache answers ` +
        `${cached.ms.toFixed(0)} ms; ${(scraped.bytes / 1024 / 1024).toFixed(2)} MiB of text, ${series} per-job series`,
    );
    writeResults('job-metrics', results);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
