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
