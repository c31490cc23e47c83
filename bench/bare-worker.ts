import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';

export const bareActivities = {
  /** POSTs `{}` to `url` with `headers`; throws unless the answer is 2xx. */
  async httpCall(url: string, headers: Record<string, string> = {}): Promise<void> {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: '{}',
    });
    await res.text();
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
  },
};

/**
 * A worker for the baseline workflows, in its own process like the scheduler's. It loads the bundle at
 * `BARE_WORKFLOW_BUNDLE` when set (as the scheduler loads its prebuilt one), else bundles at start.
 */
async function main() {
  // warnings (each failed attempt) are formatted and written as the scheduler's are, to stdout, which the bench drops
  Runtime.install({
    logger: new DefaultLogger('WARN', ({ level, message, meta }) => {
      process.stdout.write(`${JSON.stringify({ level, message, ...meta })}\n`);
    }),
  });
  const connection = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS });
  const bundle = process.env.BARE_WORKFLOW_BUNDLE;
  const worker = await Worker.create({
    connection,
    taskQueue: 'bench-bare',
    ...(bundle ? { workflowBundle: { codePath: bundle } } : { workflowsPath: require.resolve('./bare-workflow') }),
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
