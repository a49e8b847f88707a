import { LANGUAGES, SOURCE_FORMATS } from '@flowsmith/contracts';
import { findDiagramFences, parseInfo } from './fences';

describe('Markdown diagram fences', () => {
  it('finds every fence of every language in the registry', () => {
    const cases = SOURCE_FORMATS.flatMap((format) => (LANGUAGES[format].fences as readonly string[]).map((fence) => ({ fence, format })));
    expect(cases.length).toBeGreaterThanOrEqual(SOURCE_FORMATS.length);
    const doc = cases.map(({ fence }) => `\`\`\`${fence}\nsource of ${fence}\n\`\`\``).join('\n\ntext\n\n');
    const { fences } = findDiagramFences(doc.split('\n'));
    expect(fences.map((found) => [found.language, found.source])).toEqual(cases.map(({ fence, format }) => [format, `source of ${fence}`]));
  });

  it('reads attributes in the ways people write them', () => {
    expect(parseInfo('mermaid title="Login flow"')).toEqual({ language: 'mermaid', title: 'Login flow' });
    expect(parseInfo('mermaid {title="Login flow"}')).toEqual({ language: 'mermaid', title: 'Login flow' });
    expect(parseInfo("{.mermaid #login alt='The login'}")).toEqual({ language: 'mermaid', title: 'The login' });
    expect(parseInfo('{#x .numberLines .plantuml}')).toEqual({ language: 'plantuml', title: undefined });
    expect(parseInfo('{mermaid}')).toEqual({ language: 'mermaid', title: undefined });
    expect(parseInfo('plantuml   ')).toEqual({ language: 'plantuml', title: undefined });
    expect(parseInfo('Vega-Lite')).toEqual({ language: 'vegalite', title: undefined });
    expect(parseInfo('mermaid alt="A" title="B"')).toEqual({ language: 'mermaid', title: 'A' });
    expect(parseInfo('ts title="mermaid"')).toEqual({ language: undefined, title: 'mermaid' });
    expect(parseInfo('{.python}')).toEqual({ language: undefined, title: undefined });
    expect(parseInfo('')).toEqual({ language: undefined, title: undefined });
  });

  it('reads ~~~ and longer fences, closes them as CommonMark does, and strips a list item indent', () => {
    const lines = [
      '~~~mermaid',
      'flowchart LR',
      '```',
      '~~~',
      '',
      '````plantuml title="Seq"',
      '@startuml',
      '```',
      '````',
      '',
      '- a step:',
      '  ```dot',
      '  digraph { a -> b }',
      '    indented more',
      '  ```',
    ];
    const { fences, unclosed } = findDiagramFences(lines);
    expect(unclosed).toEqual([]);
    expect(fences).toEqual([
      { language: 'mermaid', title: undefined, source: 'flowchart LR\n```', indent: '', start: 0, end: 3 },
      { language: 'plantuml', title: 'Seq', source: '@startuml\n```', indent: '', start: 5, end: 8 },
      { language: 'graphviz', title: undefined, source: 'digraph { a -> b }\n  indented more', indent: '  ', start: 11, end: 14 },
    ]);
  });

  it('skips diagrams shown inside another fence, and reports a diagram fence never closed', () => {
    const lines = ['````markdown', '```mermaid', 'flowchart LR', '```', '````', '```mermaid', 'flowchart TD', '```', '```text', 'not a `` ```diagram', '```', '```d2', 'a -> b'];
    const { fences, unclosed } = findDiagramFences(lines);
    expect(fences.map((fence) => [fence.language, fence.start])).toEqual([['mermaid', 5]]);
    expect(unclosed).toEqual([11]);
    // A backtick fence's info string cannot hold a backtick (CommonMark): that line is text.
    expect(findDiagramFences(['``` mermaid `x`', 'a', '```']).fences).toEqual([]);
  });
});
