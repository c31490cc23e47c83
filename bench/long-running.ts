import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import {
  describeSummary,
  memoryOf,
  mib,
  register,
  sleep,
  startBenchStack,
  startTarget,
  summarize,
  timedPool,
  writeResults,
} from './harness';

/**
 * `npm run bench:long-running`: what a waiting execution of an async job costs (docs/long-running.md), on this
 * machine. The scheduler runs as deployed (node dist/main.js, the pod's Node settings, embedded SQLite) with
 * `SCHEDULER_WORKER_MAX_ACTIVITIES` (20) call slots against its own dev server; a target answers every call 202.
 * `BENCH_WAITING` (1000) runs of one async job are triggered and left waiting: the scheduler's RSS before, while
 * they wait and once they all completed (the growth while they wait, per run, bounds what one holds from above: it
 * also holds what serving the burst of triggers left), the history events of a waiting run, then a heartbeat and a completion of each through the API (latency), and the
 * lateness of a short job's call while they all wait (a waiting run must hold no slot). Figures are printed and
 * written to bench/results/long-running-<time>.json.
 */
const WAITING = Number(process.env.BENCH_WAITING ?? 1000);
const SLOTS = Number(process.env.SCHEDULER_WORKER_MAX_ACTIVITIES ?? 20);
const CLIENTS = 10;

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-long-running-'));
  const target = await startTarget(202);
  const stack = await startBenchStack(dir, target, { SCHEDULER_WORKER_MAX_ACTIVITIES: String(SLOTS) });
  const { scheduler } = stack;
  const connection = await Connection.connect({ address: stack.temporal.address });
  const client = new Client({ connection });
  /** One API request; a 503 (the API shedding a burst: it did nothing) is sent again after 200 ms, 10 times at most. */
  const api = async (method: string, url: string, body?: object) => {
    for (let tries = 1; ; tries++) {
      const res = await fetch(`${scheduler.url}${url}`, {
        method,
        headers: body ? { 'content-type': 'application/json' } : {},
        body: body && JSON.stringify(body),
      });
      const answer = { status: res.status, body: (await res.json()) as Record<string, unknown> };
      if (answer.status !== 503 || tries === 10) return answer;
      await sleep(200);
    }
  };
  try {
    const job = { service: 'bench-service', endpoint: '/work', cron: '0 0 1 1 *', overlap: 'allow_all' };
    await register(scheduler.url, { ...job, name: 'waiting', async: true, retry: { maxAttempts: 1 } });
    await sleep(5000);
    const before = memoryOf(scheduler.child.pid!);

    const ids: string[] = [];
    await timedPool(WAITING, CLIENTS, async () => {
      const res = await api('POST', '/api/jobs/waiting/trigger');
      if (res.status !== 202) throw new Error(`trigger answered ${res.status}`);
      ids.push((res.body.execution as { id: string }).id);
    });
    while (target.arrivals.length < WAITING) await sleep(500);
    await sleep(5000);
    const waiting = memoryOf(scheduler.child.pid!);
    const events = (await client.workflow.getHandle(ids[0]!).fetchHistory()).events?.length ?? 0;

    // a short job's call while every waiting run holds its call open: the slots are free
    await register(scheduler.url, { ...job, name: 'short', endpoint: '/short', retry: { maxAttempts: 1 } });
    const triggered = Date.now();
    await api('POST', '/api/jobs/short/trigger');
    while (!target.arrivals.some((a) => a.job === 'short')) await sleep(20);
    const shortCallMs = target.arrivals.find((a) => a.job === 'short')!.at - triggered;

    const heartbeat = summarize(
      await timedPool(WAITING, CLIENTS, async (i) => {
        const res = await api('POST', `/api/executions/${ids[i]}/heartbeat`, { progress: { done: i }, attempt: 1 });
        if (res.status !== 200) throw new Error(`heartbeat answered ${res.status}`);
      }),
    );
    const complete = summarize(
      await timedPool(WAITING, CLIENTS, async (i) => {
        const res = await api('POST', `/api/executions/${ids[i]}/complete`, { status: 'succeeded', attempt: 1 });
        if (res.status !== 200) throw new Error(`complete answered ${res.status}`);
      }),
    );
    const endedEvents = (await client.workflow.getHandle(ids[0]!).fetchHistory()).events?.length ?? 0;
    await sleep(5000);
    const after = memoryOf(scheduler.child.pid!);

    // at most: the growth also holds what serving the triggers left (RSS went on growing with the reports after)
    const perWaitingKbAtMost = (waiting.rssKb - before.rssKb) / WAITING;
    console.log(`${WAITING} runs waiting for their service, ${SLOTS} call slots`);
    console.log(
      `scheduler RSS: ${mib(before.rssKb).toFixed(1)} MiB before, ${mib(waiting.rssKb).toFixed(1)} MiB with them waiting, ` +
        `${mib(after.rssKb).toFixed(1)} MiB once they completed (at most ${perWaitingKbAtMost.toFixed(1)} KiB per waiting run)`,
    );
    console.log(`history events of a waiting run: ${events}; once completed: ${endedEvents}`);
    console.log(`a short job's call while they wait: ${shortCallMs} ms after its trigger`);
    console.log(`heartbeat through the API: ${describeSummary(heartbeat)}`);
    console.log(`completion through the API: ${describeSummary(complete)}`);
    writeResults('long-running', {
      waiting: WAITING,
      slots: SLOTS,
      before,
      whileWaiting: waiting,
      after,
      perWaitingKbAtMost,
      events,
      endedEvents,
      shortCallMs,
      heartbeat,
      complete,
    });
  } finally {
    await connection.close();
    await stack.stop();
    await target.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
