import { adminOfNote, adminPauseNote } from './pause-note';

describe("an admin's pause note", () => {
  it('names the admin, who is read back from it', () => {
    expect(adminPauseNote(true, 'alice', 'upstream migration')).toBe('paused by alice: upstream migration');
    expect(adminPauseNote(false, 'bob')).toBe('resumed by bob');
    expect(adminOfNote(adminPauseNote(true, 'alice', 'until: Monday'))).toBe('alice');
    expect(adminOfNote(adminPauseNote(false, 'bob'))).toBe('bob');
  });

  it('names nobody in any other note', () => {
    expect(adminOfNote('from Temporal Web')).toBeNull();
    expect(adminOfNote('disabled by its service (enabled: false)')).toBeNull();
    expect(adminOfNote(null)).toBeNull();
  });
});
