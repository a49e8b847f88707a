import { detectSourceFormat, LANGUAGES, SOURCE_FORMATS } from '@flowsmith/contracts';
import { CORPUS, CORPUS_FORMATS, corpusFiles, LABEL_MARKUP, MERMAID_12_CORPUS } from './corpus';

/**
 * `source_format` detection (libs/contracts/src/detect-format.ts) over every source the suites
 * render: each language's sample and corpus, and every Mermaid diagram type.
 */
describe('detectSourceFormat', () => {
  it.each(SOURCE_FORMATS)("detects %s's sample", (format) => {
    expect(detectSourceFormat(LANGUAGES[format].sample)).toBe(format);
  });

  it.each(CORPUS_FORMATS.map(({ format, extension }) => [format, extension] as const))('detects every %s corpus file', (format, extension) => {
    const wrong = corpusFiles(format, extension)
      .map(({ file, source }) => ({ file, detected: detectSourceFormat(source) }))
      .filter(({ detected }) => detected !== format);
    expect(wrong).toEqual([]);
  });

  it('detects every Mermaid diagram type as mermaid', () => {
    const sources = [...CORPUS, ...MERMAID_12_CORPUS, ...LABEL_MARKUP].map(({ type, source }) => ({ type, detected: detectSourceFormat(source) }));
    expect(sources.filter(({ detected }) => detected !== 'mermaid')).toEqual([]);
  });

  it.each([
    ['Mermaid after front matter and a directive', '---\ntitle: Flow\n---\n%%{init: {"theme": "dark"}}%%\nflowchart LR\n  A --> B', 'mermaid'],
    ["Mermaid's graph with a direction", 'graph TD\n  A{Decide} --> B', 'mermaid'],
    ["DOT's graph with a brace", 'graph {\n  a -- b\n}', 'graphviz'],
    ['DOT, strict and named on the next line', 'strict digraph "deps"\n{\n  a -> b\n}', 'graphviz'],
    ['PlantUML without @startuml on the first line', "' a comment\n@startmindmap\n* root\n@endmindmap", 'plantuml'],
    ['C4 from a URL include', '@startuml\n!includeurl https://example.com/C4_Container.puml\n@enduml', 'c4plantuml'],
    ['a BOM before SVG', '\uFEFF<?xml version="1.0"?>\n<!-- drawn by hand -->\n<svg xmlns="http://www.w3.org/2000/svg"/>', 'svg'],
    ['BPMN with a prefix', '<bpmn2:definitions xmlns:bpmn2="http://www.omg.org/spec/BPMN/20100524/MODEL"/>', 'bpmn'],
    ['an uncompressed draw.io model', '<mxGraphModel><root/></mxGraphModel>', 'drawio'],
    ['Vega-Lite without $schema', '{"mark": "bar", "encoding": {}}', 'vegalite'],
    ['Vega without $schema', '{"width": 100, "marks": []}', 'vega'],
    ['WaveDrom with quoted keys', '{"signal": [{"name": "clk", "wave": "p..."}]}', 'wavedrom'],
    ['a D2 connection', 'a -> b: calls', 'd2'],
  ])('%s', (_name, source, expected) => {
    expect(detectSourceFormat(source)).toBe(expected);
  });

  it.each([
    ['plain words', 'hello world'],
    ['an XML root no language has', '<note><to>Tove</to></note>'],
    ['JSON of no diagram language', '{"name": "flowsmith"}'],
    ['nothing but blank lines', '\n\n  \n'],
  ])('detects nothing in %s', (_name, source) => {
    expect(detectSourceFormat(source)).toBeUndefined();
  });
});
