import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type KeyLike } from 'jose';
import { loadConfig } from '../config/config';
import { ForbiddenError, UnauthorizedError } from './errors';
import { createAuthenticator } from './identity';

/** Admin JWTs as the portal's Clerk session tokens carry them, against a real JWKS endpoint on loopback. */
describe('admin JWTs', () => {
  let server: Server;
  let jwksUrl: string;
  let key: KeyLike;
  let strangerKey: KeyLike;
  const issuer = 'https://clerk.stumbleable.example';

  beforeAll(async () => {
    const pair = await generateKeyPair('RS256');
    key = pair.privateKey;
    strangerKey = (await generateKeyPair('RS256')).privateKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
    server = createServer((_req, res) =>
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] })),
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
  });
  afterAll(() => new Promise((r) => server.close(r)));

  const authenticator = () =>
    createAuthenticator(
      loadConfig({
        SCHEDULER_ADMIN_JWKS_URL: jwksUrl,
        SCHEDULER_ADMIN_JWT_ISSUER: issuer,
        SCHEDULER_ADMIN_JWT_ROLE_CLAIM: 'metadata.role',
        SCHEDULER_ADMIN_JWT_NAME_CLAIM: 'email',
        SCHEDULER_SERVICE_TOKENS: 'email-service=email-token-0123456789',
      }).identity,
    );
  const jwt = (claims: Record<string, unknown>, opts: { signer?: KeyLike; iss?: string; exp?: string } = {}) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
      .setSubject('user_2abc')
      .setIssuer(opts.iss ?? issuer)
      .setIssuedAt()
      .setExpirationTime(opts.exp ?? '5m')
      .sign(opts.signer ?? key);
  const bearer = async (token: Promise<string> | string) => `Bearer ${await token}`;

  test('an admin session token is an admin named by its claim', async () => {
    const caller = await authenticator()(
      await bearer(jwt({ metadata: { role: 'admin' }, email: 'alice@stumbleable.com' })),
    );
    expect(caller).toEqual({ kind: 'admin', name: 'alice@stumbleable.com' });
  });

  test('a signed-in user without the admin role is forbidden', async () => {
    await expect(authenticator()(await bearer(jwt({ metadata: { role: 'member' } })))).rejects.toBeInstanceOf(
      ForbiddenError,
    );
  });

  test.each([
    ['another issuer', () => jwt({ metadata: { role: 'admin' } }, { iss: 'https://evil.example' })],
    ['an expired token', () => jwt({ metadata: { role: 'admin' } }, { exp: '-1m' })],
    ['a key not in the JWKS', () => jwt({ metadata: { role: 'admin' } }, { signer: strangerKey })],
  ])('%s is a 401', async (_label, token) => {
    await expect(authenticator()(await bearer(token()))).rejects.toBeInstanceOf(UnauthorizedError);
  });

  test('static service tokens keep working beside JWTs, and there is no open mode', async () => {
    expect(await authenticator()('Bearer email-token-0123456789')).toEqual({ kind: 'service', name: 'email-service' });
    await expect(authenticator()(undefined)).rejects.toBeInstanceOf(UnauthorizedError);
  });
});
