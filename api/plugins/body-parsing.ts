import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { OptionalKind } from '@sinclair/typebox';
import { scan } from 'secure-json-parse';
import { illFormedPath } from '../../jobs/text';
import { InvalidRequestError } from '../errors';
import { compiledOnFirstUse } from '../compile-on-first-use';

/**
 * Bodies are JSON and validated as sent: `"enabled": null` or `"name": 123` is a 400, never coerced. Query strings
 * and path parameters are text, so they are coerced (`limit=20`, `paused=true`). Unknown fields are kept so the
 * schema can refuse them.
 */
const ajvOptions = { removeAdditional: false, useDefaults: true, allErrors: false } as const;
const strict = addFormats(new Ajv({ ...ajvOptions, coerceTypes: false }));
const coercing = addFormats(new Ajv({ ...ajvOptions, coerceTypes: 'array' }));

/**
 * How the API reads a request: JSON bodies only (through {@link parseJsonBody}, so every body meets its refusals),
 * validated strictly; query strings and path parameters coerced. Not encapsulated: it sets the parser and the
 * validator of the instance it is registered on, for every route registered after it.
 */
export const bodyParsing = fp(
  async (app: FastifyInstance) => {
    // each validator compiled at its route's first request (api/compile-on-first-use.ts): start-up compiles none
    app.setValidatorCompiler(({ schema, httpPart }) => {
      if (httpPart !== 'body') return compiledOnFirstUse(() => coercing.compile(schema));
      const validate = compiledOnFirstUse(() => strict.compile(schema));
      if (!(OptionalKind in schema)) return validate;
      // `Type.Optional(...)` body: no body at all (`curl -X POST …/trigger`; Fastify passes null) is valid, anything sent must match.
      const optional = (data: unknown) => data === undefined || data === null || validate(data);
      return Object.defineProperty(optional, 'errors', { get: () => validate.errors });
    });
    // JSON only: a text/plain body would otherwise reach the schema as a string (`body: must be object`), not a 415
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
      try {
        done(null, parseJsonBody(body as string));
      } catch (err) {
        done(err as Error, undefined);
      }
    });
  },
  { name: 'body-parsing', fastify: '5.x' },
);

/** A JSON escape of a surrogate code unit, either half (`\ud83d`, `\uDE00`). */
const SURROGATE_ESCAPE = /\\u[dD][89a-fA-F]/;

/**
 * JSON as Fastify parses it, prototype poisoning refused (its default), but with refusals that say what is wrong:
 * Fastify's own names nothing. Every body goes through here, so no route can forget the refusals: a string or key
 * that is not well-formed text (a lone surrogate, which PostgreSQL cannot hold) is a 400 naming its path.
 */
function parseJsonBody(body: string): unknown {
  if (body.length === 0) throw new InvalidRequestError('body: is empty, but content-type says application/json');
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    throw new InvalidRequestError('body: is not valid JSON');
  }
  // Only a `\uD800`–`\uDFFF` escape can parse to a lone surrogate (the body itself was decoded from UTF-8), so the
  // walk that names it runs only for a body holding one.
  if (SURROGATE_ESCAPE.test(body) || !body.isWellFormed()) {
    const field = illFormedPath(value);
    if (field !== null) {
      const at = field || 'body';
      throw new InvalidRequestError(
        `${at}: is not well-formed text: it holds a lone surrogate (a \\uD800-\\uDFFF escape without its pair)`,
        at,
      );
    }
  }
  if (value === null || typeof value !== 'object') return value;
  try {
    scan(value, { protoAction: 'error', constructorAction: 'error' });
  } catch {
    // refused: only now is it worth a second walk, to say which key
    try {
      scan(value, { protoAction: 'error', constructorAction: 'ignore' });
    } catch {
      throw new InvalidRequestError('body: a "__proto__" key is not allowed anywhere in it');
    }
    throw new InvalidRequestError('body: a "constructor" object with a "prototype" key is not allowed anywhere in it');
  }
  return value;
}
