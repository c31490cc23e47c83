import { cutChars, cutUtf8, illFormedPath, wellFormed } from './text';

const SMILE = '😀'; // U+1F600: two UTF-16 units, four UTF-8 bytes
const utf8 = (text: string) => Buffer.byteLength(text);
/** Decoding the UTF-8 of a well-formed string gives it back; a split character would come back as U+FFFD. */
const roundTrips = (text: string) => Buffer.from(text, 'utf8').toString('utf8') === text && text.isWellFormed();

describe('cutChars', () => {
  it.each([
    ['the cut lands on a high surrogate (odd prefix)', `a${SMILE.repeat(10)}`, 6, `a${SMILE.repeat(5)}`],
    ['the cut lands on a low surrogate (even prefix)', `bb${SMILE.repeat(10)}`, 6, `bb${SMILE.repeat(4)}`],
  ])('never splits a surrogate pair when %s', (_case, text, max, expected) => {
    const cut = cutChars(text, max);
    expect(cut).toBe(expected);
    expect([...cut]).toHaveLength(max);
    expect(roundTrips(cut)).toBe(true);
  });

  it('counts characters, not UTF-16 units, and keeps short text as is', () => {
    expect(cutChars(SMILE.repeat(3), 3)).toBe(SMILE.repeat(3));
    expect(cutChars('abc', 200)).toBe('abc');
    expect(cutChars('abcdef', 0)).toBe('');
  });

  it('answers well-formed text even from ill-formed input', () => {
    expect(cutChars('a\ud800b', 10)).toBe('a\ufffdb');
    expect(cutChars('\udc00\ud83d', 1)).toBe('\ufffd');
  });
});

describe('cutUtf8', () => {
  // a + n×😀: the budget ends inside the 4-byte sequence at every offset 1..3 (and on its boundary)
  it.each([0, 1, 2, 3])('never splits a 4-byte character, the budget ending %i byte(s) into it', (into) => {
    for (const prefix of ['a', 'bb']) {
      const text = prefix + SMILE.repeat(3000);
      const budget = prefix.length + 4 * 100 + into;
      const cut = cutUtf8(text, budget);
      expect(cut).toBe(prefix + SMILE.repeat(100));
      expect(utf8(cut)).toBeLessThanOrEqual(budget);
      expect(roundTrips(cut)).toBe(true);
    }
  });

  it('fills the budget with 1-, 2- and 3-byte characters exactly', () => {
    expect(cutUtf8('x'.repeat(3000), 2048)).toHaveLength(2048);
    expect(utf8(cutUtf8('é'.repeat(3000), 2048))).toBe(2048);
    expect(utf8(cutUtf8('€'.repeat(3000), 2048))).toBe(2046);
    expect(cutUtf8('short', 2048)).toBe('short');
  });

  it('answers well-formed text even from ill-formed input, counting U+FFFD as 3 bytes', () => {
    expect(cutUtf8(`a\ud800${SMILE}`, 4)).toBe('a\ufffd');
    expect(cutUtf8(`a\ud800${SMILE}`, 8)).toBe(`a\ufffd${SMILE}`);
  });
});

describe('wellFormed', () => {
  it('replaces lone surrogates of either kind and keeps pairs', () => {
    expect(wellFormed(`${SMILE}\ud83d`)).toBe(`${SMILE}\ufffd`);
    expect(wellFormed('\ude00x')).toBe('\ufffdx');
    const text = `ok ${SMILE}`;
    expect(wellFormed(text)).toBe(text);
  });
});

describe('illFormedPath', () => {
  it('names the first ill-formed string or key by its path', () => {
    expect(illFormedPath({ payload: { greeting: 'hi\ud800' } })).toBe('payload.greeting');
    expect(illFormedPath({ jobs: [{ name: 'a' }, { payload: { x: ['ok', '\udc00'] } }] })).toBe('jobs.1.payload.x.1');
    expect(illFormedPath({ payload: { 'k\ud800': 1 } })).toBe('payload.k\ufffd');
    expect(illFormedPath({ note: `${SMILE}\ud83d` })).toBe('note');
    expect(illFormedPath('\ud800')).toBe('');
  });

  it('finds nothing in well-formed JSON, astral characters included', () => {
    expect(illFormedPath({ a: [SMILE, 1, null, true, { [SMILE]: `${SMILE}x` }] })).toBeNull();
    expect(illFormedPath(42)).toBeNull();
  });
});
