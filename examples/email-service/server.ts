/**
 * The seed's email-service in miniature: a Fastify app that declares its three jobs on the scheduler at start
 * (through client/, waiting for the scheduler to come up), verifies the scheduler's signed calls, and serves the
 * three endpoints the scheduler calls. `weekly-digest` is a long-running job: it answers 202 at once, sends in
 * batches while it tells the scheduler how far it got, and reports the end.
 */
import Fastify from 'fastify';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  acceptAndReport,
  createSchedulerClient,
  schedulerSignature,
  type JobDeclaration,
} from '@scheduler-service/client';

const SERVICE = process.env.SCHEDULER_SERVICE_NAME ?? 'email-service';
const PORT = Number(process.env.PORT ?? 7006);
const SCHEDULER_API_URL = process.env.SCHEDULER_API_URL ?? 'http://localhost:8080';
const SIGNING_SECRET = process.env.SCHEDULER_SIGNING_SECRET || undefined;
/** The digest's simulated work: 5 batches of 100 messages, 200 ms each. */
const DIGEST = { batches: 5, batchSize: 100, batchMs: 200 };

/** The seed's three jobs (its integration checklist: "Email service registers 3 jobs"). */
const JOBS: JobDeclaration[] = [
  {
    name: 'weekly-digest',
    endpoint: '/api/jobs/weekly-digest',
    cron: '0 9 * * MON',
    timezone: 'America/New_York',
    description: 'Weekly digest of saved discoveries',
    payload: { template: 'weekly-digest' },
    async: true, // answers 202, reports the end: acceptAndReport below
    completionTimeoutSeconds: 3600,
    heartbeatTimeoutSeconds: 300, // a heartbeat per batch, well within
  },
  {
    name: 're-engagement',
    endpoint: '/api/jobs/re-engagement',
    cron: '0 10 * * *',
    description: 'Nudge users inactive for a week',
    payload: { inactiveDays: 7 },
  },
  {
    name: 'queue-cleanup',
    endpoint: '/api/jobs/queue-cleanup',
    cron: '@every 15m',
    description: 'Drop sent and expired messages from the outbox',
    overlap: 'skip',
  },
];

interface SchedulerCall {
  job: string;
  executionId: string;
  scheduledAt: string;
  trigger: string;
  attempt: number;
  payload: Record<string, unknown>;
}

async function main() {
  const app = Fastify({ logger: { level: process.env.LOG_LEVEL ?? 'info' } });
  const processed: Record<string, number> = {};
  const count = (job: string) => (processed[job] = (processed[job] ?? 0) + 1);

  app.get('/health', async () => ({ status: 'ok', processed }));

  // Shut down on a signal: `declare` stops waiting, and so does a `complete` still retrying.
  const stop = new AbortController();
  const scheduler = createSchedulerClient({
    url: SCHEDULER_API_URL,
    token: process.env.SCHEDULER_TOKEN || undefined,
    signal: stop.signal,
    onRetry: (reason, ms) =>
      app.log.warn(`scheduler at ${SCHEDULER_API_URL} not ready (${reason}); retrying in ${ms} ms`),
  });

  await app.register(async (scheduled) => {
    if (SIGNING_SECRET) await scheduled.register(schedulerSignature, { secret: SIGNING_SECRET });
    else app.log.warn('SCHEDULER_SIGNING_SECRET is not set: calls to /api/jobs/* are not verified');
    for (const job of JOBS.filter((j) => !j.async)) {
      scheduled.post<{ Body: SchedulerCall }>(job.endpoint, async (req) => {
        const call = req.body;
        const handled = count(job.name);
        req.log.info(
          { job: call.job, executionId: call.executionId, trigger: call.trigger, attempt: call.attempt },
          `execution ${call.executionId} of ${call.job}: done`,
        );
        return { ok: true, job: job.name, handled };
      });
    }
    scheduled.post(
      '/api/jobs/weekly-digest',
      acceptAndReport(scheduler, async ({ executionId, signal, heartbeat }) => {
        const total = DIGEST.batches * DIGEST.batchSize;
        for (let sent = DIGEST.batchSize; sent <= total; sent += DIGEST.batchSize) {
          await sleep(DIGEST.batchMs, undefined, { signal }); // one batch; rejects when `signal` aborts
          await heartbeat({ sent, total }); // aborts `signal` when an admin cancels the run
        }
        app.log.info({ executionId }, `execution ${executionId} of weekly-digest: sent ${total}`);
        return { sent: total, handled: count('weekly-digest') };
      }),
    );
  });

  await app.listen({ port: PORT, host: process.env.HOST ?? '0.0.0.0' });

  // Declared after listening: the scheduler may call as soon as a job exists, and may itself still be starting.
  scheduler.declare(SERVICE, JOBS).then(
    (result) => app.log.info(result, `declared ${JOBS.length} jobs on the scheduler`),
    (err: Error) => app.log.error({ err }, 'declaring the jobs failed'),
  );

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      stop.abort(new Error(signal));
      app.close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
