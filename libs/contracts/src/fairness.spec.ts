import { estimateElements, RENDER_COST_ELEMENTS, renderChargeUnits, renderCostUnits, renderQueueOf, tierOfPlan } from './fairness';
import { QueueName } from './queues';

describe('estimateElements', () => {
  it('counts statements of a text language: non-blank lines, and every arrow after the first on a line', () => {
    expect(estimateElements('flowchart TD\n  A --> B\n\n  B --> C --> D\n', 'mermaid')).toBe(1 + 1 + 2);
    expect(estimateElements('sequenceDiagram\n  Alice->>Bob: hi\n  Bob-->>Alice: hello', 'mermaid')).toBe(3);
    expect(estimateElements('@startuml\nA ..> B\nB -> C\n@enduml', 'plantuml')).toBe(4);
    // Blank and whitespace-only lines cost nothing; CRLF is a line end like LF.
    expect(estimateElements('graph LR\r\n   \r\n\tA==>B\r\n', 'mermaid')).toBe(2);
  });

  it('counts start tags of XML languages, not closing tags, comments or declarations', () => {
    const svg = '<?xml version="1.0"?><!-- c --><svg><g><rect/><rect/></g></svg>';
    expect(estimateElements(svg, 'svg')).toBe(4);
    expect(estimateElements('<mxGraphModel><root><mxCell id="0"/><mxCell id="1"/></root></mxGraphModel>', 'drawio')).toBe(4);
  });

  it('never counts less than one element per 80 bytes, so long labels and padding are not free', () => {
    expect(estimateElements(`flowchart TD\n  A["${'x'.repeat(8000)}"]`, 'mermaid')).toBe(Math.ceil((8000 + 21) / 80));
    expect(estimateElements('', 'mermaid')).toBe(1);
  });

  it('sees the red-team flowchart of 1,999 edges as about 2,000 elements', () => {
    let source = 'flowchart TD\n';
    for (let i = 0; i < 1999; i++) source += `  N${i} --> N${i + 1}\n`;
    expect(estimateElements(source, 'mermaid')).toBe(2000);
  });

  it('is linear: a 100 KB source is counted in well under a millisecond a kilobyte', () => {
    const source = 'A --> B --> C\n'.repeat(7000);
    const started = performance.now();
    for (let i = 0; i < 10; i++) estimateElements(source, 'mermaid');
    expect((performance.now() - started) / 10).toBeLessThan(50);
  });
});

describe('renderChargeUnits', () => {
  it('weights a PNG by its scale squared, an SVG not at all', () => {
    expect(renderChargeUnits(10, { format: 'png', scale: 4 })).toBe(1);
    expect(renderChargeUnits(100, { format: 'svg', scale: 1 })).toBe(1);
    expect(renderChargeUnits(100, { format: 'png', scale: 1 })).toBe(1);
    expect(renderChargeUnits(100, { format: 'png', scale: 4 })).toBe(7);
  });
});

describe('renderCostUnits', () => {
  it('charges one unit per started block of elements, so an everyday diagram costs one request', () => {
    expect(renderCostUnits(1)).toBe(1);
    expect(renderCostUnits(RENDER_COST_ELEMENTS)).toBe(1);
    expect(renderCostUnits(RENDER_COST_ELEMENTS + 1)).toBe(2);
    expect(renderCostUnits(2000)).toBe(8);
  });
});

describe('tiers and queues', () => {
  it('puts paid plans on the render queue and everyone else on the best-effort one', () => {
    expect(tierOfPlan('premium')).toBe('paying');
    expect(tierOfPlan('pro')).toBe('paying');
    expect(tierOfPlan('free')).toBe('free');
    expect(renderQueueOf('paying')).toBe(QueueName.Render);
    expect(renderQueueOf('free')).toBe(QueueName.RenderBestEffort);
    expect(renderQueueOf('free', 5)).toBe(QueueName.RenderBestEffort);
    expect(renderQueueOf('paying', 1)).toBe(QueueName.Render);
    expect(renderQueueOf('paying', 2)).toBe(QueueName.RenderHeavy);
    expect(renderQueueOf('anonymous')).toBe(QueueName.RenderBestEffort);
  });
});
