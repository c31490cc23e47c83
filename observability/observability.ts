import type { InjectedSinks } from '@temporalio/worker';
import type pino from 'pino';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import type { CallObserver } from '../activities';
import type { ExecutionSinks, MirrorRefusal } from '../jobs/execution-events';
import type { JobStore } from '../store/job-store';
import { registerJobMetrics } from './job-metrics';

/** What `/metrics` answers. */
export interface MetricsText {
  contentType: string;
  body: string;
}

export interface Observability {
  /** The worker's sinks: one log line and the metrics per run start and end. */
  sinks: InjectedSinks<ExecutionSinks>;
  /** The call activity's attempts: HTTP status or failure kind, and lateness. */
  calls: CallObserver;
  /**
   * An execution row the mirror's store refused for its content: one log line (warn when it was written without some
   * fields, error when nothing could be written) and `scheduler_mirror_refused_rows_total`.
   */
  mirrorRefused(refusal: MirrorRefusal): void;
  /** Execution rows a history retention batch removed: `scheduler_history_pruned_rows_total`. */
  historyPruned(rows: number): void;
  /** The API's requests, by route template (never the raw URL: bounded label values). */
  observeRequest(method: string, route: string, statusCode: number, seconds: number): void;
  /** Ours, Node's, and the Temporal SDK's own metrics (its Prometheus exporter on loopback), in one text. */
  render(): Promise<MetricsText>;
}

export interface ObservabilityOptions {
  log: pino.Logger;
  /** The Temporal SDK's Prometheus exporter (`Runtime.install` with a loopback `bindAddress`), if installed. */
  sdkMetricsUrl?: string;
  /** The mirror, for the per-job series that alerting rules watch ({@link registerJobMetrics}); without it, none. */
  store?: Pick<JobStore, 'listJobs'>;
}

const LATENESS_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300];
const DURATION_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800];
const REQUEST_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5];

/**
 * prom-client metrics, named `scheduler_*`. The executions counter is labelled by job (its series grow with the
 * jobs that actually ran), and so are the mirror's per-job series when `store` is given (one per job and metric);
 * histograms are by service, so 10,000 jobs do not make 10,000 histograms.
 */
export function createObservability({ log, sdkMetricsUrl, store }: ObservabilityOptions): Observability {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  if (store) registerJobMetrics(registry, { store });
  const executions = new Counter({
    name: 'scheduler_executions_total',
    help: 'Executions ended, by job, service, trigger and final status',
    labelNames: ['job', 'service', 'trigger', 'status'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'scheduler_execution_duration_seconds',
    help: 'From a run starting to its end, all attempts included',
    labelNames: ['service', 'status'] as const,
    buckets: DURATION_BUCKETS,
    registers: [registry],
  });
  const lateness = new Histogram({
    name: 'scheduler_execution_lateness_seconds',
    help: "A scheduled run's first call, seconds after its nominal time",
    labelNames: ['service'] as const,
    buckets: LATENESS_BUCKETS,
    registers: [registry],
  });
  const calls = new Counter({
    name: 'scheduler_calls_total',
    help: 'Call attempts to services, by HTTP status (or timeout, network, refused)',
    labelNames: ['service', 'code'] as const,
    registers: [registry],
  });
  const refusedRows = new Counter({
    name: 'scheduler_mirror_refused_rows_total',
    help: 'Execution rows the store refused for their content: written without their free text (degraded), or not at all (unwritten)',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const pruned = new Counter({
    name: 'scheduler_history_pruned_rows_total',
    help: 'Execution rows removed by history retention (SCHEDULER_HISTORY_RETENTION_DAYS); job counters keep them',
    registers: [registry],
  });
  const requests = new Histogram({
    name: 'scheduler_api_request_duration_seconds',
    help: 'API requests, by method, route template and status code',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: REQUEST_BUCKETS,
    registers: [registry],
  });

  const noReplay = { callDuringReplay: false } as const;
  const ended = recentIds(10_000);
  return {
    sinks: {
      executions: {
        started: {
          ...noReplay,
          fn: (_info, e) =>
            log.info(
              {
                executionId: e.executionId,
                job: e.job,
                service: e.service,
                trigger: e.trigger,
                scheduledAt: e.scheduledAt,
              },
              `execution started: ${e.executionId} of ${e.job} (${e.trigger})`,
            ),
        },
        ended: {
          ...noReplay,
          fn: (_info, e) => {
            // Sinks run at least once: a run's last workflow task is run again (not replayed) when Temporal refuses
            // its completion because an event came in meanwhile (its start row's write finishing), so its end
            // arrives twice, milliseconds apart. Logged and counted once.
            if (!ended.add(e.executionId)) return;
            executions.inc({ job: e.job, service: e.service, trigger: e.trigger, status: e.status });
            duration.observe({ service: e.service, status: e.status }, e.durationMs / 1000);
            const fields = {
              executionId: e.executionId,
              job: e.job,
              service: e.service,
              trigger: e.trigger,
              status: e.status,
              attempts: e.attempts,
              httpStatus: e.httpStatus,
              durationMs: e.durationMs,
              ...(e.error ? { error: e.error } : {}),
            };
            const http = e.httpStatus === null ? '' : `, HTTP ${e.httpStatus}`;
            const message = `execution ${e.status}: ${e.executionId} of ${e.job} after ${e.attempts ?? 0} attempt(s) in ${e.durationMs} ms${http}`;
            if (e.status === 'succeeded') log.info(fields, message);
            else log.warn(fields, message);
          },
        },
      },
    },
    calls: {
      calling: (job, lateSeconds) => lateness.observe({ service: job.service }, Math.max(lateSeconds, 0)),
      answered: (job, outcome) => calls.inc({ service: job.service, code: outcome }),
    },
    mirrorRefused(r) {
      refusedRows.inc({ outcome: r.written ? 'degraded' : 'unwritten' });
      const fields = { executionId: r.executionId, job: r.jobName, dropped: r.dropped, reason: r.reason };
      if (r.written) {
        log.warn(
          fields,
          `mirror refused execution ${r.executionId}'s row for its content: written without ${r.dropped.join(', ')}`,
        );
      } else {
        log.error(
          fields,
          `mirror refused execution ${r.executionId}'s row for its content, even without ${r.dropped.join(', ') || 'its free text'}: not written`,
        );
      }
    },
    historyPruned: (rows) => pruned.inc(rows),
    observeRequest: (method, route, statusCode, seconds) =>
      requests.observe({ method, route, status_code: String(statusCode) }, seconds),
    async render() {
      const ours = await registry.metrics();
      const sdk = sdkMetricsUrl ? await fetchSdkMetrics(sdkMetricsUrl) : '';
      return { contentType: registry.contentType, body: sdk ? `${ours}\n${sdk}` : ours };
    },
  };
}

/** The SDK exporter's text; a comment instead if it does not answer within a second. */
async function fetchSdkMetrics(url: string): Promise<string> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
    return res.ok ? await res.text() : `# Temporal SDK metrics unavailable: HTTP ${res.status}\n`;
  } catch {
    return '# Temporal SDK metrics unavailable\n';
  }
}

/**
 * The last `max` ids seen; `add` answers false for one already among them. Hand-written on purpose: a Map keeps
 * insertion order, so dropping its first key is an eviction of the oldest, and no cache library is needed for that.
 */
function recentIds(max: number) {
  const seen = new Map<string, true>();
  return {
    add(id: string): boolean {
      if (seen.has(id)) return false;
      seen.set(id, true);
      if (seen.size > max) seen.delete(seen.keys().next().value!);
      return true;
    },
  };
}
