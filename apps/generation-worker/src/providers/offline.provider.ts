import type { GenerationHint } from '@flowsmith/contracts';
import type { ModelAnswer, ModelProvider, ModelRequest } from './model-provider';
import { metrics } from '@flowsmith/observability';

/**
 * The generator used when no ANTHROPIC_API_KEY is set, so a fresh install can show the whole
 * pipeline. It understands nothing: it splits a prompt into steps, messages or states by rules
 * and draws them. Generations it makes say `model: "offline"`.
 */
export class OfflineProvider implements ModelProvider {
  readonly model = 'offline';

  async generate(request: ModelRequest): Promise<ModelAnswer> {
    metrics.modelCalls.inc({ provider: 'offline', model: 'offline', outcome: 'ok' });
    const prompt = request.prompt.trim();
    const words = prompt.match(/[\p{L}\p{N}]+/gu) ?? [];
    if (words.length < 2) return { kind: 'not_a_diagram', reason: 'The offline generator found no steps, actors or states in this prompt.' };
    const kind = request.hint ?? detectKind(prompt);
    const title = titleOf(words);
    switch (kind) {
      case 'sequence':
        return { kind: 'diagram', mermaid: sequence(prompt), title };
      case 'state':
        return { kind: 'diagram', mermaid: state(steps(prompt)), title };
      case 'class':
      case 'er':
        return { kind: 'diagram', mermaid: entities(prompt, kind), title };
      default:
        return { kind: 'diagram', mermaid: flowchart(steps(prompt)), title };
    }
  }
}

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
  const clean = text.replace(/["'`<>{}[\]()|#;:]/g, ' ').replace(/\s+/g, ' ').trim();
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

function sequence(prompt: string): string {
  const messages = [...prompt.matchAll(MESSAGE)].map((m) => ({ from: m[1], verb: m[2], to: m[3], rest: m[4] }));
  const lines = ['sequenceDiagram'];
  if (messages.length) {
    const actors = [...new Set(messages.flatMap((m) => [m.from, m.to]))];
    for (const actor of actors) lines.push(`  participant ${participantId(actor)} as ${label(actor)}`);
    for (const m of messages) {
      const reply = /repl|respond|return|answer/i.test(m.verb);
      lines.push(`  ${participantId(m.from)}${reply ? '-->>' : '->>'}${participantId(m.to)}: ${label(`${m.verb}${m.rest}`)}`);
    }
    return lines.join('\n');
  }
  // No "A sends B" sentences: alternate the capitalised names it mentions, step by step.
  const actors = [...new Set(prompt.match(/\b[A-Z][a-z]+\b/g) ?? [])].slice(0, 4);
  const cast = actors.length >= 2 ? actors : ['User', 'System'];
  for (const actor of cast) lines.push(`  participant ${participantId(actor)} as ${label(actor)}`);
  steps(prompt).forEach((item, i) => {
    const from = cast[i % cast.length];
    const to = cast[(i + 1) % cast.length];
    lines.push(`  ${participantId(from)}->>${participantId(to)}: ${item}`);
  });
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
