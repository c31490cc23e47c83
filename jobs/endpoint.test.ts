import fc from 'fast-check';
import { MAX_ENCODING_DEPTH, parseEndpoint } from './endpoint';
import { isUnder, laxResolve } from '../test/support/lax-proxy';
import { targetUrl } from './services';

const problemOf = (endpoint: string) => parseEndpoint(endpoint).problem ?? null;

describe('parseEndpoint', () => {
  const HIDDEN_SLASH = /must not hide a \/ in percent-encoding/;
  const HIDDEN_BACKSLASH = /must not hide a \\ in percent-encoding/;
  const ENCODED_DOT = /must not percent-encode a dot/;
  const DOT_SEGMENT = /must not contain \. or \.\. segments/;
  const NOT_UTF8 = /not UTF-8/;
  const CONTROL = /control characters/;

  test.each([
    // encoded separators, in either case, anywhere in a segment
    ['/api/jobs/..%2f..%2fadmin', HIDDEN_SLASH],
    ['/api/jobs/..%2F..%2Fadmin', HIDDEN_SLASH],
    ['/%2f%2f127.0.0.1:9/', HIDDEN_SLASH],
    ['/a%2Fb', HIDDEN_SLASH],
    ['/a/b%2f', HIDDEN_SLASH],
    ['/%2fa', HIDDEN_SLASH],
    ['/a%5cb', HIDDEN_BACKSLASH],
    ['/..%5C..%5Cadmin', HIDDEN_BACKSLASH],
    // double and triple encoding, mixed case
    ['/%252f', HIDDEN_SLASH],
    ['/%252F', HIDDEN_SLASH],
    ['/a/%25252F/b', HIDDEN_SLASH],
    ['/a/%25252f', HIDDEN_SLASH],
    ['/%255C', HIDDEN_BACKSLASH],
    ['/%25255c', HIDDEN_BACKSLASH],
    ['/%25%32%66', HIDDEN_SLASH], // %2f spelled with its own digits encoded
    // dot segments, encoded wholly or partly, at the end or in the middle
    ['/a/%2e%2e/b', ENCODED_DOT],
    ['/a/%2E%2e', ENCODED_DOT],
    ['/a/.%2e/b', ENCODED_DOT],
    ['/a/%2E./b', ENCODED_DOT],
    ['/a/%2e', ENCODED_DOT],
    ['/a/%252e%252e/b', ENCODED_DOT],
    ['/a/%25252E%25252E', ENCODED_DOT],
    ['/a/.%252e/b', ENCODED_DOT],
    ['/report%2ejson', ENCODED_DOT], // harmless here, but there is never a reason to encode a dot
    ['/a/../b', DOT_SEGMENT],
    ['/a/./b', DOT_SEGMENT],
    ['/a/..', DOT_SEGMENT],
    ['/a/.', DOT_SEGMENT],
    ['/a/..;/b', DOT_SEGMENT], // Tomcat's path parameter: read as ..
    ['/a/..;jsessionid=1/b', DOT_SEGMENT],
    ['/a/..%3b/b', DOT_SEGMENT],
    ['/a/..%253B/b', DOT_SEGMENT],
    // not UTF-8: overlong / and . that lax decoders turn into separators
    ['/a%c0%afb', NOT_UTF8],
    ['/%C0%AE%C0%AE/x', NOT_UTF8],
    ['/%e0%80%af', NOT_UTF8],
    ['/%25c0%25af', NOT_UTF8],
    ['/%ff', NOT_UTF8],
    // control characters, encoded or not
    ['/a%00', CONTROL],
    ['/a%2500', CONTROL],
    ['/a%0d%0aHost:x', CONTROL],
    ['/a%7f', CONTROL],
    ['/a\u0000', CONTROL],
    // invalid escapes, nesting too deep, and what a parser reads as another path
    ['/a%zz', /invalid percent-encoding/],
    ['/a%', /invalid percent-encoding/],
    ['/a%2', /invalid percent-encoding/],
    [`/%${'25'.repeat(MAX_ENCODING_DEPTH)}41`, /nest percent-encoding/],
    ['/a ', /read by a URL parser as "\/a"/],
    ['/a  ', /read by a URL parser as "\/a"/],
  ])('%j is refused', (endpoint, problem) => {
    expect(problemOf(endpoint)).toMatch(problem);
  });

  test('every refusal says what to write instead', () => {
    const refusals = ['/%2f', '/%5c', '/%2e', '/..', '/a%zz', '/%c0%af', '/a ', 'x', '/a\\b', '/a%00', '/a\u0001'];
    for (const endpoint of [...refusals, '/x?u=http://h', `/%${'25'.repeat(MAX_ENCODING_DEPTH)}41`]) {
      expect(problemOf(endpoint)).toMatch(/write|separate|remove/i);
    }
  });

  test.each([
    ['/api/jobs/weekly-digest', '/api/jobs/weekly-digest'],
    ['/', '/'],
    ['/a//b', '/a//b'],
    ['/a/...', '/a/...'], // three dots are a name
    ['/a/.well-known/x', '/a/.well-known/x'],
    ['/a/..b/c..', '/a/..b/c..'],
    ['/100%25', '/100%25'],
    ['/100%25zz', '/100%25zz'],
    ['/%41', '/%41'],
    [`/%${'25'.repeat(MAX_ENCODING_DEPTH - 1)}41`, `/%${'25'.repeat(MAX_ENCODING_DEPTH - 1)}41`],
    ['/a%20b', '/a%20b'],
    ['/a%2520b', '/a%2520b'],
    ['/a%20', '/a%20'],
    ['/x?next=%2F..%2F', '/x?next=%2F..%2F'], // the query keeps its own rules
    ['/x#@127.0.0.1', '/x#@127.0.0.1'],
    // harmless differences: stored as the parser writes them
    ['/a b', '/a%20b'],
    ['/caf\u00e9', '/caf%C3%A9'],
    ['/a"<>`{}b', '/a%22%3C%3E%60%7B%7Db'],
    ['/\uff0f\uff0f127.0.0.1', '/%EF%BC%8F%EF%BC%8F127.0.0.1'],
    ['/x?q=a b', '/x?q=a%20b'],
    ['/x?', '/x?'],
  ])('%j is kept as %j', (endpoint, stored) => {
    expect(parseEndpoint(endpoint)).toEqual({ endpoint: stored });
    expect(parseEndpoint(stored)).toEqual({ endpoint: stored }); // the stored form is its own normal form
  });
});

describe('targetUrl behind a base URL with a path prefix', () => {
  const services = new Map([['email-service', 'http://127.0.0.1:7006/prefix']]);

  test('is the base URL followed by the endpoint as stored', () => {
    expect(targetUrl(services, 'email-service', '/a b?x=1').href).toBe('http://127.0.0.1:7006/prefix/a%20b?x=1');
    expect(targetUrl(services, 'email-service', '/').href).toBe('http://127.0.0.1:7006/prefix/');
  });

  test.each(['/..%2f..%2fadmin', '/%2e%2e/admin', '/%252e%252e%252fadmin', '/..;/admin', '/%c0%ae%c0%ae/admin'])(
    '%j is refused at call time too',
    (endpoint) => {
      expect(() => targetUrl(services, 'email-service', endpoint)).toThrow(/endpoint/);
    },
  );

  const TOKENS = [
    ...['/', '.', '..', 'a', 'b', '%', '2', '5', 'c', 'C', 'e', 'E', 'f', 'F', ';', '?', '#', ' ', '\u00e9', '\\'],
    ...['%2f', '%2F', '%5c', '%5C', '%2e', '%2E', '%25', '%252f', '%252E', '%2525', '%3b', '%41', '%c0', '%af'],
  ];
  const endpoints = fc.oneof(
    fc.array(fc.constantFrom(...TOKENS), { maxLength: 16 }).map((tokens) => `/${tokens.join('')}`),
    fc.webPath().map((path) => (path.startsWith('/') ? path : `/${path}`)),
  );

  test('an accepted endpoint is requested under the base path however often a proxy decodes it', () => {
    let accepted = 0;
    let refused = 0;
    fc.assert(
      fc.property(endpoints, fc.integer({ min: 0, max: MAX_ENCODING_DEPTH + 2 }), (endpoint, times) => {
        if (parseEndpoint(endpoint).problem !== undefined) {
          refused++;
          return;
        }
        accepted++;
        const url = targetUrl(services, 'email-service', endpoint);
        expect(url.origin).toBe('http://127.0.0.1:7006');
        const resolved = laxResolve(url.pathname, times);
        if (!isUnder(resolved, '/prefix')) throw new Error(`${url.pathname} decoded ${times}× is ${resolved}`);
      }),
      { numRuns: 5000 },
    );
    // neither side of the property is empty
    expect(accepted).toBeGreaterThan(500);
    expect(refused).toBeGreaterThan(500);
  });
});
