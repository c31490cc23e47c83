import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildApp } from '../app';
import { UnauthorizedError } from '../errors';
import type { AlertUseCases } from '../use-cases/alerts';
import type { ExecutionUseCases } from '../use-cases/executions';
import type { JobUseCases } from '../use-cases/jobs';
import { CONSOLE_CSP } from './console';

/** The console's page and assets as the service serves them, over a built console of two files. */
describe('the console plugin', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'console-'));
  writeFileSync(path.join(dir, 'index.html'), '<!doctype html><script src="./app-ABC123.js"></script>');
  writeFileSync(path.join(dir, 'app-ABC123.js'), 'console.log(1)');
  const app = buildApp(
    {
      jobs: { forgetReads: () => undefined } as Partial<JobUseCases> as JobUseCases,
      executions: {} as ExecutionUseCases,
      alerts: {} as AlertUseCases,
      authenticate: async () => {
        throw new UnauthorizedError('Authorization: a Bearer token is required');
      },
      reconcile: async () => ({ workflowId: 'w', report: null }),
      rateLimitPerMinute: 0,
      pressure: { maxHeapUsedBytes: 0, maxEventLoopDelayMs: 0, sampleIntervalMs: 1000 }, // ts-jest's first compile lags
      checks: { temporal: async () => undefined, store: async () => undefined },
      consoleDir: dir,
    },
    { logger: false },
  );
  afterAll(() => app.close());

  test('/admin redirects to the relative admin/, so a prefix like /scheduler/ is kept', async () => {
    const res = await app.inject({ method: 'GET', url: '/admin' });
    expect(res.statusCode).toBe(302);
    expect(res.headers.location).toBe('admin/');
  });

  test('the page needs no token, is never cached and has a strict CSP', async () => {
    const res = await app.inject({ method: 'GET', url: '/admin/' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.body).toContain('./app-ABC123.js');
    expect(res.headers['cache-control']).toBe('no-cache');
    expect(res.headers['content-security-policy']).toBe(CONSOLE_CSP);
    expect(CONSOLE_CSP).not.toMatch(/unsafe-inline|unsafe-eval|https?:/);
    expect(res.headers['x-frame-options']).toBe('SAMEORIGIN'); // helmet's other headers stay
  });

  test('hashed assets are cached for a year; an unknown file is a 404 in the API error shape', async () => {
    const asset = await app.inject({ method: 'GET', url: '/admin/app-ABC123.js' });
    expect(asset.statusCode).toBe(200);
    expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(asset.headers['content-security-policy']).toBe(CONSOLE_CSP);
    const missing = await app.inject({ method: 'GET', url: '/admin/nothing.js' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ error: { code: 'route_not_found' } });
    expect((await app.inject({ method: 'GET', url: '/admin/../package.json' })).statusCode).toBe(404);
  });

  test('the API stays behind its token', async () => {
    expect((await app.inject({ method: 'GET', url: '/api/identity' })).statusCode).toBe(401);
  });
});
