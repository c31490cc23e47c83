import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AlertPayload } from '../jobs/alert';
import { describeSummary, register, sleep, startBenchStack, startTarget, summarize, writeResults } from './harness';

/**
 * `npm run bench:alerts`: how long from a failed run to its alert at a webhook receiver, on this machine.
 * `BENCH_ALERT_JOBS` (50) jobs on `* * * * *` with 30 s of jitter call a target that answers 500 (one attempt each);
 * a real HTTP receiver takes the alerts (the generic webhook, signed). For each job's first failure: the time from
 * the target answering the failing call to the alert's arrival (the run's end, the mirror's write of its row, the
 * signal to the job's watch, its decision, the episode's mirror row, the delivery). The scheduler runs as deployed
 * (node dist/main.js, embedded SQLite) against its own dev server. Figures are printed and written to
 * bench/results/alerts-<time>.json.
 */
const JOBS = Number(process.env.BENCH_ALERT_JOBS ?? 50);

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-alerts-'));
  const received = new Map<string, number>(); // failing execution id → alert arrival
  const receiver = createServer((req, res) => {
    const at = Date.now();
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const alert = JSON.parse(body) as AlertPayload;
      const first = alert.runs.at(-1);
      if (alert.kind === 'firing' && first && !received.has(first.executionId)) received.set(first.executionId, at);
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const target = await startTarget(500);
  const stack = await startBenchStack(dir, target, {
    SCHEDULER_ALERT_WEBHOOKS: `bench=http://127.0.0.1:${(receiver.address() as AddressInfo).port}/alerts`,
  });
  const { scheduler } = stack;
  try {
    for (let i = 0; i < JOBS; i++) {
      await register(scheduler.url, {
        name: `alerting-${i}`,
        service: 'bench-service',
        endpoint: '/fail',
        cron: '* * * * *',
        jitterSeconds: 30,
        retry: { maxAttempts: 1 },
        alerts: { onFailure: true, consecutiveFailures: null, noSuccessWithinSeconds: null },
      });
    }
    const deadline = Date.now() + 150_000;
    while (received.size < JOBS && Date.now() < deadline) await sleep(1000);
    const firstCall = new Map<string, number>();
    for (const a of target.arrivals) if (!firstCall.has(a.executionId)) firstCall.set(a.executionId, a.at);
    const latencies = [...received].flatMap(([id, at]) => (firstCall.has(id) ? [at - firstCall.get(id)!] : []));
    const summary = summarize(latencies);
    console.log(`failure to webhook, ${latencies.length} of ${JOBS} jobs: ${describeSummary(summary)}`);
    writeResults('alerts', { jobs: JOBS, alerts: latencies.length, summary });
  } finally {
    await stack.stop();
    await target.close();
    receiver.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
