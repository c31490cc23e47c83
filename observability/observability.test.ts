import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import pino from 'pino';
import type { WorkflowInfo } from '@temporalio/workflow';
import { normalizeJob } from '../jobs/validate';
import { createObservability } from './observability';

/** The metrics and log lines operators read, fed as the worker and the API feed them. */
describe('observability', () => {
  let sdk: Server;
  let sdkUrl: string;
  beforeAll(async () => {
    sdk = createServer((_req, res) =>
      res.end('# TYPE temporal_workflow_completed_total counter\ntemporal_workflow_completed_total 7\n'),
    );
    await new Promise<void>((r) => sdk.listen(0, '127.0.0.1', r));
    sdkUrl = `http://127.0.0.1:${(sdk.address() as AddressInfo).port}/metrics`;
  });
  afterAll(() => new Promise((r) => sdk.close(r)));

  const job = normalizeJob(
    { name: 'weekly-digest', service: 'email-service', endpoint: '/digest', cron: '@daily' },
    new Map([['email-service', 'http://email-service:7006']]),
  );
  const info = {} as WorkflowInfo;
  const run = {
    executionId: 'job-run-weekly-digest-2026-11-30T09:00:00Z',
    job: 'weekly-digest',
    service: 'email-service',
    trigger: 'schedule' as const,
    scheduledAt: '2026-11-30T09:00:00.000Z',
  };

  function observed(sdkMetricsUrl?: string) {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
        done();
      },
    });
    return { obs: createObservability({ log: pino(sink), sdkMetricsUrl }), lines };
  }

  test('one log line per execution start and end, with the word execution, the job and the execution id', async () => {
    const { obs, lines } = observed();
    void obs.sinks.executions.started.fn(info, run);
    void obs.sinks.executions.ended.fn(info, {
      ...run,
      status: 'failed',
      attempts: 3,
      httpStatus: 503,
      durationMs: 4200,
      error: 'POST /digest answered HTTP 503',
    });
    await new Promise((r) => setImmediate(r));
    expect(lines.map((l) => l.msg)).toEqual([
      `execution started: ${run.executionId} of weekly-digest (schedule)`,
      `execution failed: ${run.executionId} of weekly-digest after 3 attempt(s) in 4200 ms, HTTP 503`,
    ]);
    expect(lines[1]).toMatchObject({ level: 40, job: 'weekly-digest', executionId: run.executionId, httpStatus: 503 });
    expect(obs.sinks.executions.ended.callDuringReplay).toBe(false); // a replayed run is not counted twice
  });

  test('a run whose last workflow task runs again ends once: one line, counted once', async () => {
    const { obs, lines } = observed(sdkUrl);
    const end = { ...run, status: 'failed' as const, attempts: 1, httpStatus: null, error: 'bad port' };
    void obs.sinks.executions.ended.fn(info, { ...end, durationMs: 129 });
    void obs.sinks.executions.ended.fn(info, { ...end, durationMs: 158 }); // the task run again, 30 ms on
    await new Promise((r) => setImmediate(r));
    expect(lines.map((l) => l.durationMs)).toEqual([129]);
    expect((await obs.render()).body).toContain(
      'scheduler_executions_total{job="weekly-digest",service="email-service",trigger="schedule",status="failed"} 1',
    );
  });

  test('executions by job and status, durations, lateness, call outcomes and API timings, then the SDK metrics', async () => {
    const { obs } = observed(sdkUrl);
    void obs.sinks.executions.ended.fn(info, {
      ...run,
      status: 'succeeded',
      attempts: 1,
      httpStatus: 200,
      durationMs: 350,
      error: null,
    });
    obs.calls.calling(job, 0.12);
    obs.calls.answered(job, '200');
    obs.calls.answered(job, 'timeout');
    obs.observeRequest('GET', '/api/jobs/:name', 200, 0.004);
    const { contentType, body } = await obs.render();
    expect(contentType).toMatch(/^text\/plain/);
    expect(body).toContain(
      'scheduler_executions_total{job="weekly-digest",service="email-service",trigger="schedule",status="succeeded"} 1',
    );
    expect(body).toContain(
      'scheduler_execution_duration_seconds_bucket{le="0.5",service="email-service",status="succeeded"} 1',
    );
    expect(body).toContain('scheduler_execution_lateness_seconds_bucket{le="0.25",service="email-service"} 1');
    expect(body).toContain('scheduler_calls_total{service="email-service",code="200"} 1');
    expect(body).toContain('scheduler_calls_total{service="email-service",code="timeout"} 1');
    expect(body).toContain(
      'scheduler_api_request_duration_seconds_count{method="GET",route="/api/jobs/:name",status_code="200"} 1',
    );
    expect(body).toContain('process_resident_memory_bytes');
    expect(body).toContain('temporal_workflow_completed_total 7');
  });

  test('an SDK exporter that does not answer leaves a comment, not an error', async () => {
    const { obs } = observed('http://127.0.0.1:9/metrics');
    expect((await obs.render()).body).toContain('# Temporal SDK metrics unavailable');
  });

  test('a row the mirror refused for its content: one log line with the execution id and fields, and a counter', async () => {
    const { obs, lines } = observed();
    const reason = 'store operation recordExecution refused: Empty or invalid json (PGRST102)';
    obs.mirrorRefused({
      executionId: run.executionId,
      jobName: 'weekly-digest',
      dropped: ['response'],
      written: true,
      reason,
    });
    obs.mirrorRefused({
      executionId: 'x',
      jobName: 'weekly-digest',
      dropped: ['response', 'error'],
      written: false,
      reason,
    });
    await new Promise((r) => setImmediate(r));
    expect(lines.map(({ level, msg, executionId, dropped }) => ({ level, msg, executionId, dropped }))).toEqual([
      {
        level: 40,
        msg: `mirror refused execution ${run.executionId}'s row for its content: written without response`,
        executionId: run.executionId,
        dropped: ['response'],
      },
      {
        level: 50,
        msg: "mirror refused execution x's row for its content, even without response, error: not written",
        executionId: 'x',
        dropped: ['response', 'error'],
      },
    ]);
    expect(lines[0]).toMatchObject({ job: 'weekly-digest', reason });
    const { body } = await obs.render();
    expect(body).toContain('scheduler_mirror_refused_rows_total{outcome="degraded"} 1');
    expect(body).toContain('scheduler_mirror_refused_rows_total{outcome="unwritten"} 1');
  });
});
