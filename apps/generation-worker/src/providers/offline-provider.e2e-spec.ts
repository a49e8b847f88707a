import { Renderer } from '@flowsmith/rendering';
import { OfflineProvider } from './offline.provider';

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
    const answer = await provider.generate({ prompt });
    expect(answer.kind).toBe('diagram');
    if (answer.kind !== 'diagram') return;
    expect(answer.title.length).toBeGreaterThan(0);
    const parsed = await renderer.parse(answer.mermaid, 'mermaid');
    expect({ prompt, parsed }).toEqual({ prompt, parsed: { ok: true, diagramType: expect.any(String) } });
  });

  it('picks the diagram kind from the prompt, or the hint', async () => {
    const kind = async (prompt: string, hint?: 'state' | 'er') => {
      const answer = await provider.generate({ prompt, hint });
      return answer.kind === 'diagram' ? answer.mermaid.split('\n')[0] : answer.kind;
    };
    expect(await kind(PROMPTS[0])).toBe('flowchart TD');
    expect(await kind(PROMPTS[5])).toBe('sequenceDiagram');
    expect(await kind(PROMPTS[8])).toBe('stateDiagram-v2');
    expect(await kind(PROMPTS[11])).toBe('erDiagram');
    expect(await kind('draft, review, live', 'state')).toBe('stateDiagram-v2');
  });

  it('says plainly when it finds nothing to draw', async () => {
    expect(await provider.generate({ prompt: '?' })).toMatchObject({ kind: 'not_a_diagram' });
  });
});
