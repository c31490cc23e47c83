import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';

export const bareActivities = {
  async httpCall(url: string): Promise<void> {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    await res.text();
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
  },
};

/** A worker for the baseline workflow, in its own process like the scheduler's. */
async function main() {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const connection = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS });
  const worker = await Worker.create({
    connection,
    taskQueue: 'bench-bare',
    workflowsPath: require.resolve('./bare-workflow'),
    activities: bareActivities,
    maxConcurrentActivityTaskExecutions: 20,
    maxConcurrentWorkflowTaskExecutions: 10,
  });
  process.once('SIGTERM', () => worker.shutdown());
  process.send?.('ready');
  await worker.run();
  await connection.close();
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
