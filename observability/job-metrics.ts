import { Counter, Gauge, type Registry } from 'prom-client';
import type { JobRow, JobStore } from '../store/job-store';

export interface JobMetricsOptions {
  /** The mirror: its job rows carry run health and Temporal's schedule counters. */
  store: Pick<JobStore, 'listJobs'>;
  /** Scrapes within this many ms share one read of the mirror (default 5000). */
  ttlMs?: number;
  /** Jobs per page of the read (default 1000): each page is one `listJobs` call. */
  pageSize?: number;
  /** The clock, in ms since the epoch (tests fix it). */
  now?: () => number;
}

/** What one read of the mirror keeps of each job: the values of its series. */
interface JobSample {
  labels: { job_name: string; service: string };
  /** Seconds since the epoch; null while the job does not run on its schedule (paused, or disabled by its service). */
  lastSuccess: number | null;
  consecutiveFailures: number;
  skipped: number;
  missed: number;
}

interface Snapshot {
  jobs: JobSample[];
  /** When the read ended, seconds since the epoch. */
  readAt: number;
}

/** Rows per page and cache lifetime: 10,000 jobs are 10 pages once per 5 s, whatever the number of scrapers. */
const PAGE_SIZE = 1000;
const TTL_MS = 5000;

/**
 * Per-job series for alerting rules (the PrometheusRule in k8s/components/prometheus), read from the mirror when
 * scraped, so they survive restarts and every replica answers the same values. Label `job_name` (not `job`:
 * Prometheus' own target label, which a scrape would rename to `exported_job`) and `service`; one series per job and
 * metric, so with N jobs about 4·N series. Registered in `registry`:
 *
 * - `scheduler_job_last_success_timestamp_seconds`: the end of the job's last successful run, or its registration
 *   while it has not succeeded yet (the instant a "no success within" rule counts from); present only while the job
 *   runs on its schedule (not paused by an admin, not disabled by its service), so pausing a job silences that rule.
 * - `scheduler_job_consecutive_failures`: unsuccessful runs ended since the last success (0 after a success).
 * - `scheduler_job_occurrences_skipped_total`, `scheduler_job_occurrences_missed_total`: Temporal's schedule
 *   counters as of the mirror's last write of the job (occurrences skipped by the overlap policy; missed for longer
 *   than the catch-up window). They start again from 0 when a job is deleted and registered again, which
 *   `increase()` reads as a counter reset.
 * - `scheduler_job_metrics_read_timestamp_seconds`: when the mirror read the series come from ended. A failed read
 *   keeps the previous one's series (and this time), adds one to `scheduler_job_metrics_read_failures_total`, and
 *   does not fail the scrape.
 *
 * Scrapes within `ttlMs` share one read: `listJobs` in pages of `pageSize`, in name order.
 */
export function registerJobMetrics(
  registry: Registry,
  { store, ttlMs = TTL_MS, pageSize = PAGE_SIZE, now = Date.now }: JobMetricsOptions,
): void {
  const failures = new Counter({
    name: 'scheduler_job_metrics_read_failures_total',
    help: 'Reads of the mirror for the per-job series that failed; the series then keep the previous read',
    registers: [registry],
    async collect() {
      await snapshot(); // this scrape's read counts in this scrape
    },
  });
  /** The read in flight, or the last one for `ttlMs` after it ended (`until`, ms since the epoch). */
  let shared: { read: Promise<Snapshot | null>; until: number } | null = null;
  let last: Snapshot | null = null;
  /** The latest read, shared by the collections of one scrape and by the scrapes within `ttlMs` of it. */
  const snapshot = (): Promise<Snapshot | null> => {
    if (shared && now() < shared.until) return shared.read;
    const current = { until: Infinity } as NonNullable<typeof shared>;
    current.read = readJobs(store, pageSize, now).then(
      (s) => {
        current.until = now() + ttlMs;
        return (last = s);
      },
      () => {
        failures.inc();
        if (shared === current) shared = null; // the next scrape tries again
        return last;
      },
    );
    shared = current;
    return current.read;
  };

  type Label = 'job_name' | 'service';
  const LABELS: Label[] = ['job_name', 'service'];
  /** A collection that sets each job's value from the snapshot; a null value leaves the job out. */
  const gauge = (value: (job: JobSample) => number | null) =>
    async function (this: Gauge<Label>) {
      const read = await snapshot();
      this.reset();
      for (const job of read?.jobs ?? []) {
        const v = value(job);
        if (v !== null) this.set(job.labels, v);
      }
    };
  const counter = (value: (job: JobSample) => number) =>
    async function (this: Counter<Label>) {
      const read = await snapshot();
      this.reset();
      for (const job of read?.jobs ?? []) this.inc(job.labels, value(job));
    };

  new Gauge({
    name: 'scheduler_job_last_success_timestamp_seconds',
    help: 'End of the last successful run (its registration before any), seconds since the epoch; only jobs running on their schedule',
    labelNames: LABELS,
    registers: [registry],
    collect: gauge((j) => j.lastSuccess),
  });
  new Gauge({
    name: 'scheduler_job_consecutive_failures',
    help: 'Unsuccessful runs ended since the last success',
    labelNames: LABELS,
    registers: [registry],
    collect: gauge((j) => j.consecutiveFailures),
  });
  new Counter({
    name: 'scheduler_job_occurrences_skipped_total',
    help: "Occurrences Temporal skipped under the job's overlap policy",
    labelNames: LABELS,
    registers: [registry],
    collect: counter((j) => j.skipped),
  });
  new Counter({
    name: 'scheduler_job_occurrences_missed_total',
    help: 'Occurrences Temporal missed for longer than the catch-up window',
    labelNames: LABELS,
    registers: [registry],
    collect: counter((j) => j.missed),
  });
  new Gauge({
    name: 'scheduler_job_metrics_read_timestamp_seconds',
    help: 'When the mirror read behind the per-job series ended, seconds since the epoch',
    registers: [registry],
    async collect() {
      const read = await snapshot();
      if (read) this.set(read.readAt);
      else this.reset();
    },
  });
}

/** Every job row, page by page in name order. */
async function readJobs(store: Pick<JobStore, 'listJobs'>, pageSize: number, now: () => number): Promise<Snapshot> {
  const jobs: JobSample[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await store.listJobs({ after, limit: pageSize });
    for (const row of page) jobs.push(sampleOf(row));
    if (page.length < pageSize) return { jobs, readAt: now() / 1000 };
    after = page[page.length - 1]!.definition.name;
  }
}

function sampleOf(row: JobRow): JobSample {
  const { definition, health, times } = row;
  const onSchedule = definition.enabled && !row.paused;
  return {
    labels: { job_name: definition.name, service: definition.service },
    lastSuccess: onSchedule ? Date.parse(health.lastSuccessAt ?? row.createdAt) / 1000 : null,
    consecutiveFailures: health.consecutiveFailures,
    skipped: times.skipped,
    missed: times.missed,
  };
}
