/**
 * Every diagram language Flowsmith renders, in one place (docs/languages.md). The source formats of
 * the API and the database, the CLI's file extensions and Markdown fences, the playground's menu and
 * samples, the OpenAPI enums, the Kroki type names, the test corpora and the XSS audit all derive
 * from this list; libs/rendering/src/engines.ts says which engine draws each one (a record over
 * these ids, so a language without an engine does not compile), and a render worker refuses to
 * start when a language's sample does not render.
 *
 * Adding a language: an engine folder in libs/rendering/src/, its entry here, its line in engines.ts.
 */
export interface LanguageDefinition {
  /**
   * The engine's version and our post-processing's revision: part of every cache key, so a new
   * version never serves an old rendering. Bump the `/rN` suffix when our own processing changes.
   */
  readonly engine: string;
  /** What people call it (the playground's menu, docs). */
  readonly label: string;
  /** Kroki's names for it (the first is Kroki's own, the rest its aliases); none when Kroki has no such type. */
  readonly kroki: readonly string[];
  /** File extensions the CLI reads as this language (lower case, with the dot). */
  readonly extensions: readonly string[];
  /** Info strings of Markdown code fences that hold it (the CLI's `embed`). */
  readonly fences: readonly string[];
  /** Whether the engine draws it as text too (`txt` output). */
  readonly text: boolean;
  /**
   * What its sources are written in, for the gateway's estimate of their size (fairness.ts):
   * `xml` counts start tags, `json` objects, `text` statements (lines).
   */
  readonly syntax: 'text' | 'xml' | 'json';
  /** A small diagram that shows the language at its best: the playground opens with it, and start-up renders it. */
  readonly sample: string;
}

export const LANGUAGES = {
  mermaid: {
    engine: 'mermaid-12.4.0/r5',
    syntax: 'text',
    label: 'Mermaid',
    kroki: ['mermaid'],
    extensions: ['.mmd', '.mermaid'],
    fences: ['mermaid'],
    text: true,
    sample: `flowchart LR
  Push([Push to main]) --> Build[Build and test]
  Build --> Check{Tests pass?}
  Check -->|yes| Deploy[Deploy to staging]
  Check -->|no| Fix[Open an issue]
  Deploy --> Live([Live])
`,
  },
  plantuml: {
    engine: 'plantuml-1.2025.8/r6',
    syntax: 'text',
    label: 'PlantUML',
    kroki: ['plantuml'],
    extensions: ['.puml', '.plantuml', '.pu', '.iuml'],
    fences: ['plantuml', 'puml'],
    text: true,
    sample: `@startuml
actor Developer
participant "Playground" as UI
participant "Flowsmith API" as API
Developer -> UI: Type a diagram
UI -> API: POST /api/v1/beautify
API --> UI: Themed SVG
UI --> Developer: Live preview
@enduml
`,
  },
  c4plantuml: {
    engine: 'plantuml-1.2025.8/r6',
    syntax: 'text',
    label: 'C4 (PlantUML)',
    kroki: ['c4plantuml'],
    extensions: ['.c4puml'],
    fences: ['c4plantuml'],
    text: true,
    sample: `@startuml
!include <C4/C4_Container>
title Docs platform
Person(writer, "Writer", "Writes pages in Markdown")
System_Boundary(site, "Docs site") {
  Container(build, "Site builder", "Node", "Turns pages into HTML")
  Container(diagrams, "Flowsmith", "Diagram API", "Renders every diagram")
}
Rel(writer, build, "pushes pages")
Rel(build, diagrams, "renders diagrams", "HTTP")
@enduml
`,
  },
  drawio: {
    engine: 'mxgraph-4.2.2/r3',
    syntax: 'xml',
    label: 'draw.io',
    kroki: ['diagramsnet', 'drawio'],
    extensions: ['.drawio', '.dio'],
    fences: ['drawio'],
    text: false,
    sample: `<mxfile>
  <diagram name="Page-1" id="playground">
    <mxGraphModel>
      <root>
        <mxCell id="0"/>
        <mxCell id="1" parent="0"/>
        <mxCell id="client" value="Client" style="rounded=1;whiteSpace=wrap;" vertex="1" parent="1">
          <mxGeometry x="40" y="60" width="120" height="60" as="geometry"/>
        </mxCell>
        <mxCell id="gateway" value="Gateway" style="rounded=1;whiteSpace=wrap;" vertex="1" parent="1">
          <mxGeometry x="240" y="60" width="120" height="60" as="geometry"/>
        </mxCell>
        <mxCell id="worker" value="Render worker" style="rounded=1;whiteSpace=wrap;" vertex="1" parent="1">
          <mxGeometry x="440" y="60" width="120" height="60" as="geometry"/>
        </mxCell>
        <mxCell id="e1" value="HTTPS" edge="1" source="client" target="gateway" parent="1" style="endArrow=classic;">
          <mxGeometry relative="1" as="geometry"/>
        </mxCell>
        <mxCell id="e2" value="queue" edge="1" source="gateway" target="worker" parent="1" style="endArrow=classic;">
          <mxGeometry relative="1" as="geometry"/>
        </mxCell>
      </root>
    </mxGraphModel>
  </diagram>
</mxfile>
`,
  },
  bpmn: {
    engine: 'bpmn-js-18.31.1/r3',
    syntax: 'xml',
    label: 'BPMN 2.0',
    kroki: ['bpmn'],
    extensions: ['.bpmn'],
    fences: ['bpmn'],
    text: false,
    sample: `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="Definitions_1" targetNamespace="http://flowsmith.dev/playground">
  <bpmn:process id="Review" name="Review" isExecutable="false">
    <bpmn:startEvent id="Start" name="Draft ready"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="ReviewDraft" name="Review draft"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>
    <bpmn:exclusiveGateway id="Approved" name="Approved?"><bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing><bpmn:outgoing>f4</bpmn:outgoing></bpmn:exclusiveGateway>
    <bpmn:task id="Publish" name="Publish"><bpmn:incoming>f3</bpmn:incoming><bpmn:outgoing>f5</bpmn:outgoing></bpmn:task>
    <bpmn:task id="Revise" name="Send back"><bpmn:incoming>f4</bpmn:incoming><bpmn:outgoing>f6</bpmn:outgoing></bpmn:task>
    <bpmn:endEvent id="Published" name="Published"><bpmn:incoming>f5</bpmn:incoming></bpmn:endEvent>
    <bpmn:endEvent id="Returned" name="Returned"><bpmn:incoming>f6</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="Start" targetRef="ReviewDraft"/>
    <bpmn:sequenceFlow id="f2" sourceRef="ReviewDraft" targetRef="Approved"/>
    <bpmn:sequenceFlow id="f3" name="yes" sourceRef="Approved" targetRef="Publish"/>
    <bpmn:sequenceFlow id="f4" name="no" sourceRef="Approved" targetRef="Revise"/>
    <bpmn:sequenceFlow id="f5" sourceRef="Publish" targetRef="Published"/>
    <bpmn:sequenceFlow id="f6" sourceRef="Revise" targetRef="Returned"/>
  </bpmn:process>
</bpmn:definitions>
`,
  },
  svg: {
    engine: 'svgo-4.1.0/r4',
    syntax: 'xml',
    label: 'SVG',
    kroki: [],
    extensions: ['.svg'],
    fences: ['svg'],
    text: false,
    sample: `<svg xmlns="http://www.w3.org/2000/svg" width="360" height="140" viewBox="0 0 360 140">
  <rect x="20" y="40" width="120" height="60" rx="10" fill="#e0e7ff" stroke="#4f46e5" stroke-width="2"/>
  <text x="80" y="75" text-anchor="middle" font-family="sans-serif" font-size="14">Source</text>
  <path d="M140 70 H220" stroke="#4f46e5" stroke-width="2" marker-end="url(#arrow)"/>
  <rect x="220" y="40" width="120" height="60" rx="10" fill="#ccfbf1" stroke="#0d9488" stroke-width="2"/>
  <text x="280" y="75" text-anchor="middle" font-family="sans-serif" font-size="14">Diagram</text>
  <defs>
    <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" markerHeight="8" orient="auto">
      <path d="M0 0 L10 5 L0 10 z" fill="#4f46e5"/>
    </marker>
  </defs>
</svg>
`,
  },
  graphviz: {
    engine: 'graphviz-wasm-16.1.0/r2',
    syntax: 'text',
    label: 'Graphviz (DOT)',
    kroki: ['graphviz', 'dot'],
    extensions: ['.dot', '.gv'],
    fences: ['dot', 'graphviz'],
    text: false,
    sample: `digraph Release {
  rankdir=LR
  node [shape=box, style="rounded,filled"]
  commit [label="Commit"]
  build [label="Build"]
  test [label="Test"]
  deploy [label="Deploy", shape=doubleoctagon]
  commit -> build -> test -> deploy
  test -> build [label="fix", style=dashed]
}
`,
  },
  tikz: {
    engine: 'pgf-3.1.10+dvisvgm-3.0.3/r2',
    syntax: 'text',
    label: 'TikZ (TeX)',
    kroki: ['tikz'],
    extensions: ['.tikz', '.tex'],
    fences: ['tikz'],
    text: false,
    sample: `\\usetikzlibrary{arrows.meta}
\\begin{tikzpicture}[scale=1.3, >=Stealth]
  \\draw[->] (0,-1.2) -- (5,-1.2) node[right] {$t$};
  \\draw[->] (0,-1.2) -- (0,1.3) node[above] {$x(t)$};
  \\foreach \\t in {1,2,3,4} \\draw (\\t,-1.15) -- (\\t,-1.25) node[below] {\\t};
  \\draw[dashed, gray, domain=0:4.7] plot (\\x, {exp(-\\x/2)}) plot (\\x, {-exp(-\\x/2)});
  \\draw[very thick, blue, domain=0:4.7, samples=120] plot (\\x, {exp(-\\x/2)*cos(3*\\x r)});
  \\node[blue, align=left] at (3.3,0.85) {damped spring\\\\$x = e^{-t/2}\\cos 3t$};
\\end{tikzpicture}
`,
  },
  blockdiag: {
    engine: 'blockdiag-2.0.1/r2',
    syntax: 'text',
    label: 'Block diagram',
    kroki: ['blockdiag'],
    extensions: ['.blockdiag', '.diag'],
    fences: ['blockdiag'],
    text: false,
    sample: `blockdiag {
  default_shape = roundedbox;
  request [label = "Request"];
  gateway [label = "API gateway"];
  worker [label = "Render worker"];
  cache [label = "Cache", shape = flowchart.database];
  svg [label = "Themed SVG", shape = ellipse];
  request -> gateway -> worker -> svg;
  worker -> cache [style = dashed];
  group { label = "Flowsmith"; gateway; worker; }
}
`,
  },
  seqdiag: {
    engine: 'seqdiag-2.0.0/r2',
    syntax: 'text',
    label: 'Sequence (seqdiag)',
    kroki: ['seqdiag'],
    extensions: ['.seqdiag'],
    fences: ['seqdiag'],
    text: false,
    sample: `seqdiag {
  browser -> api [label = "POST /render"];
  api -> worker [label = "queue job"];
  api <-- worker [label = "SVG"];
  browser <-- api [label = "200 OK", note = "cached for an hour"];
}
`,
  },
  actdiag: {
    engine: 'actdiag-2.0.0/r2',
    syntax: 'text',
    label: 'Activity (actdiag)',
    kroki: ['actdiag'],
    extensions: ['.actdiag'],
    fences: ['actdiag'],
    text: false,
    sample: `actdiag {
  write -> review -> publish;
  lane author { label = "Author"; write [label = "Write draft"]; }
  lane editor { label = "Editor"; review [label = "Review"]; publish [label = "Publish"]; }
}
`,
  },
  nwdiag: {
    engine: 'nwdiag-2.0.0/r2',
    syntax: 'text',
    label: 'Network (nwdiag)',
    kroki: ['nwdiag'],
    extensions: ['.nwdiag'],
    fences: ['nwdiag'],
    text: false,
    sample: `nwdiag {
  network dmz {
    address = "203.0.113.0/24";
    web [address = "203.0.113.10"];
  }
  network internal {
    address = "10.0.0.0/24";
    web [address = "10.0.0.10"];
    db [address = "10.0.0.20"];
  }
}
`,
  },
  packetdiag: {
    engine: 'packetdiag-2.0.0/r1',
    syntax: 'text',
    label: 'Packet (packetdiag)',
    kroki: ['packetdiag'],
    extensions: ['.packetdiag'],
    fences: ['packetdiag'],
    text: false,
    sample: `packetdiag {
  colwidth = 32;
  node_height = 48;
  0-15: Source Port;
  16-31: Destination Port;
  32-63: Sequence Number;
  64-95: Acknowledgment Number;
}
`,
  },
  rackdiag: {
    engine: 'rackdiag-2.0.0/r2',
    syntax: 'text',
    label: 'Rack (rackdiag)',
    kroki: ['rackdiag'],
    extensions: ['.rackdiag'],
    fences: ['rackdiag'],
    text: false,
    sample: `rackdiag {
  12U;
  description = "Rack A";
  1: UPS [2U];
  3: Database server [2U];
  5: App server;
  6: N/A;
  7: Core switch;
}
`,
  },
  nomnoml: {
    engine: 'nomnoml-1.7.0/r2',
    syntax: 'text',
    label: 'nomnoml',
    kroki: ['nomnoml'],
    extensions: ['.nomnoml'],
    fences: ['nomnoml'],
    text: false,
    sample: `#direction: right
[<actor>Developer] -> [Playground]
[Playground] POST /render -> [Flowsmith API|themes;renderers]
[Flowsmith API] -> [<database>Cache]
[Flowsmith API] SVG -> [Playground]
`,
  },
  pikchr: {
    engine: 'pikchr-wasm-2.0.1/r1',
    syntax: 'text',
    label: 'Pikchr',
    kroki: ['pikchr'],
    extensions: ['.pikchr'],
    fences: ['pikchr'],
    text: false,
    sample: `Dev: box "Developer" fit rad 6px
arrow right 0.9in "types" above
UI: box "Playground" fit rad 6px
arrow right 0.9in "POST" above
API: box "Flowsmith" "API" fit rad 6px fill lightyellow
arrow down 0.5in from API.s
Cache: cylinder "Cache" fit
`,
  },
  svgbob: {
    engine: 'svgbob-wasm-1.0.0/r1',
    syntax: 'text',
    label: 'Svgbob (ASCII art)',
    kroki: ['svgbob'],
    extensions: ['.bob', '.svgbob'],
    fences: ['svgbob', 'bob'],
    text: false,
    sample: `  .-----------.     .------------.     .-------.
  | Developer |---->| Playground |---->|  API  |
  '-----------'     '------------'     '---+---'
                          ^                |
                          |     SVG        v
                          '-----------[ renderer ]
`,
  },
  wavedrom: {
    engine: 'wavedrom-3.7.0/r2',
    syntax: 'json',
    label: 'WaveDrom',
    kroki: ['wavedrom'],
    extensions: ['.wavedrom'],
    fences: ['wavedrom'],
    text: false,
    sample: `{ signal: [
  { name: 'clk',   wave: 'p.......' },
  { name: 'valid', wave: '01...0..' },
  { name: 'ready', wave: '0..1.0..' },
  { name: 'data',  wave: 'x.=.=x..', data: ['head', 'tail'] },
],
  head: { text: 'Ready/valid handshake' },
}
`,
  },
  bytefield: {
    engine: 'bytefield-svg-1.11.0/r2',
    syntax: 'text',
    label: 'Bytefield',
    kroki: ['bytefield'],
    extensions: ['.bytefield'],
    fences: ['bytefield'],
    text: false,
    sample: `(defattrs :bg-green {:fill "#a0ffa0"})
(defattrs :bg-yellow {:fill "#ffffa0"})
(draw-column-headers)
(draw-box 0x7e :bg-green)
(draw-box "ver" :bg-green)
(draw-box "type" [{:span 2} :bg-yellow])
(draw-box "length" [{:span 4} :bg-yellow])
(draw-box "request id" {:span 8})
(draw-gap "Payload")
(draw-bottom)
`,
  },
  excalidraw: {
    engine: 'excalidraw-utils-0.1.5/r2',
    syntax: 'json',
    label: 'Excalidraw',
    kroki: ['excalidraw'],
    extensions: ['.excalidraw'],
    fences: ['excalidraw'],
    text: false,
    sample: `{"type":"excalidraw","version":2,"elements":[
{"id":"a","type":"rectangle","x":0,"y":0,"width":160,"height":70,"strokeColor":"#1971c2","backgroundColor":"#a5d8ff","fillStyle":"hachure","roundness":{"type":3},"boundElements":[{"type":"text","id":"at"},{"type":"arrow","id":"ab"}]},
{"id":"at","type":"text","x":26,"y":22.5,"width":108,"height":25,"text":"Write code","fontSize":20,"fontFamily":5,"textAlign":"center","verticalAlign":"middle","containerId":"a","strokeColor":"#1971c2"},
{"id":"b","type":"ellipse","x":260,"y":-5,"width":160,"height":80,"strokeColor":"#2f9e44","backgroundColor":"#b2f2bb","fillStyle":"solid","boundElements":[{"type":"text","id":"bt"},{"type":"arrow","id":"ab"}]},
{"id":"bt","type":"text","x":302,"y":22.5,"width":76,"height":25,"text":"Ship it","fontSize":20,"fontFamily":5,"textAlign":"center","verticalAlign":"middle","containerId":"b","strokeColor":"#2f9e44"},
{"id":"ab","type":"arrow","x":168,"y":35,"width":84,"height":0,"points":[[0,0],[84,0]],"startBinding":{"elementId":"a","focus":0,"gap":8},"endBinding":{"elementId":"b","focus":0,"gap":8},"endArrowhead":"arrow"}
],"appState":{"viewBackgroundColor":"#ffffff"},"files":{}}
`,
  },
  vega: {
    engine: 'vega-6.4.0/r1',
    syntax: 'json',
    label: 'Vega',
    kroki: ['vega'],
    extensions: ['.vg.json', '.vega'],
    fences: ['vega'],
    text: false,
    sample: `{
  "$schema": "https://vega.github.io/schema/vega/v6.json", "width": 300, "height": 160,
  "data": [{"name": "t", "values": [{"day": "Mon", "n": 12}, {"day": "Tue", "n": 19}, {"day": "Wed", "n": 7}]}],
  "scales": [
    {"name": "x", "type": "band", "domain": {"data": "t", "field": "day"}, "range": "width", "padding": 0.1},
    {"name": "y", "domain": {"data": "t", "field": "n"}, "nice": true, "range": "height"}
  ],
  "axes": [{"orient": "bottom", "scale": "x"}, {"orient": "left", "scale": "y"}],
  "marks": [{"type": "rect", "from": {"data": "t"}, "encode": {"enter": {
    "x": {"scale": "x", "field": "day"}, "width": {"scale": "x", "band": 1},
    "y": {"scale": "y", "field": "n"}, "y2": {"scale": "y", "value": 0}}}}]
}
`,
  },
  vegalite: {
    engine: 'vega-lite-6.5.0/r2',
    syntax: 'json',
    label: 'Vega-Lite',
    kroki: ['vegalite', 'vega-lite'],
    extensions: ['.vl.json', '.vegalite'],
    fences: ['vegalite', 'vega-lite'],
    text: false,
    sample: `{
  "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
  "title": "Revenue by region",
  "data": {"values": [{"region": "Europe", "revenue": 42}, {"region": "Americas", "revenue": 58}, {"region": "Asia Pacific", "revenue": 31}]},
  "mark": "bar",
  "encoding": {
    "x": {"field": "region", "type": "nominal", "title": "Region"},
    "y": {"field": "revenue", "type": "quantitative", "title": "Revenue"},
    "color": {"field": "region", "type": "nominal", "legend": null}
  }
}
`,
  },
  dbml: {
    engine: 'dbml-renderer-1.0.31/r2',
    syntax: 'text',
    label: 'DBML',
    kroki: ['dbml'],
    extensions: ['.dbml'],
    fences: ['dbml'],
    text: false,
    sample: `Table users {
  id integer [pk]
}
Table orders {
  id integer [pk]
  user_id integer [ref: > users.id]
  status order_status
}
Enum order_status {
  placed
  shipped
}
`,
  },
  d2: {
    engine: 'd2-0.1.33/r2',
    syntax: 'text',
    label: 'D2',
    kroki: ['d2'],
    extensions: ['.d2'],
    fences: ['d2'],
    text: false,
    sample: `direction: right
web: Web shop
db: Orders database {shape: cylinder}
queue: Jobs {shape: queue}
payments: Payments {
  api: Payment API
}
web -> db: writes orders
web -> queue: enqueue
queue -> payments.api: charge
`,
  },
} as const satisfies Record<string, LanguageDefinition>;

export type SourceFormat = keyof typeof LANGUAGES;

/** The source formats, in the registry's order (mermaid first: the default where one is implied). */
export const SOURCE_FORMATS = Object.keys(LANGUAGES) as SourceFormat[];

export function isSourceFormat(value: unknown): value is SourceFormat {
  return typeof value === 'string' && Object.hasOwn(LANGUAGES, value);
}

/** A language by Kroki's name or alias (case-insensitive), or undefined. */
export function languageOfKrokiType(type: string): SourceFormat | undefined {
  const name = type.toLowerCase();
  return SOURCE_FORMATS.find((format) => (LANGUAGES[format].kroki as readonly string[]).includes(name));
}

/** A file's language by how its name ends (`.mmd`, `.vl.json`; case-insensitive, the longest ending wins), or undefined. */
export function languageOfFile(path: string): SourceFormat | undefined {
  const name = path.toLowerCase();
  let found: { format: SourceFormat; length: number } | undefined;
  for (const format of SOURCE_FORMATS) {
    for (const ext of LANGUAGES[format].extensions as readonly string[]) {
      if (name.endsWith(ext) && ext.length > (found?.length ?? 0)) found = { format, length: ext.length };
    }
  }
  return found?.format;
}

/** A language by a Markdown fence's info string (its first word), or undefined. */
export function languageOfFence(info: string): SourceFormat | undefined {
  const word = info.trim().split(/[\s{]/, 1)[0].toLowerCase();
  return SOURCE_FORMATS.find((format) => (LANGUAGES[format].fences as readonly string[]).includes(word));
}
