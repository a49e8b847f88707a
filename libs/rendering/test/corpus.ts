import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LANGUAGES, SOURCE_FORMATS, type SourceFormat } from '@flowsmith/contracts';
/**
 * One source per diagram type the issue names, each with labels that must be visible in the
 * output. Labels avoid characters that SVG escapes, so they can be found in the text as written.
 */
export const CORPUS: Array<{ type: string; source: string; labels: string[] }> = [
  {
    type: 'flowchart',
    source: 'flowchart TD\n  Start[Customer signs up] --> Check{Email verified?}\n  Check -->|yes| Welcome[Send welcome pack]\n  Check -->|no| Remind[Send reminder]\n  Remind --> Check',
    labels: ['Customer', 'verified', 'welcome', 'reminder'],
  },
  {
    type: 'sequence',
    source: 'sequenceDiagram\n  participant Browser\n  participant Gateway\n  Browser->>Gateway: POST diagrams\n  Gateway-->>Browser: Created',
    labels: ['Browser', 'Gateway', 'POST', 'Created'],
  },
  {
    type: 'class',
    source: 'classDiagram\n  class Invoice {\n    +String number\n    +total() Money\n  }\n  class LineItem\n  Invoice "1" --> "*" LineItem : holds',
    labels: ['Invoice', 'LineItem', 'number', 'holds'],
  },
  {
    type: 'state',
    source: 'stateDiagram-v2\n  [*] --> Draft\n  Draft --> Review : submit\n  Review --> Published : approve\n  Published --> [*]',
    labels: ['Draft', 'Review', 'Published', 'approve'],
  },
  {
    type: 'er',
    source: 'erDiagram\n  CUSTOMER ||--o{ ORDER : places\n  ORDER ||--|{ LINEITEM : contains\n  CUSTOMER {\n    string name\n  }',
    labels: ['CUSTOMER', 'ORDER', 'LINEITEM', 'places'],
  },
  {
    type: 'gantt',
    source: 'gantt\n  title Launch plan\n  dateFormat YYYY-MM-DD\n  section Build\n  Design :a1, 2026-01-05, 10d\n  Implement :after a1, 20d\n  section Ship\n  Release :2026-02-20, 2d',
    labels: ['Launch', 'Design', 'Implement', 'Release'],
  },
  {
    type: 'pie',
    source: 'pie title Traffic sources\n  "Search" : 52\n  "Direct" : 31\n  "Referral" : 17',
    labels: ['Traffic', 'Search', 'Direct', 'Referral'],
  },
  {
    type: 'mindmap',
    source: 'mindmap\n  root((Flowsmith))\n    Rendering\n      Themes\n    Generation\n      Claude',
    labels: ['Flowsmith', 'Rendering', 'Themes', 'Claude'],
  },
  {
    type: 'timeline',
    source: 'timeline\n  title Company history\n  2019 : Founded\n  2021 : First customer\n  2024 : Series A',
    labels: ['history', 'Founded', 'customer', 'Series'],
  },
];

/**
 * One source per diagram type that Mermaid 12 added, each with the API's name of its type and
 * labels that must be drawn (as SVG text) in every theme. The railroad grammars are one type.
 */
export const MERMAID_12_CORPUS: Array<{ name: string; type: string; source: string; labels: string[] }> = [
  { name: 'usecase', type: 'usecase', source: 'usecase-beta\n  actor User\n  actor Admin\n  User --> Login\n  Admin --> Reports', labels: ['User', 'Admin', 'Login', 'Reports'] },
  {
    name: 'agentflow',
    type: 'agentflow',
    source: 'agentflow-beta TB\n  flow reviewer["Review Agent"]\n    changes["Gather changes"]@{ shape: input }\n    analyse["Analyse diff"]@{ shape: task }\n    lint["run_linter"]@{ shape: tool }\n    ok["Clean?"]@{ shape: decision }\n    changes --> analyse --> lint --> ok\n  end',
    labels: ['Review', 'Gather', 'Analyse', 'run_linter'],
  },
  {
    name: 'swimlane',
    type: 'swimlane',
    source: 'swimlane-beta LR\n  subgraph Customer\n    browse[Browse catalogue]\n    pay[Pay]\n  end\n  subgraph Warehouse\n    pick[Pick items]\n    ship[Ship order]\n  end\n  browse --> pay --> pick --> ship',
    labels: ['Customer', 'Warehouse', 'Browse', 'Ship'],
  },
  { name: 'treeview', type: 'treeview', source: 'treeView-beta\n    "packages"\n        "mermaid"\n            "src"\n        "parser"', labels: ['packages', 'mermaid', 'src', 'parser'] },
  { name: 'eventmodeling', type: 'eventmodeling', source: 'eventmodeling\n\ntf 01 ui CartUI\ntf 02 cmd AddItem\ntf 03 evt ItemAdded', labels: ['Events', 'CartUI', 'AddItem', 'ItemAdded'] },
  {
    name: 'ishikawa',
    type: 'ishikawa',
    source: 'ishikawa-beta\n    Blurry Photo\n    Process\n        Out of focus\n    User\n        Shaky hands\n    Environment\n        Too dark',
    labels: ['Blurry', 'Process', 'Shaky', 'Environment'],
  },
  {
    name: 'venn',
    type: 'venn',
    source: 'venn-beta\n  title "Team overlap"\n  set Frontend\n  set Backend\n  union Frontend,Backend["APIs"]\n  text Backend["Services"]',
    labels: ['Frontend', 'Backend', 'APIs', 'Services'],
  },
  {
    name: 'wardley',
    type: 'wardley',
    source: 'wardley-beta\ntitle Tea Shop\nanchor Business [0.95, 0.63]\ncomponent Kettle [0.43, 0.35]\ncomponent Power [0.10, 0.70]\nBusiness -> Kettle\nKettle -> Power\nevolve Kettle 0.62',
    labels: ['Tea Shop', 'Business', 'Kettle', 'Power'],
  },
  {
    name: 'cynefin',
    type: 'cynefin',
    source: 'cynefin-beta\n  title Incident Response\n  complex\n    "Investigate cause"\n  complicated\n    "Expert review"\n  clear\n    "Restart service"\n  chaotic\n    "Page on-call"',
    labels: ['Incident', 'Investigate', 'Restart', 'Chaotic'],
  },
  { name: 'railroad', type: 'railroad', source: 'railroad-beta\ndigit = choice(terminal("zero"), terminal("one"), nonterminal("more")) ;', labels: ['digit', 'zero', 'one', 'more'] },
  { name: 'railroad (EBNF)', type: 'railroad', source: 'railroad-ebnf-beta\nnumber = "zero" | "one" ;', labels: ['number', 'zero', 'one'] },
  { name: 'railroad (ABNF)', type: 'railroad', source: 'railroad-abnf-beta\nbit = "high" / "low" ;', labels: ['bit', 'high', 'low'] },
  { name: 'railroad (PEG)', type: 'railroad', source: 'railroad-peg-beta\nsign <- "plus" / "minus" ;', labels: ['sign', 'plus', 'minus'] },
];

/** Labels with <b>, <i> and <br> in the types whose labels people format most. */
export const LABEL_MARKUP: Array<{ type: string; source: string; bold: string[]; italic: string[] }> = [
  { type: 'flowchart', source: 'flowchart LR\n  A["<b>Bold</b> and <i>slanted</i><br>second line"] -->|"<b>edge</b> label"| B["<strong>Strong</strong> <em>emphasis</em>"]', bold: ['Bold', 'edge', 'Strong'], italic: ['slanted', 'emphasis'] },
  { type: 'sequence', source: 'sequenceDiagram\n  Alice->>Bob: <b>Hello</b> <i>there</i><br>second line\n  Note over Alice: <b>noted</b>', bold: ['Hello', 'noted'], italic: ['there'] },
  { type: 'class', source: 'classDiagram\n  class Invoice\n  Invoice --> Line : <b>holds</b> <i>many</i>', bold: ['holds'], italic: ['many'] },
  { type: 'state', source: 'stateDiagram-v2\n  Draft --> Review : <b>submit</b> <i>now</i>\n  state "<b>Big</b> state<br>two lines" as Big\n  Review --> Big', bold: ['submit', 'Big'], italic: ['now'] },
];

/** Sources that try to run script, reach the network or exhaust the renderer. */
export const HOSTILE: Array<{ name: string; source: string }> = [
  { name: 'click callback', source: 'flowchart TD\n  A[Click me] --> B\n  click A callback "Tooltip"\n  click B call alert(1)' },
  { name: 'javascript: link', source: 'flowchart TD\n  A[Link] --> B\n  click A href "javascript:alert(document.cookie)"' },
  { name: 'script in a label', source: 'flowchart TD\n  A["<script>alert(1)</script>"] --> B["<img src=x onerror=alert(2)>"]' },
  { name: 'event handlers in sequence text', source: 'sequenceDiagram\n  Alice->>Bob: <img src=x onerror=alert(1)> hi\n  Note over Alice: <svg onload=alert(3)>' },
  {
    name: 'init directive loosening security and loading fonts',
    source:
      "%%{init: {'securityLevel': 'loose', 'htmlLabels': true, 'themeCSS': '@import url(http://attacker.test/x.css); .node { background: url(http://attacker.test/p.png) }', 'fontFamily': 'x; } @import url(http://attacker.test/f.css); {'}}%%\nflowchart TD\n  A[<a href='javascript:alert(1)'>x</a>] --> B\n  click A href \"http://attacker.test\"",
  },
  { name: 'init themeVariables CSS injection', source: "%%{init: {'themeVariables': {'fontFamily': 'a;}</style><script>alert(1)</script><style>'}}}%%\nflowchart TD\n  A --> B" },
  { name: 'class diagram link', source: 'classDiagram\n  class Evil\n  link Evil "javascript:alert(1)" "tip"\n  callback Evil "alert"' },
];

// The same reader as libs/testing/src/corpus.ts, which the gateway's suites use: this library may
// not depend on the testing library (the render worker app depends on this one).
/**
 * The corpus directories (libs/rendering/test/corpus/<format>/), one per language of
 * libs/contracts/src/languages.ts, and what their sources end with: a registered language without
 * a corpus fails the suites that read it, instead of going untested.
 */
export const CORPUS_FORMATS: Array<{ format: SourceFormat; extension: RegExp }> = SOURCE_FORMATS.map((format) => ({
  format,
  extension: new RegExp(`(${LANGUAGES[format].extensions.map((ext) => ext.replace(/\./g, '\\.')).join('|')})$`),
}));

/** Languages whose engine draws text as outlines (TikZ's glyphs are paths, so no font is needed): their labels cannot be read back as text. */
export const TEXT_AS_OUTLINES: ReadonlySet<SourceFormat> = new Set<SourceFormat>(['tikz']);

/** Every source file of one format's corpus directory, sorted by name, with its labels (labels.json). */
export function corpusFiles(format: SourceFormat, extension: RegExp): Array<{ file: string; source: string; labels: string[] }> {
  const dir = join(__dirname, 'corpus', format);
  const labels = JSON.parse(readFileSync(join(dir, 'labels.json'), 'utf8')) as Record<string, string[]>;
  return readdirSync(dir)
    .filter((file) => extension.test(file))
    .sort()
    .map((file) => ({ file, source: readFileSync(join(dir, file), 'utf8'), labels: labels[file] ?? [] }));
}
