/// <reference lib="dom" />
/**
 * API keys: the owner's keys, created with a subset of this session's scopes (the API refuses
 * more) and an optional expiry, the secret shown once; revocable. The AI scopes are offered only
 * when the plan generates (GET /v1/usage says so).
 */
import { api, ApiKey, listAll, Usage } from './api';
import { append, copyButton, dialog, h, showError, timeAgo } from './dom';
import type { ViewContext } from './main';

const AI_SCOPES = new Set(['generate', 'ai:write']);
const EXPIRIES: Array<[string, number | null]> = [['Never', null], ['In 30 days', 30], ['In 90 days', 90], ['In a year', 365]];

function state(key: ApiKey): { label: string; off: boolean } {
  if (key.revoked_at) return { label: 'Revoked', off: true };
  if (key.expires_at && Date.parse(key.expires_at) <= Date.now()) return { label: 'Expired', off: true };
  return { label: key.expires_at ? `Expires ${new Date(key.expires_at).toLocaleDateString()}` : 'Active', off: false };
}

export async function keysView(context: ViewContext): Promise<void> {
  const { view, session } = context;
  const keys = await listAll<ApiKey>('/keys');
  if (!context.current()) return;
  document.title = 'API keys · Flowsmith console';
  const reload = () => void keysView(context).catch((error: unknown) => showError(view, error));

  const rows = keys.map((key) => {
    const { label, off } = state(key);
    const mine = key.id === session.key.id;
    return h('tr', { 'data-id': key.id },
      h('td', {}, h('strong', {}, key.name), mine ? h('span', { class: 'muted' }, ' (this session)') : null),
      h('td', {}, h('code', {}, `${key.prefix}…`)),
      h('td', {}, key.scopes.length === context.settings.scopes.length
        ? h('span', { class: 'chip', title: key.scopes.join(', ') }, 'All scopes')
        : h('div', { class: 'chips' }, ...key.scopes.map((scope) => h('span', { class: 'chip mono' }, scope)))),
      h('td', { class: 'muted' }, timeAgo(key.created_at)),
      h('td', { class: 'muted' }, timeAgo(key.last_used_at)),
      h('td', {}, h('span', { class: off ? 'chip off' : 'chip' }, label)),
      h('td', { class: 'actions' }, off ? null : h('button', { type: 'button', class: 'small danger', 'aria-label': `Revoke ${key.name}`, onclick: () => revokeDialog(key, mine, reload) }, 'Revoke')),
    );
  });
  view.replaceChildren(
    h('div', { class: 'page-head' },
      h('h1', {}, 'API keys'),
      h('span', { class: 'muted' }, `${keys.filter((k) => !state(k).off).length} active`),
      h('span', { class: 'spacer' }),
      h('button', { type: 'button', class: 'primary', id: 'new-key', onclick: () => void createDialog(context, reload) }, '+ Create key'),
    ),
    h('section', { class: 'panel', 'aria-label': 'API keys' },
      h('table', {},
        h('thead', {}, h('tr', {}, ...['Name', 'Key', 'Scopes', 'Created', 'Last used', 'Status'].map((t) => h('th', { scope: 'col' }, t)), h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Actions')))),
        h('tbody', {}, ...rows),
      ),
    ),
  );
}

async function createDialog(context: ViewContext, reload: () => void): Promise<void> {
  const held = new Set(context.session.key.scopes);
  // Without usage:read the plan is unknown: the API still refuses what the plan does not allow.
  const usage = await api<Usage>('GET', '/usage').catch(() => null);
  const aiAllowed = usage?.ai.enabled ?? true;
  const name = h('input', { id: 'key-name', required: true, maxlength: 200, autocomplete: 'off', placeholder: 'e.g. CI pipeline' });
  const checks = h('div', { class: 'checks' });
  for (const scope of context.settings.scopes) {
    const why = !held.has(scope) ? 'this session’s key lacks it' : AI_SCOPES.has(scope) && !aiAllowed ? 'not in your plan' : null;
    const box = h('input', { type: 'checkbox', name: 'scope', value: scope, id: `scope-${scope.replace(':', '-')}`, disabled: why !== null, checked: why === null && scope.endsWith(':read') });
    append(checks, h('label', { for: box.id, title: why ?? undefined }, box, h('span', { class: 'mono' }, scope), why ? h('span', { class: 'muted' }, ` (${why})`) : null));
  }
  const expiry = h('select', { id: 'key-expiry' }, ...EXPIRIES.map(([label, days]) => h('option', { value: days === null ? '' : String(days) }, label)));
  const created = dialog({
    title: 'Create an API key',
    body: [
      h('label', { class: 'stack', for: 'key-name' }, 'Name', name),
      h('fieldset', {}, h('legend', {}, 'Scopes'), checks),
      h('label', { class: 'stack', for: 'key-expiry' }, 'Expires', expiry),
    ],
    submitLabel: 'Create key',
    submit: async () => {
      const scopes = [...checks.querySelectorAll<HTMLInputElement>('input:checked')].map((box) => box.value);
      const expires = expiry.value ? new Date(Date.now() + Number(expiry.value) * 86_400_000).toISOString() : undefined;
      const key = await api<ApiKey>('POST', '/keys', { name: name.value, scopes, ...(expires ? { expires_at: expires } : {}) });
      const secret = key.secret ?? '';
      return [
        h('div', { class: 'success', role: 'status' }, `Key “${key.name}” created. Copy its secret now: it is shown this once and never again.`),
        h('div', { class: 'secret' }, h('code', { id: 'key-secret' }, secret), copyButton(() => secret, 'Secret')),
      ];
    },
  });
  // The secret goes with the dialog: nothing else holds it.
  created.addEventListener('close', reload);
}

function revokeDialog(key: ApiKey, mine: boolean, reload: () => void): void {
  dialog({
    title: 'Revoke this key?',
    body: [h('p', {}, `“${key.name}” (${key.prefix}…) stops working at once, everywhere.${mine ? ' It is the key of this session: you will be signed out.' : ''}`)],
    submitLabel: 'Revoke key',
    danger: true,
    submit: async () => {
      await api('DELETE', `/keys/${key.id}`);
      reload();
    },
  });
}
