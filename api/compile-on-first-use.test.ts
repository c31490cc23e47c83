import Ajv from 'ajv';
import Fastify from 'fastify';
import { compiledOnFirstUse, SERIALIZERS_ON_FIRST_USE } from './compile-on-first-use';

describe('compiledOnFirstUse', () => {
  test('compiles at the first call, once, and passes the compiled validator’s errors through', () => {
    let compiles = 0;
    const ajv = new Ajv();
    const validate = compiledOnFirstUse(() => {
      compiles++;
      return ajv.compile({ type: 'object', required: ['name'] });
    });
    expect(compiles).toBe(0);
    expect(validate({})).toBe(false);
    expect((validate as unknown as { errors: { message: string }[] }).errors[0]!.message).toBe(
      "must have required property 'name'",
    );
    expect(validate({ name: 'nightly' })).toBe(true);
    expect(compiles).toBe(1);
  });

  test('a route answers through its schema’s serializer, built at its first answer: fields outside it are left out', async () => {
    const app = Fastify({ schemaController: SERIALIZERS_ON_FIRST_USE });
    app.get(
      '/job',
      { schema: { response: { 200: { type: 'object', properties: { name: { type: 'string' } } } } } },
      async () => ({ name: 'nightly', secret: 'not in the schema' }),
    );
    await app.ready();
    for (let i = 0; i < 2; i++) expect((await app.inject('/job')).json()).toEqual({ name: 'nightly' });
    await app.close();
  });
});
