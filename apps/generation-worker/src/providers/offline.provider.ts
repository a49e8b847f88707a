import type { GenerationFormat, GenerationHint } from '@flowsmith/contracts';
import type { ModelAnswer, ModelProvider, ModelRequest } from './model-provider';
import { metrics } from '@flowsmith/observability';
import { EDITS_UNDERSTOOD, editFlowchart } from './offline-edit';

/**
 * The generator used when no ANTHROPIC_API_KEY is set, so a fresh install can show the whole
 * pipeline. It understands nothing: it splits a prompt into steps, messages or states by rules
 * and draws them (in Mermaid and PlantUML, and flowcharts in Graphviz and D2), and applies simple
 * instructions to Mermaid flowcharts (offline-edit.ts). Generations it makes say `model: "offline"`
 * and spend no AI quota (GenerationService).
 */
export class OfflineProvider implements ModelProvider {
  readonly model = 'offline';

  async generate(request: ModelRequest): Promise<ModelAnswer> {
    metrics.modelCalls.inc({ provider: 'offline', model: 'offline', outcome: 'ok' });
    if (request.task === 'repair') return { kind: 'not_a_diagram', reason: 'The offline generator (no ANTHROPIC_API_KEY) cannot repair a source: it only checks that one parses.' };
    if (request.task === 'edit') {
      const edited = request.sourceFormat === 'mermaid' ? editFlowchart(request.current ?? '', request.prompt) : { ok: false as const, reason: EDITS_UNDERSTOOD };
      return edited.ok ? { kind: 'diagram', source: edited.source, title: '' } : { kind: 'not_a_diagram', reason: edited.reason };
    }
    const prompt = request.prompt.trim();
    const words = prompt.match(/[\p{L}\p{N}]+/gu) ?? [];
    if (words.length < 2) return { kind: 'not_a_diagram', reason: 'The offline generator found no steps, actors or states in this prompt.' };
    const kind = request.hint ?? detectKind(prompt);
    const source = WRITERS[request.sourceFormat]?.(kind, prompt);
    if (!source) return { kind: 'not_a_diagram', reason: `The offline generator (no ANTHROPIC_API_KEY) writes ${WRITTEN}; not ${kind} diagrams in ${request.sourceFormat}.` };
    return { kind: 'diagram', source, title: titleOf(words) };
  }
}

type Writer = (kind: GenerationHint, prompt: string) => string | null;

/** What it writes in each language; null where it cannot. */
const WRITERS: Partial<Record<GenerationFormat, Writer>> = {
  mermaid: (kind, prompt) => {
    switch (kind) {
      case 'sequence':
        return sequence(prompt);
      case 'state':
        return state(steps(prompt));
      case 'class':
      case 'er':
        return entities(prompt, kind);
      default:
        return flowchart(steps(prompt));
    }
  },
  plantuml: (kind, prompt) => {
    switch (kind) {
      case 'sequence':
        return plantumlSequence(prompt);
      case 'state':
        return plantumlState(steps(prompt));
      case 'flowchart':
        return plantumlActivity(steps(prompt));
      default:
        return null;
    }
  },
  graphviz: (kind, prompt) => (kind === 'flowchart' || kind === 'state' ? dot(steps(prompt)) : null),
  d2: (kind, prompt) => (kind === 'flowchart' || kind === 'state' ? d2(steps(prompt)) : null),
};
const WRITTEN = 'Mermaid flowcharts, sequence, state, class and ER diagrams, PlantUML activity, sequence and state diagrams, and Graphviz and D2 flowcharts';

const MESSAGE = /\b([A-Z][\w-]*(?:\s[A-Z][\w-]*)?)\s+(sends?|asks?|tells?|calls?|requests?|replies to|responds to|returns? to|notifies|pays|forwards? to|queries|answers)\s+(?:the\s+)?([A-Z][\w-]*(?:\s[A-Z][\w-]*)?)\b([^.;\n]*)/g;

function detectKind(prompt: string): GenerationHint {
  if (/\bsequence\b/i.test(prompt) || [...prompt.matchAll(MESSAGE)].length >= 2) return 'sequence';
  if (/\b(state machine|states?|transitions?|lifecycle)\b/i.test(prompt)) return 'state';
  if (/\b(entities|entity|tables?|schema|relationship)\b/i.test(prompt)) return 'er';
  if (/\bclass(es)?\b/i.test(prompt)) return 'class';
  return 'flowchart';
}

function titleOf(words: string[]): string {
  const title = words.slice(0, 6).join(' ');
  return title.charAt(0).toUpperCase() + title.slice(1);
}

/** Mermaid-safe label text: no quotes, brackets or markup, at most 60 characters. */
function label(text: string): string {
  const clean = text.replace(/["'`<>{}[\]()|#;:\\]/g, ' ').replace(/\s+/g, ' ').trim();
  return (clean.length > 60 ? `${clean.slice(0, 57)}...` : clean) || 'Step';
}

/** Steps from numbered lists, lines, arrows, "then" and sentence breaks. */
function steps(prompt: string): string[] {
  const body = prompt.replace(/^.*?:\s*(?=\S)/s, (m) => (m.length < 80 ? '' : m));
  const parts = body
    .split(/\n+|\s*(?:->|→|=>)\s*|\s*;\s*|\.\s+|,?\s+(?:and\s+)?then\s+|,?\s+after that\s+|,?\s+finally\s+|\s*\d+[.)]\s+/i)
    .map((part) => part.replace(/^[-*•\s]+|[.\s]+$/g, ''))
    .filter((part) => /[\p{L}\p{N}]/u.test(part));
  const unique = parts.length >= 2 ? parts : body.split(/,\s*/).filter((part) => /[\p{L}\p{N}]/u.test(part));
  return (unique.length ? unique : [body]).slice(0, 14).map(label);
}

function flowchart(items: string[]): string {
  const lines = ['flowchart TD'];
  items.forEach((item, i) => {
    const decision = /\?$|^(if|whether|is|are|does|do|can)\b/i.test(item);
    lines.push(`  S${i}${decision ? `{"${item}"}` : `["${item}"]`}`);
  });
  for (let i = 0; i + 1 < items.length; i++) lines.push(`  S${i} --> S${i + 1}`);
  return lines.join('\n');
}

function state(items: string[]): string {
  const names = items.map((item, i) => ({ id: `S${i}`, text: item }));
  const lines = ['stateDiagram-v2'];
  for (const { id, text } of names) lines.push(`  state "${text}" as ${id}`);
  lines.push(`  [*] --> ${names[0].id}`);
  for (let i = 0; i + 1 < names.length; i++) lines.push(`  ${names[i].id} --> ${names[i + 1].id}`);
  lines.push(`  ${names[names.length - 1].id} --> [*]`);
  return lines.join('\n');
}

const participantId = (name: string) => name.replace(/[^\p{L}\p{N}]+/gu, '_');

/**
 * The messages of a conversation: "A sends B ..." sentences, or else the steps of a list passed
 * back and forth between the capitalised names it mentions (User and System when it names none).
 */
function conversation(prompt: string): { actors: string[]; messages: Array<{ from: string; to: string; text: string; reply: boolean }> } {
  const sentences = [...prompt.matchAll(MESSAGE)].map((m) => ({ from: m[1], verb: m[2], to: m[3], rest: m[4] }));
  if (sentences.length) {
    return {
      actors: [...new Set(sentences.flatMap((m) => [m.from, m.to]))],
      messages: sentences.map((m) => ({ from: m.from, to: m.to, text: label(`${m.verb.replace(/\s+to$/, '')}${m.rest}`), reply: /repl|respond|return|answer/i.test(m.verb) })),
    };
  }
  const named = [...new Set(prompt.match(/\b[A-Z][a-z]+\b/g) ?? [])].slice(0, 4);
  const actors = named.length >= 2 ? named : ['User', 'System'];
  const messages = steps(prompt).map((text, i) => ({ from: actors[i % actors.length], to: actors[(i + 1) % actors.length], text, reply: false }));
  return { actors, messages };
}

function sequence(prompt: string): string {
  const { actors, messages } = conversation(prompt);
  const lines = ['sequenceDiagram'];
  for (const actor of actors) lines.push(`  participant ${participantId(actor)} as ${label(actor)}`);
  for (const m of messages) lines.push(`  ${participantId(m.from)}${m.reply ? '-->>' : '->>'}${participantId(m.to)}: ${m.text}`);
  return lines.join('\n');
}

function plantumlSequence(prompt: string): string {
  const { actors, messages } = conversation(prompt);
  const lines = ['@startuml'];
  for (const actor of actors) lines.push(`participant "${label(actor)}" as ${participantId(actor)}`);
  for (const m of messages) lines.push(`${participantId(m.from)} ${m.reply ? '-->' : '->'} ${participantId(m.to)} : ${m.text}`);
  lines.push('@enduml');
  return lines.join('\n');
}

/** PlantUML's activity diagram (its new syntax): a start, one action per step, a stop. */
function plantumlActivity(items: string[]): string {
  return ['@startuml', 'start', ...items.map((item) => `:${item};`), 'stop', '@enduml'].join('\n');
}

function plantumlState(items: string[]): string {
  const lines = ['@startuml'];
  items.forEach((item, i) => lines.push(`state "${item}" as S${i}`));
  lines.push('[*] --> S0');
  for (let i = 0; i + 1 < items.length; i++) lines.push(`S${i} --> S${i + 1}`);
  lines.push(`S${items.length - 1} --> [*]`, '@enduml');
  return lines.join('\n');
}

function dot(items: string[]): string {
  const lines = ['digraph {', '  node [shape=box];'];
  items.forEach((item, i) => lines.push(`  S${i} [label="${item}"];`));
  for (let i = 0; i + 1 < items.length; i++) lines.push(`  S${i} -> S${i + 1};`);
  lines.push('}');
  return lines.join('\n');
}

function d2(items: string[]): string {
  const lines = items.map((item, i) => `S${i}: "${item}"`);
  for (let i = 0; i + 1 < items.length; i++) lines.push(`S${i} -> S${i + 1}`);
  return lines.join('\n');
}

function entities(prompt: string, kind: 'class' | 'er'): string {
  const names = [...new Set((prompt.match(/\b[A-Z][a-z]+\b/g) ?? []).filter((w) => !/^(The|A|An|Each|Every|And|With|Has|Have)$/.test(w)))].slice(0, 6);
  const items = names.length >= 2 ? names : steps(prompt).slice(0, 4).map((s) => s.split(' ')[0].replace(/[^\p{L}\p{N}]/gu, '') || 'Item');
  const ids = [...new Set(items.map((n) => participantId(n)))];
  if (kind === 'er') {
    const lines = ['erDiagram'];
    for (let i = 0; i + 1 < ids.length; i++) lines.push(`  ${ids[i].toUpperCase()} ||--o{ ${ids[i + 1].toUpperCase()} : has`);
    if (ids.length === 1) lines.push(`  ${ids[0].toUpperCase()} { string id }`);
    return lines.join('\n');
  }
  const lines = ['classDiagram'];
  for (const id of ids) lines.push(`  class ${id}`);
  for (let i = 0; i + 1 < ids.length; i++) lines.push(`  ${ids[i]} --> ${ids[i + 1]}`);
  return lines.join('\n');
}
