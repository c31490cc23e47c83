import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { buildWorkflowBundle } from '../worker/workflow-bundle';
import { createTestDatabase } from './support/postgres';
import { startGateway, startPostgrest } from './support/postgrest';
import { startTestTemporal } from './support/stack';

/**
 * One real Temporal dev server, one fresh PostgreSQL database with the migrations applied, one PostgREST and
 * its gateway, and one workflow bundle for the whole integration run. Tests find them through process.env.
 */
export default async function setup(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const dir = mkdtempSync(path.join(tmpdir(), 'scheduler-it-'));
  const stops: (() => Promise<void>)[] = [];
  (globalThis as { __integrationStops?: typeof stops }).__integrationStops = stops;

  const [temporal, bundle, database] = await Promise.all([
    startTestTemporal({
      dynamicConfig: { 'worker.schedulerNamespaceStartWorkflowRPS': 1000 },
      logFile: path.join(dir, 'temporal.log'),
    }),
    buildWorkflowBundle(),
    createTestDatabase(),
  ]);
  stops.push(
    () => temporal.stop(),
    () => database.drop(),
  );
  const bundlePath = path.join(dir, 'workflow-bundle.js');
  writeFileSync(bundlePath, bundle);

  const postgrest = await startPostgrest(database.database);
  stops.push(() => postgrest.stop());
  const gateway = await startGateway(postgrest.url);
  stops.push(() => gateway.close());

  Object.assign(process.env, {
    TEMPORAL_TEST_ADDRESS: temporal.address,
    SCHEDULER_WORKFLOW_BUNDLE: bundlePath,
    SUPABASE_TEST_URL: gateway.url,
    SUPABASE_TEST_SERVICE_KEY: postgrest.serviceKey,
    SUPABASE_TEST_ANON_KEY: postgrest.anonKey,
    SUPABASE_TEST_DB_URL: database.url,
    SUPABASE_TEST_POSTGREST_URL: postgrest.url,
    INTEGRATION_TMP_DIR: dir,
  });
}
