import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import underPressure from '@fastify/under-pressure';
import { getHeapStatistics } from 'node:v8';
import { OverloadedError } from '../errors';

/** Past either limit, new /api requests are a 503 `overloaded` with Retry-After; probes and metrics still answer. */
export interface Pressure {
  maxHeapUsedBytes: number;
  /** 0: not checked. */
  maxEventLoopDelayMs: number;
  /** How often both are sampled. */
  sampleIntervalMs: number;
}

/**
 * 85 % of the heap cap (the pod's `--max-old-space-size`), so that a flood of requests is refused before it runs the
 * process out of heap, and a second of event-loop lag, when answering late is as good as not answering.
 */
export const DEFAULT_PRESSURE: Pressure = {
  maxHeapUsedBytes: Math.floor(0.85 * getHeapStatistics().heap_size_limit),
  maxEventLoopDelayMs: 1000,
  sampleIntervalMs: 1000,
};
const PRESSURE_RETRY_AFTER_SECONDS = 5;

/**
 * Load shedding (`@fastify/under-pressure`) in our error shape. Not encapsulated, so that it covers the routes of the
 * scope it is registered in (`/api`), and only those.
 */
export const loadShedding = fp(
  async (app: FastifyInstance, { pressure }: { pressure: Pressure }) => {
    await app.register(underPressure, {
      maxHeapUsedBytes: pressure.maxHeapUsedBytes,
      maxEventLoopDelay: pressure.maxEventLoopDelayMs,
      sampleInterval: pressure.sampleIntervalMs,
      pressureHandler: async (_req, reply, type) => {
        void reply.header('retry-after', String(PRESSURE_RETRY_AFTER_SECONDS));
        throw new OverloadedError(
          `the scheduler is overloaded (${type === 'heapUsedBytes' ? 'heap' : 'event loop lag'}); retry in ${PRESSURE_RETRY_AFTER_SECONDS} s`,
        );
      },
    });
  },
  { name: 'load-shedding', fastify: '5.x' },
);
