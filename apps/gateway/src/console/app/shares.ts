/// <reference lib="dom" />
/** Shares: the owner's public links, each with its link and embed snippet to copy, revocable; new ones of a saved diagram. */
import { api, Diagram, listAll, Share, themes as listThemes } from './api';
import { copyButton, dialog, h, showError, timeAgo } from './dom';
import { shareReceipt } from './diagrams';
import type { ViewContext } from './main';

export async function sharesView(context: ViewContext): Promise<void> {
  const { view } = context;
  const [shares, diagrams] = await Promise.all([
    listAll<Share>('/shares'),
    // Names for the list; a key without diagrams:read still manages its shares.
    listAll<Diagram>('/diagrams').catch(() => [] as Diagram[]),
  ]);
  if (!context.current()) return;
  document.title = 'Shares · Flowsmith console';
  const names = new Map(diagrams.map((d) => [d.id, d.name]));
  const reload = () => void sharesView(context).catch((error: unknown) => showError(view, error));

  const rows = shares.map((share) => {
    const url = new URL(share.url, location.origin).href;
    const label = share.diagram_id ? (names.get(share.diagram_id) ?? 'A diagram') : 'A source snapshot';
    const snippet = `<img src="${url}" alt="${label.replace(/[&"<>]/g, (c) => `&#${c.charCodeAt(0)};`)}">`;
    return h('tr', { 'data-id': share.id },
      h('td', {}, share.diagram_id ? h('a', { class: 'name-link', href: `#/diagrams/${share.diagram_id}` }, label) : h('span', { class: 'muted' }, label)),
      h('td', {}, h('span', { class: 'chip' }, share.theme)),
      h('td', {}, h('div', { class: 'snippet' }, h('code', { title: url }, url), copyButton(() => url, 'Link', 'Link'), copyButton(() => snippet, 'Embed snippet', 'Embed'))),
      h('td', { class: 'muted' }, h('time', { datetime: share.created_at }, timeAgo(share.created_at))),
      h('td', { class: 'actions' },
        h('a', { class: 'button small', href: url, target: '_blank', rel: 'noopener noreferrer' }, 'Open'),
        h('button', { type: 'button', class: 'small danger', 'aria-label': `Revoke the share of ${label}`, onclick: () => revokeDialog(share, label, reload) }, 'Revoke'),
      ),
    );
  });
  const create = h('button', { type: 'button', class: 'primary', id: 'new-share', disabled: diagrams.length === 0, onclick: () => void createDialog(diagrams, reload) }, '+ New share');
  view.replaceChildren(
    h('div', { class: 'page-head' }, h('h1', {}, 'Shares'), h('span', { class: 'muted' }, `${shares.length} public link${shares.length === 1 ? '' : 's'}`), h('span', { class: 'spacer' }), create),
    h('section', { class: 'panel', 'aria-label': 'Share links' },
      shares.length
        ? h('table', {}, h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Diagram'), h('th', { scope: 'col' }, 'Theme'), h('th', { scope: 'col' }, 'Link'), h('th', { scope: 'col' }, 'Created'), h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Actions')))), h('tbody', {}, ...rows))
        : h('p', { class: 'empty' }, 'No share links yet. Share a diagram from its editor, or here.'),
    ),
  );
}

async function createDialog(diagrams: Diagram[], reload: () => void): Promise<void> {
  const themes = await listThemes();
  const picker = h('select', { id: 'share-diagram' }, ...[...diagrams].sort((a, b) => a.name.localeCompare(b.name)).map((d) => h('option', { value: d.id }, d.name)));
  const theme = h('select', { id: 'share-theme' }, ...themes.map((t) => h('option', { value: t.id, selected: t.id === 'light' }, t.name)));
  const chosen = () => diagrams.find((d) => d.id === picker.value);
  const created = dialog({
    title: 'New share link',
    body: [h('label', { class: 'stack', for: 'share-diagram' }, 'Diagram', picker), themes.length ? h('label', { class: 'stack', for: 'share-theme' }, 'Theme', theme) : null],
    submitLabel: 'Create link',
    submit: async () => {
      const share = await api<Share>('POST', '/share', { diagram_id: picker.value, ...(themes.length ? { theme: theme.value } : {}) });
      return shareReceipt(share, chosen()?.name ?? 'Diagram');
    },
  });
  created.addEventListener('close', reload);
}

function revokeDialog(share: Share, label: string, reload: () => void): void {
  dialog({
    title: 'Revoke this share?',
    body: [h('p', {}, `The link to “${label}” will stop working at once, wherever it is embedded.`)],
    submitLabel: 'Revoke',
    danger: true,
    submit: async () => {
      await api('DELETE', `/share/${share.id}`);
      reload();
    },
  });
}
