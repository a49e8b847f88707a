import { located } from './renderer';

describe('located (a parse failure names its line)', () => {
  it('adds the line and column an engine gave but did not write', () => {
    expect(located({ code: 'parse_failed', message: 'D2: double quoted strings must be terminated with "', line: 4, column: 9 }).message).toBe('D2: double quoted strings must be terminated with " (line 4, column 9).');
    expect(located({ code: 'parse_failed', message: "WaveDrom: invalid character 'w' at 3:18.", line: 3 }).message).toBe("WaveDrom: invalid character 'w' at 3:18 (line 3).");
  });

  it('leaves a message that names its line, one without a line, and other failures alone', () => {
    const named = { code: 'parse_failed' as const, message: 'Parse error on line 2: ...', line: 2 };
    expect(located(named)).toBe(named);
    expect(located({ code: 'parse_failed', message: 'No diagram found' }).message).toBe('No diagram found');
    expect(located({ code: 'render_timeout', message: 'slow', line: 3 }).message).toBe('slow');
  });
});
