/// <reference lib="dom" />
/**
 * Diagrams: a folder tree, a list searched by name and sorted by name or last update, and the
 * editor with a live preview (POST /v1/beautify, debounced) that saves with PATCH. The console
 * reads the owner's newest 1,000 diagrams once and searches and sorts them here; an owner with more
 * searches through the API (`GET /v1/diagrams?q=`), which looks through all of them.
 */
import { api, ApiFailure, Diagram, Folder, listAll, listUpTo, Render, Share, themes as listThemes } from './api';
import { append, copyButton, dialog, h, icon, ICONS, showError, timeAgo, toast } from './dom';
import type { Settings, ViewContext } from './main';

const PREVIEW_DEBOUNCE_MS = 400;

/** The list's search and sort outlive a reload of the list (after a rename, a move, ...). */
const listState = { search: '', sort: 'updated' as 'updated' | 'name' };

/** The most diagrams the list reads at once; beyond it, a search asks the API (`q`). */
const MAX_LISTED = 1000;

/** Folders in tree order, each with its depth, for the tree and the folder pickers. */
function folderTree(folders: Folder[]): Array<{ folder: Folder; depth: number }> {
  const children = new Map<string | null, Folder[]>();
  for (const folder of folders) children.set(folder.parent_id, [...(children.get(folder.parent_id) ?? []), folder]);
  const known = new Set(folders.map((f) => f.id));
  const out: Array<{ folder: Folder; depth: number }> = [];
  const walk = (parent: string | null, depth: number) => {
    for (const folder of (children.get(parent) ?? []).sort((a, b) => a.name.localeCompare(b.name))) {
      out.push({ folder, depth });
      walk(folder.id, depth + 1);
    }
  };
  walk(null, 0);
  // A folder whose parent is not visible still shows, at the top.
  for (const folder of folders) if (folder.parent_id && !known.has(folder.parent_id) && !out.some((o) => o.folder.id === folder.id)) out.push({ folder, depth: 0 });
  return out;
}

function folderPicker(id: string, folders: Folder[], selected: string | null): HTMLSelectElement {
  const select = h('select', { id, name: 'folder' }, h('option', { value: '' }, 'No folder (top level)'));
  for (const { folder, depth } of folderTree(folders)) {
    append(select, h('option', { value: folder.id, selected: folder.id === selected }, `${'\u2003'.repeat(depth)}${folder.name}`));
  }
  return select;
}

function formatPicker(id: string, settings: Settings, selected = 'mermaid'): HTMLSelectElement {
  return h('select', { id, name: 'format' }, ...settings.formats.map((f) => h('option', { value: f.id, selected: f.id === selected }, f.label)));
}

export async function diagramsView(context: ViewContext): Promise<void> {
  const { view, settings } = context;
  const [{ items: diagrams, complete }, folders] = await Promise.all([
    listUpTo<Diagram>('/diagrams', MAX_LISTED),
    // A key without folders:read still sees its diagrams, without the tree.
    listAll<Folder>('/folders').catch(() => null),
  ]);
  if (!context.current()) return;
  document.title = 'Diagrams · Flowsmith console';
  const selected = context.query.get('folder') ?? '';
  const folderName = new Map((folders ?? []).map((f) => [f.id, f.name]));
  const reload = () => void diagramsView(context).catch((error: unknown) => showError(view, error));
  const go = (folder: string) => {
    location.hash = folder ? `#/diagrams?folder=${encodeURIComponent(folder)}` : '#/diagrams';
  };

  // ---- The folder tree ----
  const treeButton = (label: string, value: string, glyph: string, depth = 0) =>
    h('li', {}, h('button', { type: 'button', 'aria-current': selected === value ? 'true' : 'false', style: depth ? `padding-left:${10 + depth * 14}px` : undefined, onclick: () => go(value) }, icon(glyph), label));
  const tree = h('ul', { class: 'tree', 'aria-label': 'Folders' }, treeButton('All diagrams', '', ICONS.all), treeButton('Top level', 'root', ICONS.folder));
  for (const { folder, depth } of folderTree(folders ?? [])) append(tree, treeButton(folder.name, folder.id, ICONS.folder, depth));
  const newFolder = h('button', { type: 'button', class: 'small', onclick: () => folderDialog(folders ?? [], selected, reload) }, '+ Folder');
  const aside = h('aside', { class: 'panel', 'aria-labelledby': 'folders-title' },
    h('div', { class: 'panel-head' }, h('h2', { id: 'folders-title' }, 'Folders'), h('span', { class: 'spacer' }), folders ? newFolder : null),
    folders ? tree : h('p', { class: 'panel-body muted' }, 'This key cannot read folders (folders:read).'),
  );

  // ---- The list ----
  const search = h('input', { type: 'search', id: 'diagram-search', placeholder: 'Search by name', value: listState.search, 'aria-label': 'Search diagrams by name' });
  const sort = h('select', { id: 'diagram-sort', 'aria-label': 'Sort diagrams' },
    h('option', { value: 'updated', selected: listState.sort === 'updated' }, 'Last updated'),
    h('option', { value: 'name', selected: listState.sort === 'name' }, 'Name A–Z'),
  );
  const body = h('tbody');
  const table = h('table', {}, h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Name'), h('th', { scope: 'col' }, 'Type'), h('th', { scope: 'col' }, 'Folder'), h('th', { scope: 'col' }, 'Updated'), h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Actions')))), body);
  const empty = h('p', { class: 'empty' });
  const inSelected = (d: Diagram) => (selected === '' ? true : selected === 'root' ? d.folder_id === null : d.folder_id === selected);
  const inFolder = diagrams.filter(inSelected);
  // More diagrams than the console lists: a search asks the API, which looks through all of them.
  const note = h('p', { class: 'muted panel-note', id: 'list-note', hidden: complete }, `Showing the ${MAX_LISTED.toLocaleString('en')} most recently created diagrams; a search looks through all of them.`);
  let found: { needle: string; diagrams: Diagram[] } | null = null;
  let searching = 0;
  let searchTimer: number | undefined;
  const searchServer = (needle: string) => {
    const mine = ++searching;
    const folder = selected && selected !== 'root' ? `&folder_id=${encodeURIComponent(selected)}` : '';
    listUpTo<Diagram>(`/diagrams?q=${encodeURIComponent(needle)}${folder}`, MAX_LISTED)
      .then(({ items }) => {
        if (mine !== searching || !context.current()) return;
        found = { needle, diagrams: items.filter(inSelected) };
        draw();
      })
      .catch((error: unknown) => showError(view, error));
  };

  const draw = () => {
    listState.search = search.value;
    listState.sort = sort.value as 'updated' | 'name';
    const needle = search.value.trim().toLowerCase();
    if (!complete && needle && found?.needle !== needle) {
      clearTimeout(searchTimer);
      searchTimer = window.setTimeout(() => searchServer(needle), 250);
    }
    const pool = !complete && needle && found?.needle === needle ? found.diagrams : inFolder;
    const shown = pool
      .filter((d) => d.name.toLowerCase().includes(needle))
      .sort((a, b) => (listState.sort === 'name' ? a.name.localeCompare(b.name) : Date.parse(b.updated_at) - Date.parse(a.updated_at)));
    body.replaceChildren(
      ...shown.map((diagram) =>
        h('tr', { 'data-id': diagram.id },
          h('td', {}, h('a', { class: 'name-link', href: `#/diagrams/${diagram.id}` }, diagram.name)),
          h('td', {}, h('span', { class: 'chip' }, diagram.diagram_type)),
          h('td', { class: 'muted' }, diagram.folder_id ? (folderName.get(diagram.folder_id) ?? '—') : '—'),
          h('td', { class: 'muted' }, h('time', { datetime: diagram.updated_at, title: diagram.updated_at }, timeAgo(diagram.updated_at))),
          h('td', { class: 'actions' },
            h('button', { type: 'button', class: 'small', 'aria-label': `Rename ${diagram.name}`, onclick: () => renameDialog(diagram, reload) }, 'Rename'),
            folders ? h('button', { type: 'button', class: 'small', 'aria-label': `Move ${diagram.name}`, onclick: () => moveDialog(diagram, folders, reload) }, 'Move') : null,
            h('button', { type: 'button', class: 'small danger', 'aria-label': `Delete ${diagram.name}`, onclick: () => deleteDialog(diagram, reload) }, 'Delete'),
          ),
        ),
      ),
    );
    table.hidden = shown.length === 0;
    empty.hidden = shown.length > 0;
    empty.textContent = inFolder.length === 0 ? 'No diagrams here yet. Create one to start.' : `No diagram's name contains “${search.value.trim()}”.`;
  };
  search.addEventListener('input', draw);
  sort.addEventListener('change', draw);

  const title = selected === '' ? 'All diagrams' : selected === 'root' ? 'Top level' : (folderName.get(selected) ?? 'Folder');
  const create = h('button', { type: 'button', class: 'primary', id: 'new-diagram', onclick: () => createDialog(settings, folders ?? [], selected === '' || selected === 'root' ? null : selected) }, '+ New diagram');
  // The folder shown, when it is one of the owner's: rename or move it, or delete it.
  const current = folders?.find((f) => f.id === selected);
  const folderActions = current
    ? [
        h('button', { type: 'button', id: 'edit-folder', onclick: () => editFolderDialog(current, folders ?? [], reload) }, 'Rename or move folder'),
        h('button', { type: 'button', id: 'delete-folder', class: 'danger', onclick: () => deleteFolderDialog(current, () => go(current.parent_id ?? '')) }, 'Delete folder'),
      ]
    : [];
  const list = h('section', { class: 'panel', 'aria-labelledby': 'list-title' },
    h('div', { class: 'toolbar' }, h('h2', { id: 'list-title', class: 'visually-hidden' }, title), search, sort),
    note,
    table,
    empty,
  );
  view.replaceChildren(
    h('div', { class: 'page-head' }, h('h1', {}, title), h('span', { class: 'muted', id: 'diagram-count' }, `${inFolder.length.toLocaleString('en')}${complete ? '' : '+'} diagram${inFolder.length === 1 && complete ? '' : 's'}`), h('span', { class: 'spacer' }), ...folderActions, create),
    h('div', { class: 'workspace' }, aside, list),
  );
  draw();
}

function nameField(id: string, value = ''): HTMLInputElement {
  return h('input', { id, name: 'name', required: true, maxlength: 200, value, autocomplete: 'off' });
}

function createDialog(settings: Settings, folders: Folder[], folder: string | null): void {
  const name = nameField('new-name');
  const format = formatPicker('new-format', settings);
  const picker = folderPicker('new-folder', folders, folder);
  dialog({
    title: 'New diagram',
    body: [h('label', { class: 'stack', for: 'new-name' }, 'Name', name), h('label', { class: 'stack', for: 'new-format' }, 'Language', format), h('label', { class: 'stack', for: 'new-folder' }, 'Folder', picker)],
    submitLabel: 'Create',
    submit: async () => {
      const sample = settings.formats.find((f) => f.id === format.value)?.sample ?? '';
      const created = await api<Diagram>('POST', '/diagrams', { name: name.value, source: sample, source_format: format.value, folder_id: picker.value || null });
      location.hash = `#/diagrams/${created.id}`;
    },
  });
}

function folderDialog(folders: Folder[], selected: string, reload: () => void): void {
  const name = nameField('folder-name');
  const parent = folderPicker('folder-parent', folders, selected && selected !== 'root' ? selected : null);
  dialog({
    title: 'New folder',
    body: [h('label', { class: 'stack', for: 'folder-name' }, 'Name', name), h('label', { class: 'stack', for: 'folder-parent' }, 'Inside', parent)],
    submitLabel: 'Create folder',
    submit: async () => {
      await api('POST', '/folders', { name: name.value, parent_id: parent.value || null });
      reload();
    },
  });
}

/** A folder's name and place: any folder but itself and those under it (the API refuses those too). */
function editFolderDialog(folder: Folder, folders: Folder[], reload: () => void): void {
  const name = nameField('folder-rename', folder.name);
  const below = new Set([folder.id]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const f of folders) {
      if (f.parent_id && below.has(f.parent_id) && !below.has(f.id)) {
        below.add(f.id);
        grew = true;
      }
    }
  }
  const parent = folderPicker('folder-move', folders.filter((f) => !below.has(f.id)), folder.parent_id);
  dialog({
    title: 'Rename or move folder',
    body: [h('label', { class: 'stack', for: 'folder-rename' }, 'Name', name), h('label', { class: 'stack', for: 'folder-move' }, 'Inside', parent)],
    submitLabel: 'Save',
    submit: async () => {
      await api('PATCH', `/folders/${folder.id}`, { name: name.value, parent_id: parent.value || null });
      reload();
    },
  });
  name.select();
}

/**
 * Deleting a folder: an empty one at once; one that holds diagrams or folders only when the owner
 * ticks the box, and then its contents move up to its parent (the API's `force=true`); otherwise
 * the API's folder_not_empty shows in the dialog and nothing changes.
 */
function deleteFolderDialog(folder: Folder, done: () => void): void {
  const force = h('input', { type: 'checkbox', id: 'folder-force', name: 'force' });
  dialog({
    title: 'Delete folder?',
    body: [
      h('p', {}, `“${folder.name}” will be deleted. Its diagrams are kept.`),
      h('div', { class: 'checks' }, h('label', { for: 'folder-force' }, force, 'If it holds diagrams or folders, move them to its parent folder')),
    ],
    submitLabel: 'Delete folder',
    danger: true,
    submit: async () => {
      await api('DELETE', `/folders/${folder.id}${force.checked ? '?force=true' : ''}`);
      done();
    },
  });
}

function renameDialog(diagram: Diagram, reload: () => void): void {
  const name = nameField('rename-name', diagram.name);
  dialog({
    title: 'Rename diagram',
    body: [h('label', { class: 'stack', for: 'rename-name' }, 'Name', name)],
    submitLabel: 'Rename',
    submit: async () => {
      await api('PATCH', `/diagrams/${diagram.id}`, { name: name.value });
      reload();
    },
  });
  name.select();
}

function moveDialog(diagram: Diagram, folders: Folder[], reload: () => void): void {
  const picker = folderPicker('move-folder', folders, diagram.folder_id);
  dialog({
    title: `Move “${diagram.name}”`,
    body: [h('label', { class: 'stack', for: 'move-folder' }, 'To folder', picker)],
    submitLabel: 'Move',
    submit: async () => {
      await api('PATCH', `/diagrams/${diagram.id}`, { folder_id: picker.value || null });
      reload();
    },
  });
}

function deleteDialog(diagram: Diagram, reload: () => void): void {
  dialog({
    title: 'Delete diagram?',
    body: [h('p', {}, `“${diagram.name}” will be deleted for good, with its share links' picture of it.`)],
    submitLabel: 'Delete',
    danger: true,
    submit: async () => {
      await api('DELETE', `/diagrams/${diagram.id}`);
      reload();
    },
  });
}

/** The embed snippet and link of a share, with copy buttons: shown after creating one, and in the shares list. */
export function shareReceipt(share: Share, alt: string): HTMLElement[] {
  const url = new URL(share.url, location.origin).href;
  const snippet = `<img src="${url}" alt="${alt.replace(/[&"<>]/g, (c) => `&#${c.charCodeAt(0)};`)}">`;
  return [
    h('p', {}, 'Anyone with the link sees the diagram as it is now, unwatermarked.'),
    h('label', { class: 'stack' }, 'Link', h('div', { class: 'secret' }, h('code', { id: 'share-url' }, url), copyButton(() => url, 'Link'))),
    h('label', { class: 'stack' }, 'Embed (HTML)', h('div', { class: 'secret' }, h('code', { id: 'share-snippet' }, snippet), copyButton(() => snippet, 'Embed snippet'))),
  ];
}

export async function diagramEditor(context: ViewContext, id: string): Promise<void> {
  const { view } = context;
  let diagram = await api<Diagram>('GET', `/diagrams/${encodeURIComponent(id)}`);
  if (!context.current()) return;
  document.title = `${diagram.name} · Flowsmith console`;
  const source = h('textarea', { id: 'source', spellcheck: 'false', autocapitalize: 'off', autocomplete: 'off', 'aria-label': 'Diagram source' });
  source.value = diagram.source;
  const status = h('span', { class: 'status', id: 'save-status', 'aria-live': 'polite' }, 'Saved');
  const save = h('button', { type: 'button', class: 'primary', id: 'save', disabled: true }, 'Save');
  const share = h('button', { type: 'button', id: 'share' }, 'Share');
  const typeChip = h('span', { class: 'chip', id: 'diagram-type' }, diagram.diagram_type);
  const preview = h('img', { id: 'preview', alt: `Preview of ${diagram.name}`, hidden: true });
  const stage = h('div', { class: 'stage', id: 'stage' }, preview);
  const previewError = h('div', { id: 'preview-error' });
  const busy = h('span', { class: 'busy', hidden: true });
  // The preview's theme: any the API lists; the page's scheme picks the first one shown.
  const themes = await listThemes();
  const dark = window.matchMedia('(prefers-color-scheme: dark)').matches;
  const theme = h('select', { id: 'preview-theme', 'aria-label': 'Preview theme', class: 'small' },
    ...themes.map((t) => h('option', { value: t.id, selected: t.id === (dark ? 'midnight' : 'modern') }, t.name)));
  const saveError = h('div');
  let renders = 0;
  let timer: number | undefined;
  let blobUrl: string | null = null;

  const render = async () => {
    const ticket = ++renders;
    busy.hidden = false;
    try {
      const result = await api<Render>('POST', '/beautify', { source: source.value, source_format: diagram.source_format, ...(theme.value ? { theme: theme.value } : {}) });
      if (ticket !== renders || !context.current()) return;
      if (blobUrl) URL.revokeObjectURL(blobUrl);
      blobUrl = URL.createObjectURL(new Blob([result.svg], { type: 'image/svg+xml' }));
      preview.src = blobUrl;
      preview.hidden = false;
      stage.classList.remove('stale');
      typeChip.textContent = result.diagram_type;
      showError(previewError, null);
    } catch (error) {
      if (ticket !== renders) return;
      stage.classList.add('stale');
      showError(previewError, error);
      if (error instanceof ApiFailure && error.code === 'parse_failed' && context.session.key.scopes.includes('ai:write')) previewError.append(repairButton(error.message));
    } finally {
      if (ticket === renders) busy.hidden = true;
    }
  };
  /** The model's repair of a source that does not parse (POST /v1/ai/repair): put in the editor, unsaved, for the user to check and save. */
  const repairButton = (message: string) => {
    const button = h('button', { type: 'button', class: 'primary small', id: 'repair' }, 'Fix with AI');
    const broken = source.value;
    button.addEventListener('click', async () => {
      button.disabled = true;
      button.textContent = 'Fixing…';
      try {
        const result = await api<{ source: string; model: string }>('POST', '/ai/repair', { source: broken, source_format: diagram.source_format, error: message });
        if (source.value !== broken || !context.current()) return;
        source.value = result.source;
        source.dispatchEvent(new Event('input'));
        toast(`Repaired by ${result.model}: check it, then save`);
      } catch (error) {
        if (source.value === broken) showError(previewError, error);
      }
    });
    return button;
  };
  theme.addEventListener('change', () => void render());
  const dirty = () => source.value !== diagram.source;
  source.addEventListener('input', () => {
    save.disabled = !dirty();
    status.textContent = dirty() ? 'Unsaved changes' : 'Saved';
    window.clearTimeout(timer);
    timer = window.setTimeout(() => void render(), PREVIEW_DEBOUNCE_MS);
  });
  const doSave = async () => {
    if (!dirty()) return;
    save.disabled = true;
    status.textContent = 'Saving…';
    showError(saveError, null);
    try {
      diagram = await api<Diagram>('PATCH', `/diagrams/${diagram.id}`, { source: source.value });
      status.textContent = dirty() ? 'Unsaved changes' : 'Saved';
      typeChip.textContent = diagram.diagram_type;
      toast('Diagram saved');
    } catch (error) {
      status.textContent = 'Not saved';
      showError(saveError, error);
    } finally {
      save.disabled = !dirty();
    }
  };
  save.addEventListener('click', () => void doSave());
  // Closing or reloading the tab with unsaved changes asks first (the browser's own prompt).
  const warn = (event: BeforeUnloadEvent) => {
    if (!context.current()) window.removeEventListener('beforeunload', warn);
    else if (dirty()) event.preventDefault();
  };
  window.addEventListener('beforeunload', warn);
  source.addEventListener('keydown', (event) => {
    if ((event.ctrlKey || event.metaKey) && event.key === 's') {
      event.preventDefault();
      void doSave();
    }
  });
  share.addEventListener('click', () => {
    dialog({
      title: 'Share this diagram',
      body: [h('p', {}, 'Publish a public link to the saved diagram. Revoke it any time from Shares.')],
      submitLabel: 'Create link',
      submit: async () => shareReceipt(await api<Share>('POST', '/share', { diagram_id: diagram.id }), diagram.name),
    });
  });

  const format = context.settings.formats.find((f) => f.id === diagram.source_format)?.label ?? diagram.source_format;
  view.replaceChildren(
    h('div', { class: 'page-head' },
      h('a', { class: 'button ghost', href: diagram.folder_id ? `#/diagrams?folder=${diagram.folder_id}` : '#/diagrams' }, '← Diagrams'),
      h('h1', {}, diagram.name),
      h('span', { class: 'chip' }, format),
      typeChip,
      h('span', { class: 'spacer' }),
      status,
      share,
      save,
    ),
    saveError,
    h('div', { class: 'editor-grid' },
      h('section', { class: 'panel', 'aria-labelledby': 'source-title' }, h('div', { class: 'panel-head' }, h('h2', { id: 'source-title' }, 'Source'), h('span', { class: 'spacer' }), h('span', { class: 'status' }, 'Ctrl+S saves')), source),
      h('section', { class: 'panel', 'aria-labelledby': 'preview-title' }, h('div', { class: 'panel-head' }, h('h2', { id: 'preview-title' }, 'Preview'), busy, h('span', { class: 'spacer' }), themes.length ? theme : null), previewError, stage),
    ),
  );
  source.focus();
  await render();
}

