import { MAX_ENDPOINT_LENGTH } from './job';

/**
 * How many layers of percent-encoding an endpoint may nest (`%2541` is two). Each layer shortens the text by two
 * characters per escape, so a 512-character endpoint could otherwise nest hundreds deep; no real path needs more
 * than a literal `%` written as `%25`.
 */
export const MAX_ENCODING_DEPTH = 4;

/** What {@link parseEndpoint} answers: the endpoint as stored and requested, or why it is refused. */
export type ParsedEndpoint = { endpoint: string; problem?: never } | { problem: string; endpoint?: never };

const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;
const ESCAPE = /%([0-9A-Fa-f]{2})/g;
const HAS_ESCAPE = /%[0-9A-Fa-f]{2}/;
const INVALID_ESCAPE = /%(?![0-9A-Fa-f]{2})/;
/** `.` and `..`, and the `..;x` that Tomcat and Jetty read as `..` (path parameters). */
const DOT_SEGMENT = /^\.{1,2}(;|$)/;
/** Any origin will do: only the path, query and fragment of the parsed URL are kept. */
const PARSE_ORIGIN = 'http://endpoint.invalid';

/**
 * An endpoint (SPEC §2) checked as a path on its service, and put in the form a WHATWG URL parser gives it.
 *
 * Refused: more than {@link MAX_ENDPOINT_LENGTH} characters; anything but a single leading `/`; a backslash, a
 * control character or `://`; a `.` or `..` segment (also `..;`); an invalid escape or one that is not UTF-8 (such
 * as the overlong `%C0%AF`); and, at any depth of percent-encoding and in either case, an escape that decodes to
 * `/`, `\`, `.` or a control character (`%2F`, `%252f`, `%2e`, `%5C`, `%00`, …): a proxy or framework that decodes
 * once more than the parser would otherwise see another path, possibly outside a base URL's path prefix.
 * Deeper layers are decoded leniently (a stray `%` there is text), as lax servers do.
 *
 * Differences the parser makes that do not change where the request goes (it percent-encodes a space, a quote
 * or a non-ASCII character) are kept: the answer is the parsed form, and that is what is stored and called, so
 * registering `/a b` and then `/a%20b` is one definition. A difference that does change the target (a trailing
 * space, which the parser drops) is refused. The query and fragment get only the checks of the whole string.
 * Used at registration and again at call time, for a definition edited in Temporal behind the API.
 */
export function parseEndpoint(endpoint: string): ParsedEndpoint {
  const problem = shapeProblem(endpoint) ?? pathProblem(endpoint.split(/[?#]/)[0] ?? '');
  if (problem) return { problem };
  const parsed = new URL(PARSE_ORIGIN + endpoint).href.slice(PARSE_ORIGIN.length);
  if (parsed !== endpoint && lenientDecode(parsed) !== lenientDecode(endpoint)) {
    return {
      problem:
        `is read by a URL parser as ${JSON.stringify(parsed)}, another path (a trailing space is dropped): ` +
        'write %20 for a space you mean to keep',
    };
  }
  return { endpoint: parsed };
}

function shapeProblem(endpoint: string): string | null {
  if (endpoint.length > MAX_ENDPOINT_LENGTH) return `must be at most ${MAX_ENDPOINT_LENGTH} characters`;
  if (!endpoint.startsWith('/') || endpoint.startsWith('//')) {
    return "must be a path starting with a single /: write e.g. /api/jobs/digest (the host is the service's base URL)";
  }
  if (endpoint.includes('\\')) return 'must not contain a backslash: separate path segments with /';
  if (CONTROL_CHARS.test(endpoint)) return 'must not contain control characters: remove them';
  if (/:\/\//.test(endpoint)) return 'must not contain a scheme or host, not even in the query: write only the path';
  return null;
}

function pathProblem(path: string): string | null {
  for (const segment of path.split('/')) {
    if (INVALID_ESCAPE.test(segment)) {
      return 'has an invalid percent-encoding: write % as %25, and each escape as % and two hex digits';
    }
    let layer = segment;
    for (let depth = 0; ; depth++) {
      if (DOT_SEGMENT.test(layer)) return DOT_SEGMENT_PROBLEM;
      if (!HAS_ESCAPE.test(layer)) break;
      if (depth === MAX_ENCODING_DEPTH) {
        return `must not nest percent-encoding more than ${MAX_ENCODING_DEPTH} deep (%25 inside %25): write it once`;
      }
      const hidden = hiddenCharacterProblem(layer, depth);
      if (hidden) return hidden;
      const decoded = decodeLayer(layer, true);
      if (decoded === null) {
        return (
          'has a percent-encoding that is not UTF-8 (such as the overlong %C0%AF): ' +
          'write each character as the escapes of its UTF-8 bytes, e.g. %C3%A9 for é'
        );
      }
      layer = decoded;
    }
  }
  return null;
}

const DOT_SEGMENT_PROBLEM =
  'must not contain . or .. segments in any spelling (%2E, %252e, .%2e, ..;): ' +
  'write the path they resolve to, e.g. /a/c for /a/b/../c';

/** An escape in `layer` that decodes to a separator, a dot or a control character. */
function hiddenCharacterProblem(layer: string, depth: number): string | null {
  for (const [escape, hex] of layer.matchAll(ESCAPE)) {
    const byte = parseInt(hex ?? '', 16);
    const spelled = depth === 0 ? escape : `${escape} under ${depth} layer${depth > 1 ? 's' : ''} of %25`;
    if (byte === 0x2f || byte === 0x5c) {
      return (
        `must not hide a ${byte === 0x2f ? '/' : '\\'} in percent-encoding (${spelled}): a server that decodes it ` +
        'sees other path segments. Separate segments with a plain /, and pass a value holding one in the payload'
      );
    }
    if (byte === 0x2e) return `must not percent-encode a dot (${spelled}): write . itself`;
    if (byte < 0x20 || byte === 0x7f) {
      return `must not contain control characters, encoded or not (${spelled}): remove them`;
    }
  }
  return null;
}

/**
 * One layer of percent-decoding: every well-formed escape, as UTF-8; a stray `%` stays. Bytes that are not UTF-8
 * make it null when `fatal`, U+FFFD otherwise.
 */
function decodeLayer(text: string, fatal: boolean): string | null {
  const utf8 = new TextEncoder();
  const bytes: number[] = [];
  let last = 0;
  for (const match of text.matchAll(ESCAPE)) {
    bytes.push(...utf8.encode(text.slice(last, match.index)), parseInt(match[1] ?? '', 16));
    last = match.index + match[0].length;
  }
  bytes.push(...utf8.encode(text.slice(last)));
  try {
    return new TextDecoder('utf-8', { fatal }).decode(Uint8Array.from(bytes));
  } catch {
    return null;
  }
}

/** What a parser's percent-encoding leaves the same: the text decoded once. */
function lenientDecode(text: string): string {
  return decodeLayer(text, false) ?? text;
}
