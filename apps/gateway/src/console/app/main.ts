/// <reference lib="dom" />
/**
 * The console's entry point (bundled by console-bundle.ts): signs in and out, and routes the views
 * by the URL's fragment (`#/diagrams`, `#/diagrams/<id>`, `#/shares`, `#/keys`, `#/usage`), so a
 * link or a reload opens the same view. The API key is read from the sign-in field once, sent in
 * the sign-in request, and the field cleared: no storage, cookie or variable keeps it.
 */
import { api, ApiFailure, Session, setCsrfToken, whenSignedOut } from './api';
import { diagramEditor, diagramsView } from './diagrams';
import { h, showError } from './dom';
import { keysView } from './keys';
import { sharesView } from './shares';
import { usageView } from './usage';

export interface Settings {
  scopes: string[];
  formats: Array<{ id: string; label: string; sample: string }>;
}

/** What every view gets: where to draw, the session, and whether it is still the view shown. */
export interface ViewContext {
  view: HTMLElement;
  session: Session;
  settings: Settings;
  current: () => boolean;
  query: URLSearchParams;
}

const settings = JSON.parse((document.getElementById('settings') as HTMLElement).textContent ?? '{}') as Settings;
const view = document.getElementById('view') as HTMLElement;
const tabs = document.getElementById('tabs') as HTMLElement;
const who = document.getElementById('who') as HTMLElement;
const signOutButton = document.getElementById('sign-out') as HTMLButtonElement;

let session: Session | null = null;
let shown = 0;

function signedIn(next: Session | null): void {
  session = next;
  setCsrfToken(next?.csrf_token ?? null);
  tabs.hidden = !next;
  signOutButton.hidden = !next;
  who.hidden = !next;
  who.textContent = next ? `${next.key.name} · ${next.key.plan}` : '';
}

function signInView(notice?: string): void {
  shown++;
  document.title = 'Sign in · Flowsmith console';
  const errorSlot = h('div');
  const field = h('input', { id: 'api-key', name: 'api_key', type: 'password', required: true, autocomplete: 'off', spellcheck: 'false', placeholder: 'fs_live_…', 'aria-describedby': 'api-key-help' });
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Sign in');
  const form = h('form', { class: 'panel-body', 'aria-labelledby': 'signin-title' },
    h('h1', { id: 'signin-title' }, 'Sign in to the console'),
    h('p', { id: 'api-key-help' }, 'Paste an API key. It is exchanged for a session cookie and not kept by this browser.'),
    notice ? h('div', { class: 'alert', role: 'status' }, notice) : null,
    h('label', { class: 'stack', for: 'api-key' }, 'API key', field),
    errorSlot,
    submit,
    h('p', { class: 'muted' }, 'No key yet? On your own server: ', h('code', {}, 'npm run --silent key -- create'), '.'),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const apiKey = field.value.trim();
    field.value = '';
    submit.disabled = true;
    showError(errorSlot, null);
    api<Session>('POST', '/sessions', { api_key: apiKey })
      .then((created) => {
        signedIn(created);
        if (!location.hash || location.hash === '#/') location.hash = '#/diagrams';
        route();
      })
      .catch((error: unknown) => {
        showError(errorSlot, error);
        field.focus();
      })
      .finally(() => (submit.disabled = false));
  });
  view.replaceChildren(h('section', { class: 'signin panel' }, form));
  field.focus();
}

async function signOut(): Promise<void> {
  try {
    await api('DELETE', '/sessions/current');
  } catch (error) {
    // Already ended (401) is signed out all the same; anything else is worth saying.
    if (!(error instanceof ApiFailure && error.status === 401)) return void showError(view, error);
  }
  signedIn(null);
  history.replaceState(null, '', '/console');
  signInView('You are signed out.');
}

function route(): void {
  if (!session) return signInView();
  const id = ++shown;
  const [path, search = ''] = location.hash.replace(/^#\/?/, '').split('?');
  const [section, detail] = path.split('/');
  const context: ViewContext = { view, session, settings, current: () => id === shown, query: new URLSearchParams(search) };
  for (const link of tabs.querySelectorAll('a')) {
    if (link.dataset.view === (section || 'diagrams')) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  view.replaceChildren(h('p', { class: 'muted' }, 'Loading…'));
  const views: Record<string, () => Promise<void>> = {
    diagrams: () => (detail ? diagramEditor(context, decodeURIComponent(detail)) : diagramsView(context)),
    shares: () => sharesView(context),
    keys: () => keysView(context),
    usage: () => usageView(context),
  };
  (views[section] ?? views.diagrams)().catch((error: unknown) => {
    if (context.current()) showError(view, error);
  });
}

whenSignedOut(() => {
  if (!session) return;
  signedIn(null);
  signInView('Your session has ended. Sign in again.');
});
signOutButton.addEventListener('click', () => void signOut());
window.addEventListener('hashchange', route);

api<Session>('GET', '/sessions/current')
  .then((current) => {
    signedIn(current);
    route();
  })
  .catch(() => signInView());
