import Fastify from 'fastify';
import type { AddressInfo } from 'node:net';
import { MockActivityEnvironment } from '@temporalio/testing';
import { alertActivities } from '../activities/deliver-alert';
import { createSigner } from '../jobs/signature';
import type { Alert, AlertPayload } from '../jobs/alert';
import { createTemporalLinks } from '../temporal/links';
import { schedulerSignature } from './fastify-plugin';

/** A service's alert route behind the plugin it already uses for calls, fed by the scheduler's own deliverAlert. */
describe('signed alerts, verified by client/', () => {
  const secret = 'shared-secret-of-some-length';
  const alert: Alert = {
    id: 'weekly-digest/no_success_within/2026-11-30T08:00:00.000Z',
    kind: 'firing',
    job: { name: 'weekly-digest', service: 'email-service' },
    rule: { type: 'no_success_within', seconds: 86_400 },
    summary: 'weekly-digest has not succeeded for 1 day',
    openedAt: new Date().toISOString(),
    resolvedAt: null,
    runs: [],
    nextSteps: [],
  };

  test('the plugin accepts an alert the scheduler delivers, runs it once, and answers a repeat as processed', async () => {
    const received: AlertPayload[] = [];
    const app = Fastify();
    await app.register(async (alerts) => {
      await alerts.register(schedulerSignature, { secret });
      alerts.post<{ Body: AlertPayload }>('/scheduler-alerts', async (req) => {
        received.push(req.body);
        return { ok: true };
      });
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      const { port } = app.server.address() as AddressInfo;
      const { deliverAlert } = alertActivities({
        fetch: globalThis.fetch,
        signer: createSigner(secret),
        alerts: {
          consoleUrl: 'http://localhost:8080/admin/',
          temporal: createTemporalLinks('http://localhost:8233', 'default'),
          destinations: new Map([
            ['team', { name: 'team', kind: 'webhook', url: `http://127.0.0.1:${port}/scheduler-alerts` }],
          ]),
          maxAgeHours: 24,
        },
      });
      const env = new MockActivityEnvironment();
      expect(await env.run(deliverAlert, { alert, destination: 'team' })).toMatchObject({ status: 'delivered' });
      expect(await env.run(deliverAlert, { alert, destination: 'team' })).toMatchObject({ status: 'delivered' });
      expect(received).toHaveLength(1); // the repeat was answered 200 already_processed, the handler not run
      expect(received[0]).toMatchObject({
        version: 1,
        id: alert.id,
        kind: 'firing',
        idempotencyKey: `${alert.id}:firing:team`,
      });

      const forged = await app.inject({
        method: 'POST',
        url: '/scheduler-alerts',
        headers: {
          'content-type': 'application/json',
          'idempotency-key': 'x',
          'x-scheduler-signature': createSigner('another-secret-0123').sign('{}'),
        },
        payload: '{}',
      });
      expect(forged.statusCode).toBe(401);
      expect(received).toHaveLength(1);
    } finally {
      await app.close();
    }
  });
});
