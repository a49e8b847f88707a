import type { GenerationFormat, GenerationHint } from '@flowsmith/contracts';
import { Renderer } from '@flowsmith/rendering';
import { OfflineProvider } from './offline.provider';

const generate = (prompt: string, sourceFormat: GenerationFormat = 'mermaid', hint?: GenerationHint) => ({ task: 'generate' as const, prompt, sourceFormat, hint });
const edit = (current: string, instruction: string) => ({ task: 'edit' as const, prompt: instruction, sourceFormat: 'mermaid' as const, current });
const CHECKOUT = 'flowchart TD\n  A[Order placed] --> B{Paid?}\n  B -->|yes| C[Ship]\n  B -->|no| D[Remind]\n  style C fill:#9f9';

const PROMPTS = [
  'User signs up, then verifies email, then completes the profile, finally gets a welcome email',
  'Checkout: add to cart -> enter address -> pay -> confirmation',
  '1. Receive order 2. Check stock 3. Pack 4. Ship 5. Send invoice',
  'Onboarding steps\n- create account\n- invite team\n- connect GitHub\n- first deploy',
  'Is the payment approved? then ship the order, then notify the customer',
  'Alice sends Bob a request. Bob queries Database for the record. Database returns to Bob the row. Bob replies to Alice with the data.',
  'The Browser requests the Gateway page. The Gateway calls the Worker. The Worker responds to the Gateway.',
  'sequence of a login: User, Frontend and Auth exchange credentials and a token',
  'A pull request moves through states: draft, open, in review, approved, merged',
  'Order lifecycle state machine: created; paid; shipped; delivered; returned',
  'Document states: Draft then Review then Published then Archived',
  'Entities: Customer has many Orders, each Order has many LineItems, each LineItem refers to a Product',
  'Database schema with tables User, Team and Membership',
  'Classes Animal, Dog and Cat where Dog and Cat extend Animal',
  'deploy pipeline: build, test, scan, stage, approve, release',
  'how we handle incidents: page on-call, acknowledge, investigate, mitigate, write postmortem',
  'Morning routine: wake up, coffee, emails, standup',
  'Grüße aus Köln: Anmeldung, Bestätigung, Zahlung, Versand',
  '注文を受ける、在庫を確認する、発送する',
  'Customer "VIP" [priority] gets {special} handling; then <escalation> #1',
  'A -> B -> C -> D',
  'refund process with quotes "like this" and colons: step: one; step: two',
  'If the build fails? notify the team, otherwise deploy',
  'very long step ' + 'word '.repeat(40) + ', then another step',
  'Steps: ' + Array.from({ length: 20 }, (_, i) => `step ${i}`).join(', '),
  'Client asks Server for a quote; Server replies to Client with a price',
  'hiring: source candidates, screen, interview, offer, onboard',
  'water cycle: evaporation, condensation, precipitation, collection',
  'a b',
  'Kanban flow: backlog, ready, doing, review, done',
];

describe('the offline generator', () => {
  const renderer = new Renderer({ chromiumPath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', pages: 2, maxRendersPerPage: 500, maxRendersPerBrowser: 5000, renderTimeoutMs: 8000 });
  const provider = new OfflineProvider();
  beforeAll(() => renderer.start(), 30_000);
  afterAll(() => renderer.close());

  it.each(PROMPTS.map((prompt) => [prompt.slice(0, 60), prompt]))('turns "%s" into Mermaid that parses', async (_, prompt) => {
    const answer = await provider.generate(generate(prompt));
    expect(answer.kind).toBe('diagram');
    if (answer.kind !== 'diagram') return;
    expect(answer.title.length).toBeGreaterThan(0);
    const parsed = await renderer.parse(answer.source, 'mermaid');
    expect({ prompt, parsed }).toEqual({ prompt, parsed: { ok: true, diagramType: expect.any(String) } });
  });

  it('picks the diagram kind from the prompt, or the hint', async () => {
    const kind = async (prompt: string, hint?: 'state' | 'er') => {
      const answer = await provider.generate(generate(prompt, 'mermaid', hint));
      return answer.kind === 'diagram' ? answer.source.split('\n')[0] : answer.kind;
    };
    expect(await kind(PROMPTS[0])).toBe('flowchart TD');
    expect(await kind(PROMPTS[5])).toBe('sequenceDiagram');
    expect(await kind(PROMPTS[8])).toBe('stateDiagram-v2');
    expect(await kind(PROMPTS[11])).toBe('erDiagram');
    expect(await kind('draft, review, live', 'state')).toBe('stateDiagram-v2');
  });

  it('says plainly when it finds nothing to draw', async () => {
    expect(await provider.generate(generate('?'))).toMatchObject({ kind: 'not_a_diagram' });
  });

  const STEPS = 'Checkout: add to cart, enter address, pay, confirmation';
  const TALK = 'Alice sends Bob a request. Bob queries Database for the record. Database returns to Bob the row. Bob replies to Alice with the data.';
  it.each([
    ['a Mermaid activity (flowchart)', 'mermaid', 'flowchart', STEPS, /^flowchart TD\n {2}S0\["add to cart"\]/, 'flowchart'],
    ['a Mermaid sequence from a step list', 'mermaid', 'sequence', 'login: User enters password, Server checks it, User sees the dashboard', /^sequenceDiagram\n/, 'sequence'],
    ['a PlantUML activity', 'plantuml', 'flowchart', STEPS, /^@startuml\nstart\n:add to cart;\n:enter address;\n:pay;\n:confirmation;\nstop\n@enduml$/, expect.any(String)],
    ['a PlantUML sequence from a step list', 'plantuml', 'sequence', 'login: User enters password, Server checks it, User sees the dashboard', /^@startuml\nparticipant "User" as User\n/, 'plantuml:sequence'],
    ['a PlantUML sequence from sentences', 'plantuml', undefined, TALK, /\nBob --> Alice : replies with the data\n@enduml$/, 'plantuml:sequence'],
    ['a PlantUML state diagram', 'plantuml', 'state', 'draft, review, live', /\n\[\*\] --> S0\n/, expect.any(String)],
    ['a Graphviz flowchart', 'graphviz', undefined, STEPS, /^digraph \{\n/, expect.any(String)],
    ['a D2 flowchart', 'd2', undefined, STEPS, /^S0: "add to cart"\n/, expect.any(String)],
  ] as const)('writes %s that the real parser takes', async (_, format, hint, prompt, shape, diagramType) => {
    const answer = await provider.generate(generate(prompt, format, hint));
    if (answer.kind !== 'diagram') throw new Error(answer.reason);
    expect(answer.source).toMatch(shape);
    expect(await renderer.parse(answer.source, format)).toEqual({ ok: true, diagramType });
  }, 30_000);

  it('says which languages and kinds it writes when asked for another', async () => {
    expect(await provider.generate(generate(STEPS, 'dbml'))).toEqual({ kind: 'not_a_diagram', reason: expect.stringMatching(/^The offline generator \(no ANTHROPIC_API_KEY\) writes Mermaid .*; not flowchart diagrams in dbml\.$/) });
    expect(await provider.generate(generate(TALK, 'd2'))).toMatchObject({ kind: 'not_a_diagram', reason: expect.stringContaining('not sequence diagrams in d2') });
    expect(await provider.generate({ task: 'repair', prompt: '', sourceFormat: 'mermaid', current: 'flowchart TD\n A -->', currentError: 'x' })).toMatchObject({ kind: 'not_a_diagram', reason: expect.stringContaining('cannot repair') });
  });

  it.each([
    ['add a step after another', 'Add a step "Fraud check" after "Order placed"', ['A --> S4', 'S4 --> B', 'S4["Fraud check"]'], ['A --> B']],
    ['add a step before another', 'insert Pack before Ship.', ['S4 --> C', 'B -->|yes| S4', 'S4["Pack"]'], ['B -->|yes| C']],
    ['rename a step', "Rename 'Remind' to Send a reminder", ['D["Send a reminder"]', 'B -->|no| D'], ['Remind']],
    ['remove a step, joining its neighbours', 'remove the step Paid?', ['A -->|yes| C', 'A -->|no| D'], ['B{', 'B -->']],
    ['remove a styled step, and its style', 'delete Ship', ['B -->|no| D'], ['C[', 'style C']],
  ])('edits a flowchart: %s', async (_, instruction, present, absent) => {
    const answer = await provider.generate(edit(CHECKOUT, instruction));
    if (answer.kind !== 'diagram') throw new Error(answer.reason);
    for (const line of present) expect(answer.source).toContain(line);
    for (const line of absent) expect(answer.source).not.toContain(line);
    expect(await renderer.parse(answer.source, 'mermaid')).toEqual({ ok: true, diagramType: 'flowchart' });
  });

  it('refuses edits it does not understand, saying what it does understand', async () => {
    const understood = 'edits Mermaid flowcharts with one of: "add a step X after Y", "add a step X before Y", "rename X to Y", "remove X".';
    expect(await provider.generate(edit(CHECKOUT, 'make it prettier'))).toEqual({ kind: 'not_a_diagram', reason: expect.stringContaining(`It does not understand "make it prettier". The offline generator (no ANTHROPIC_API_KEY) ${understood}`) });
    expect(await provider.generate(edit(CHECKOUT, 'remove Nowhere'))).toEqual({ kind: 'not_a_diagram', reason: 'There is no step "Nowhere" in this flowchart; its steps are "Order placed", "Paid?", "Ship", "Remind".' });
    expect(await provider.generate(edit('sequenceDiagram\n  A->>B: hi', 'remove A'))).toMatchObject({ kind: 'not_a_diagram', reason: expect.stringContaining('not a Mermaid flowchart') });
    expect(await provider.generate(edit('flowchart TD\n  subgraph One\n  A --> B\n  end', 'remove A'))).toMatchObject({ kind: 'not_a_diagram', reason: expect.stringContaining('cannot edit a flowchart with subgraph') });
  });
});
