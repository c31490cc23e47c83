import { SerializerSelector } from '@fastify/fast-json-stringify-compiler';
import type { FastifyServerOptions } from 'fastify';

/**
 * `compile()` run at the first call of the function it answers, not now; the compiled function's `errors` (Ajv's,
 * which Fastify reads after a failed validation) are passed through. Throws what `compile` throws, at that first call.
 */
export function compiledOnFirstUse<F extends (...args: never[]) => unknown>(compile: () => F): F {
  let compiled: F | undefined;
  const call = (...args: Parameters<F>) => (compiled ??= compile())(...args);
  return Object.defineProperty(call, 'errors', {
    get: () => (compiled as { errors?: unknown } | undefined)?.errors ?? null,
  }) as unknown as F;
}

/**
 * Fastify's own response serializers (fast-json-stringify, through `@fastify/fast-json-stringify-compiler`), each
 * built at its route's first answer with that status instead of when the route is registered. Building all of them
 * took 307 of the 835 ms of CPU that building the API cost at start-up (2 cores; 5 times as long at the pod's
 * 0.2 CPU), for routes and error statuses most processes never answer. A schema fast-json-stringify refuses still
 * fails, at the first answer that needs it: the tests that call each route find it. Pass as Fastify's
 * `schemaController` option (Fastify's "Schema Controller" docs, `compilersFactory.buildSerializer`).
 */
export const SERIALIZERS_ON_FIRST_USE: NonNullable<FastifyServerOptions['schemaController']> = {
  compilersFactory: {
    buildSerializer: (externalSchemas: unknown, options: unknown) => {
      const compilerOf = SerializerSelector()(externalSchemas as never, options as never);
      return (route: Parameters<typeof compilerOf>[0]) => compiledOnFirstUse(() => compilerOf(route));
    },
  },
};
