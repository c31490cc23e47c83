import path from 'node:path';
import { startDevServer, type DevServer } from '../../devserver/dev-server';
import { SEARCH_ATTRIBUTE_FLAGS } from '../../temporal/search-attributes';
import { freePort } from './ports';
import { createTestDatabase, type TestDatabase } from './postgres';
import { startGateway, startPostgrest, type Gateway, type Postgrest } from './postgrest';

/** Where and how a test's Temporal dev server runs; a free port when `port` is omitted. */
export interface TestTemporalOptions {
  port?: number;
  logFile: string;
  /** Keeps history across a restart; omitted: in memory. */
  dbFile?: string;
  dynamicConfig?: Record<string, string | number | boolean>;
  /** Temporal Web's port (loopback, like the frontend); omitted: headless. */
  uiPort?: number;
}

/**
 * The Temporal dev server as the tests run it: loopback, headless unless `uiPort` is given, namespace `default` with
 * the service's search attributes.
 */
export async function startTestTemporal(options: TestTemporalOptions): Promise<DevServer> {
  return startDevServer({
    port: options.port ?? (await freePort()),
    uiPort: options.uiPort ?? null,
    namespace: 'default',
    searchAttributes: SEARCH_ATTRIBUTE_FLAGS,
    dbFile: options.dbFile,
    dynamicConfig: options.dynamicConfig,
    logFile: options.logFile,
  });
}

/**
 * A Temporal dev server and a Supabase mirror (a database, PostgREST and its gateway) of a test's own: for faults
 * that kill or cut one of them, and for processes whose reconciler would otherwise mend the schedules and rows of
 * every other test in the run's shared namespace and database.
 */
export interface OwnStack {
  /** The running dev server: a new one after {@link restartTemporal}. */
  readonly temporal: DevServer;
  readonly database: TestDatabase;
  readonly postgrest: Postgrest;
  /** What `SUPABASE_URL` points at: a new one after {@link restartGateway}, on the same port. */
  readonly gateway: Gateway;
  /** `TEMPORAL_ADDRESS`, `SUPABASE_URL` and `SUPABASE_SERVICE_KEY` for a scheduler process. */
  env(): Record<string, string>;
  /** Starts the dev server again on its port and history file (after `temporal.kill()`, say). */
  restartTemporal(): Promise<void>;
  /** Starts the gateway again on its port (after `gateway.close()`). */
  restartGateway(): Promise<void>;
  /** Stops and drops all of it. */
  stop(): Promise<void>;
}

/**
 * `SUPABASE_URL` and `SUPABASE_SERVICE_KEY` of the integration run's shared Supabase mirror (test/integration-setup.ts
 * starts it). Every test that writes there shares its tables: a test that counts rows exactly, or walks every run of
 * the namespace (a reconcile pass), takes a mirror of its own ({@link startOwnMirror}).
 */
export const sharedMirrorEnv = () => ({
  SUPABASE_URL: process.env.SUPABASE_TEST_URL!,
  SUPABASE_SERVICE_KEY: process.env.SUPABASE_TEST_SERVICE_KEY!,
});

/** A Supabase mirror of a test's own: a fresh migrated database, PostgREST and its `/rest/v1` gateway. */
export interface OwnMirror {
  readonly database: TestDatabase;
  readonly postgrest: Postgrest;
  /** What `SUPABASE_URL` points at: a new one after {@link restartGateway}, on the same port. */
  readonly gateway: Gateway;
  /** `SUPABASE_URL` and `SUPABASE_SERVICE_KEY` for a scheduler. */
  env(): Record<string, string>;
  /** Starts the gateway again on its port (after `gateway.close()`). */
  restartGateway(): Promise<void>;
  /** Stops and drops all of it. */
  stop(): Promise<void>;
}

/**
 * Starts an {@link OwnMirror}; `prepare` gets the database's URL before PostgREST reads its schema (a fault's
 * trigger, say).
 */
export async function startOwnMirror(prepare?: (databaseUrl: string) => Promise<unknown>): Promise<OwnMirror> {
  const database = await createTestDatabase();
  let postgrest: Postgrest | undefined;
  let gateway: Gateway | undefined;
  const stop = async () => {
    await gateway?.close().catch(() => undefined); // closed already by a fault
    await postgrest?.stop();
    await database.drop();
  };
  try {
    await prepare?.(database.url);
    postgrest = await startPostgrest(database.database);
    gateway = await startGateway(postgrest.url);
  } catch (err) {
    await stop();
    throw err;
  }
  const rest = postgrest;
  return {
    database,
    postgrest: rest,
    get gateway() {
      return gateway!;
    },
    env: () => ({ SUPABASE_URL: gateway!.url, SUPABASE_SERVICE_KEY: rest.serviceKey }),
    async restartGateway() {
      gateway = await startGateway(rest.url, gateway!.port);
    },
    stop,
  };
}

/** Starts an {@link OwnStack}; Temporal keeps its history and log under `dir`. */
export async function startOwnStack(dir: string): Promise<OwnStack> {
  const temporalOptions = { logFile: path.join(dir, 'temporal.log'), dbFile: path.join(dir, 'temporal.db') };
  let temporal = await startTestTemporal(temporalOptions);
  const port = Number(new URL(`http://${temporal.address}`).port);
  const mirror = await startOwnMirror().catch(async (err: unknown) => {
    await temporal.stop();
    throw err;
  });
  return {
    get temporal() {
      return temporal;
    },
    database: mirror.database,
    postgrest: mirror.postgrest,
    get gateway() {
      return mirror.gateway;
    },
    env: () => ({ TEMPORAL_ADDRESS: temporal.address, ...mirror.env() }),
    async restartTemporal() {
      temporal = await startTestTemporal({ ...temporalOptions, port });
    },
    restartGateway: () => mirror.restartGateway(),
    async stop() {
      await temporal.stop();
      await mirror.stop();
    },
  };
}
