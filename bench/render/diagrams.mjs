// The benchmark's corpus: 50 distinct diagrams of mixed types (flowchart, sequence, class, state,
// ER, gantt, pie, mindmap, timeline), and distinct 10-node and 50-node flowcharts for latency runs.

/** A 10-node flowchart, distinct per `seed`. */
export function flowchart10(seed) {
  const nodes = Array.from({ length: 10 }, (_, i) => `  N${i}[Step ${i} of run ${seed}]`);
  const edges = Array.from({ length: 9 }, (_, i) => `  N${i} --> N${i + 1}`);
  return `flowchart TD\n${nodes.join('\n')}\n${edges.join('\n')}`;
}

/** A 50-node flowchart with 64 edges (a chain and 15 cross links), distinct per `seed`: the ELK row's larger case. */
export function flowchart50(seed) {
  const nodes = Array.from({ length: 50 }, (_, i) => `  N${i}[Step ${i} of ${seed}]`);
  const chain = Array.from({ length: 49 }, (_, i) => `  N${i} --> N${i + 1}`);
  const cross = Array.from({ length: 15 }, (_, i) => `  N${i * 3} --> N${(i * 7 + 11) % 50}`);
  return `flowchart TD\n${nodes.join('\n')}\n${chain.join('\n')}\n${cross.join('\n')}`;
}

const makers = [
  (i) => flowchart10(`mixed-${i}`),
  (i) => `sequenceDiagram\n  participant Client${i}\n  participant API\n  participant DB\n  Client${i}->>API: GET /items/${i}\n  API->>DB: select ${i}\n  DB-->>API: row\n  API-->>Client${i}: 200 OK`,
  (i) => `classDiagram\n  class Order${i} {\n    +String id\n    +total() Money\n  }\n  class Item${i}\n  class Customer${i}\n  Order${i} "1" --> "*" Item${i}\n  Customer${i} --> Order${i} : places`,
  (i) => `stateDiagram-v2\n  [*] --> Draft${i}\n  Draft${i} --> Review${i} : submit\n  Review${i} --> Published${i} : approve\n  Review${i} --> Draft${i} : reject\n  Published${i} --> [*]`,
  (i) => `erDiagram\n  CUSTOMER${i} ||--o{ ORDER${i} : places\n  ORDER${i} ||--|{ LINE${i} : contains\n  CUSTOMER${i} {\n    string name\n    string email\n  }`,
  (i) => `gantt\n  title Plan ${i}\n  dateFormat YYYY-MM-DD\n  section Build\n  Design ${i} :a1, 2026-01-05, 10d\n  Implement :after a1, 20d\n  section Ship\n  Release :2026-02-20, 2d`,
  (i) => `pie title Traffic ${i}\n  "Search" : ${40 + i}\n  "Direct" : 31\n  "Referral" : 17`,
  (i) => `mindmap\n  root((Topic ${i}))\n    Rendering\n      Themes\n      Formats\n    Generation\n      Claude`,
  (i) => `timeline\n  title History ${i}\n  2019 : Founded\n  2021 : First customer\n  2024 : Series A`,
];

export const MIXED_50 = Array.from({ length: 50 }, (_, i) => makers[i % makers.length](i));
