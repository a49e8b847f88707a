/// <reference lib="dom" />
/** Usage against the plan (GET /v1/usage) and what the key is (GET /v1/me). */
import { api, Bucket, Usage } from './api';
import { h } from './dom';
import type { ViewContext } from './main';

interface Me {
  key_id: string;
  user_id: string;
  organization_id: string | null;
  plan: string;
  scopes: string[];
}

function card(title: string, bucket: Bucket | null, note: string): HTMLElement {
  const limit = bucket?.limit;
  const share = bucket && typeof limit === 'number' && limit > 0 ? Math.min(100, Math.round((bucket.used / limit) * 100)) : 0;
  return h('section', { class: 'panel card', 'aria-label': title },
    h('h3', {}, title),
    h('div', { class: 'figure' }, bucket ? `${bucket.used}${limit === null ? '' : ` / ${limit}`}` : '—'),
    bucket && typeof limit === 'number' && limit > 0
      ? h('div', { class: 'meter', role: 'meter', 'aria-valuemin': 0, 'aria-valuemax': limit, 'aria-valuenow': bucket.used, 'aria-label': `${title} used` }, h('span', { style: `width:${share}%` }))
      : null,
    h('span', { class: 'muted' }, limit === null && bucket ? `Unlimited. ${note}` : note),
  );
}

export async function usageView(context: ViewContext): Promise<void> {
  const { view, session } = context;
  const [usage, me] = await Promise.all([api<Usage>('GET', '/usage'), api<Me>('GET', '/me')]);
  if (!context.current()) return;
  document.title = 'Usage · Flowsmith console';
  const resets = usage.exports.resets_at ? `Resets ${new Date(usage.exports.resets_at).toLocaleDateString(undefined, { month: 'long', day: 'numeric' })}.` : '';
  view.replaceChildren(
    h('div', { class: 'page-head' }, h('h1', {}, 'Usage'), h('span', { class: 'chip', id: 'plan' }, `${usage.plan} plan`)),
    h('div', { class: 'cards', id: 'usage-cards' },
      card('Exports this month', usage.exports, resets),
      card('AI generations this month', usage.ai.enabled ? usage.ai : null, usage.ai.enabled ? resets : 'Not in this plan.'),
      card('Active share links', usage.shares, 'Revoking a share frees its place.'),
    ),
    h('section', { class: 'panel', 'aria-labelledby': 'me-title' },
      h('div', { class: 'panel-head' }, h('h2', { id: 'me-title' }, 'This session')),
      h('div', { class: 'panel-body' },
        h('dl', { class: 'facts' },
          h('dt', {}, 'Key'), h('dd', {}, `${session.key.name} `, h('code', {}, me.key_id)),
          h('dt', {}, 'User'), h('dd', {}, h('code', {}, me.user_id)),
          h('dt', {}, 'Organization'), h('dd', {}, me.organization_id ? h('code', {}, me.organization_id) : '—'),
          h('dt', {}, 'Scopes'), h('dd', {}, h('div', { class: 'chips' }, ...me.scopes.map((scope) => h('span', { class: 'chip mono' }, scope)))),
          h('dt', {}, 'Session ends'), h('dd', {}, new Date(session.expires_at).toLocaleString()),
        ),
      ),
    ),
  );
}
