import { Worker, type Job } from 'bullmq';

/** The queue of `npm run bench:peers`'s BullMQ job schedulers. */
export const BULLMQ_QUEUE = 'bench-peers';

/** What a scheduler's jobs carry: the job's name, as our registration names it. */
export interface PeerJobData {
  job: string;
}

/**
 * The nominal time of a job a job scheduler produced, in ms since the epoch: the scheduler names each job
 * `repeat:<scheduler id>:<next millis>` and sets `prevMillis` to that time (BullMQ `src/classes/job-scheduler.ts`,
 * `getSchedulerNextJobId` and `createNextJob`); `timestamp + delay` is the same instant when it lay in the future.
 */
export function nominalMillisOf(job: Pick<Job, 'id' | 'opts' | 'timestamp'>): number {
  const fromId = Number(job.id?.slice(job.id.lastIndexOf(':') + 1));
  if (Number.isFinite(fromId) && fromId > 0) return fromId;
  return job.opts.prevMillis ?? job.timestamp + (job.opts.delay ?? 0);
}

/**
 * A BullMQ worker in a process of its own (Redis at 127.0.0.1:`REDIS_PORT`), with as many concurrent jobs as the
 * scheduler's worker has activity slots (20); its processor makes the scheduler's call to `BENCH_TARGET_URL`, with
 * the headers the bench target reads, and fails the attempt on an answer other than 2xx.
 */
async function main() {
  const url = process.env.BENCH_TARGET_URL!;
  const worker = new Worker<PeerJobData>(
    BULLMQ_QUEUE,
    async (job) => {
      const res = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'Idempotency-Key': job.id ?? '',
          'X-Scheduler-Job': job.data.job,
          'X-Scheduler-Scheduled-At': new Date(nominalMillisOf(job)).toISOString(),
        },
        body: '{}',
      });
      await res.text();
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
    },
    { connection: { host: '127.0.0.1', port: Number(process.env.REDIS_PORT) }, concurrency: 20 },
  );
  worker.on('error', (err) => console.error(err));
  await worker.waitUntilReady();
  process.once('SIGTERM', () => void worker.close().then(() => process.exit(0)));
  process.send?.('ready');
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
