/// <reference lib="dom" />
/**
 * Building the console's DOM: elements, attributes and text only. Nothing is ever parsed from a
 * string (the page requires Trusted Types with no policy, so innerHTML would be refused anyway).
 */
import { ApiFailure } from './api';

type Child = Node | string | null | undefined | false;
type Attributes = Record<string, string | boolean | number | undefined | null | ((event: Event) => void)>;

/** `h('button', { type: 'button', onclick: go }, 'Open')`: `on*` entries become listeners, `true` an empty attribute, `style` inline styles. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attributes: Attributes = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (typeof value === 'function') element.addEventListener(name.slice(2), value);
    // Through the CSSOM: the CSP refuses style attributes (style-src-attr), not script-set styles.
    else if (name === 'style') element.style.cssText = String(value);
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  append(element, ...children);
  return element;
}

export function append(parent: Node, ...children: Child[]): void {
  for (const child of children) if (child !== null && child !== undefined && child !== false) parent.appendChild(typeof child === 'string' ? document.createTextNode(child) : child);
}

const SVG_NS = 'http://www.w3.org/2000/svg';

/** A stroked 24×24 icon from path data. */
export function icon(...paths: string[]): SVGSVGElement {
  const svg = document.createElementNS(SVG_NS, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('class', 'icon');
  svg.setAttribute('aria-hidden', 'true');
  for (const d of paths) {
    const path = document.createElementNS(SVG_NS, 'path');
    path.setAttribute('d', d);
    svg.appendChild(path);
  }
  return svg;
}

export const ICONS = {
  folder: 'M3 7a2 2 0 0 1 2-2h4l2 2h8a2 2 0 0 1 2 2v8a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2z',
  all: 'M4 6h16M4 12h16M4 18h16',
  copy: 'M9 9h10v10H9zM5 15V5h10',
};

/** An error from the API, in place: its envelope's message (and the field it names). */
export function errorBox(error: unknown): HTMLElement {
  const box = h('div', { class: 'alert', role: 'alert' });
  if (error instanceof ApiFailure) {
    append(box, h('strong', {}, error.message));
    if (error.param) append(box, ' ', h('span', { class: 'mono' }, `(${error.param})`));
  } else append(box, h('strong', {}, error instanceof Error ? error.message : String(error)));
  return box;
}

/** Replaces whatever `slot` shows with an error, or clears it. */
export function showError(slot: HTMLElement, error: unknown | null): void {
  slot.replaceChildren(...(error === null ? [] : [errorBox(error)]));
}

export function timeAgo(iso: string | null): string {
  if (!iso) return '—';
  const seconds = Math.round((Date.now() - Date.parse(iso)) / 1000);
  if (seconds < 60) return 'just now';
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 24) return `${hours} h ago`;
  return new Date(iso).toLocaleDateString(undefined, { year: 'numeric', month: 'short', day: 'numeric' });
}

let toastTimer: number | undefined;

export function toast(message: string): void {
  const element = document.getElementById('toast') as HTMLElement;
  element.textContent = message;
  element.hidden = false;
  window.clearTimeout(toastTimer);
  toastTimer = window.setTimeout(() => (element.hidden = true), 2500);
}

/** Copies text; a button says so. Falls back to a selected text area where the Clipboard API is unavailable. */
export async function copy(text: string, what: string): Promise<void> {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    const area = h('textarea', { class: 'visually-hidden', readonly: true });
    area.value = text;
    document.body.appendChild(area);
    area.select();
    document.execCommand('copy');
    area.remove();
  }
  toast(`${what} copied`);
}

export function copyButton(text: () => string, what: string, label = 'Copy'): HTMLButtonElement {
  return h('button', { type: 'button', class: 'small', 'aria-label': `Copy ${what.toLowerCase()}`, onclick: () => void copy(text(), what) }, icon(ICONS.copy), ` ${label}`);
}

/**
 * A modal dialog (native <dialog>: focus moves in, Escape closes, focus returns to the opener).
 * `submit` runs on the form's submission; an error it throws is shown in the dialog, which stays open.
 */
export function dialog(options: {
  title: string;
  body: Child[];
  submitLabel: string;
  danger?: boolean;
  submit: () => Promise<void | Child[]>;
}): HTMLDialogElement {
  const opener = document.activeElement as HTMLElement | null;
  const errorSlot = h('div');
  const submit = h('button', { type: 'submit', class: options.danger ? 'danger' : 'primary' }, options.submitLabel);
  const cancel = h('button', { type: 'button', onclick: () => element.close() }, 'Cancel');
  const titleId = `dialog-${Math.random().toString(36).slice(2)}`;
  const form = h('form', { method: 'dialog' }, h('h2', { id: titleId }, options.title), ...options.body, errorSlot, h('div', { class: 'buttons' }, cancel, submit));
  const element = h('dialog', { 'aria-labelledby': titleId }, form);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    submit.disabled = true;
    showError(errorSlot, null);
    options
      .submit()
      .then((after) => {
        if (!after) return element.close();
        // Something to show before closing (a new key's secret): the dialog becomes its receipt.
        form.replaceChildren(h('h2', { id: titleId }, options.title));
        append(form, ...after, h('div', { class: 'buttons' }, h('button', { type: 'button', class: 'primary', onclick: () => element.close() }, 'Done')));
        (form.querySelector('button') as HTMLButtonElement | null)?.focus();
      })
      .catch((error: unknown) => showError(errorSlot, error))
      .finally(() => (submit.disabled = false));
  });
  element.addEventListener('close', () => {
    element.remove();
    opener?.focus();
  });
  document.body.appendChild(element);
  element.showModal();
  return element;
}
