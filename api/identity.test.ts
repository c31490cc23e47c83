import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { base64url, exportJWK, exportSPKI, generateKeyPair, SignJWT, UnsecuredJWT, type KeyLike } from 'jose';
import { loadConfig } from '../config/config';
import { ForbiddenError, UnauthorizedError } from './errors';
import { createAuthenticator } from './identity';

/** Admin JWTs as the portal's Clerk session tokens carry them, against a real JWKS endpoint on loopback. */
describe('admin JWTs', () => {
  let server: Server;
  let jwksUrl: string;
  let key: KeyLike;
  let strangerKey: KeyLike;
  let ecKey: KeyLike;
  let publicPem: string;
  const issuer = 'https://clerk.stumbleable.example';

  beforeAll(async () => {
    const pair = await generateKeyPair('RS256');
    key = pair.privateKey;
    strangerKey = (await generateKeyPair('RS256')).privateKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
    publicPem = await exportSPKI(pair.publicKey);
    const ec = await generateKeyPair('ES256');
    ecKey = ec.privateKey;
    const ecJwk = { ...(await exportJWK(ec.publicKey)), kid: 'k2', alg: 'ES256', use: 'sig' };
    server = createServer((_req, res) =>
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk, ecJwk] })),
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
        SCHEDULER_ADMIN_JWT_AUDIENCE: 'scheduler',
        SCHEDULER_ADMIN_ROLE_CLAIM: 'metadata.role',
        SCHEDULER_ADMIN_NAME_CLAIM: 'email',
        SCHEDULER_SERVICE_TOKENS: 'email-service=email-token-0123456789',
        EMAIL_SERVICE_URL: 'http://email-service:7006',
      }).identity,
    );
  type JwtOptions = {
    signer?: KeyLike | Uint8Array;
    alg?: string;
    kid?: string;
    iss?: string;
    aud?: string;
    exp?: string;
  };
  const jwt = (claims: Record<string, unknown>, opts: JwtOptions = {}) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: opts.alg ?? 'RS256', kid: opts.kid ?? 'k1' })
      .setSubject('user_2abc')
      .setIssuer(opts.iss ?? issuer)
      .setAudience(opts.aud ?? 'scheduler')
      .setIssuedAt()
      .setExpirationTime(opts.exp ?? '5m')
      .sign(opts.signer ?? key);
  const admin = { metadata: { role: 'admin' } };
  const bearer = async (token: Promise<string> | string) => `Bearer ${await token}`;

  test('an admin session token is an admin named by its claim', async () => {
    const caller = await authenticator()(
      await bearer(jwt({ metadata: { role: 'admin' }, email: 'alice@stumbleable.com' })),
    );
    expect(caller).toEqual({ kind: 'admin', name: 'alice@stumbleable.com' });
  });

  test('an ES256 token from a key in the JWKS is accepted too', async () => {
    const caller = await authenticator()(
      await bearer(jwt({ ...admin, email: 'bob@x' }, { alg: 'ES256', kid: 'k2', signer: ecKey })),
    );
    expect(caller).toEqual({ kind: 'admin', name: 'bob@x' });
  });

  test('a signed-in user without the admin role is forbidden', async () => {
    await expect(authenticator()(await bearer(jwt({ metadata: { role: 'member' } })))).rejects.toBeInstanceOf(
      ForbiddenError,
    );
  });

  test.each([
    ['another issuer', () => jwt(admin, { iss: 'https://evil.example' })],
    ['another audience', () => jwt(admin, { aud: 'billing' })],
    ['an expired token', () => jwt(admin, { exp: '-1m' })],
    ['a key not in the JWKS', () => jwt(admin, { signer: strangerKey })],
    ['an unknown kid', () => jwt(admin, { signer: strangerKey, kid: 'k9' })],
    [
      'alg none',
      () => new UnsecuredJWT(admin).setIssuer(issuer).setAudience('scheduler').setExpirationTime('5m').encode(),
    ],
    // HS/RS confusion: an HMAC keyed with the published public key, which a naive verifier would accept
    [
      'HS256 keyed with the public key',
      () => jwt(admin, { alg: 'HS256', signer: new TextEncoder().encode(publicPem) }),
    ],
    [
      'a forged payload under a real signature',
      async () => {
        const [head, , sig] = (await jwt({ metadata: { role: 'member' } })).split('.');
        return `${head}.${base64url.encode(JSON.stringify({ ...admin, iss: issuer, aud: 'scheduler', sub: 'x', exp: 9e9 }))}.${sig}`;
      },
    ],
    ['garbage with three dots', () => 'a.b.c'],
  ])('%s is a 401', async (_label, token) => {
    await expect(authenticator()(await bearer(token()))).rejects.toBeInstanceOf(UnauthorizedError);
  });

  test('static service tokens keep working beside JWTs, and there is no open mode', async () => {
    expect(await authenticator()('Bearer email-token-0123456789')).toEqual({ kind: 'service', name: 'email-service' });
    await expect(authenticator()(undefined)).rejects.toBeInstanceOf(UnauthorizedError);
  });
});
