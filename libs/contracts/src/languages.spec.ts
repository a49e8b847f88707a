import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LANGUAGES, languageOfFence, languageOfFile, languageOfKrokiType, SOURCE_FORMATS } from './languages';

describe('the language registry', () => {
  it('names each Kroki type, file ending and fence once', () => {
    for (const field of ['kroki', 'extensions', 'fences'] as const) {
      const all = SOURCE_FORMATS.flatMap((format) => [...LANGUAGES[format][field]]);
      expect({ field, duplicates: all.filter((name, i) => all.indexOf(name) !== i) }).toEqual({ field, duplicates: [] });
    }
  });

  it('finds a language by Kroki name, file and fence', () => {
    expect([languageOfKrokiType('DOT'), languageOfKrokiType('diagramsnet'), languageOfKrokiType('umlet')]).toEqual(['graphviz', 'drawio', undefined]);
    expect([languageOfFile('docs/a.MMD'), languageOfFile('/x/flow.c4puml'), languageOfFile('net.gv'), languageOfFile('notes.txt')]).toEqual(['mermaid', 'c4plantuml', 'graphviz', undefined]);
    expect([languageOfFence('plantuml'), languageOfFence('mermaid title="x"'), languageOfFence('js')]).toEqual(['plantuml', 'mermaid', undefined]);
  });

  it('has a sample and an engine version for every language', () => {
    for (const format of SOURCE_FORMATS) expect([format, LANGUAGES[format].sample.trim().length > 20, /\/r\d+$/.test(LANGUAGES[format].engine)]).toEqual([format, true, true]);
  });

  // docs/languages.md is the newcomer's list: a registered language missing from its table is a doc that lies.
  it('is the table of docs/languages.md', () => {
    const doc = readFileSync(join(__dirname, '../../../docs/languages.md'), 'utf8');
    const rows = doc.split('\n').filter((line) => line.startsWith('| `'));
    const documented = new Set(rows.flatMap((row) => [...row.split('|')[1].matchAll(/`([a-z0-9]+)`/g)].map((match) => match[1])));
    expect(SOURCE_FORMATS.filter((format) => !documented.has(format))).toEqual([]);
  });
});
