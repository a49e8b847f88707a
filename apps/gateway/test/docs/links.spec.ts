import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { markdownSections } from './markdown';

const ROOT = join(__dirname, '../../../..');

/** The pages the docs are made of: README.md, SECURITY.md, deploy/README.md and docs/*.md. */
const PAGES = ['README.md', 'SECURITY.md', 'deploy/README.md', ...readdirSync(join(ROOT, 'docs')).filter((name) => name.endsWith('.md')).map((name) => `docs/${name}`)];

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens. */
function slug(title: string): string {
  return title
    .replace(/`/g, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

function anchorsOf(path: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const { title } of markdownSections(readFileSync(path, 'utf8'))) {
    const base = slug(title);
    const count = seen.get(base) ?? 0;
    anchors.add(count ? `${base}-${count}` : base);
    seen.set(base, count + 1);
  }
  return anchors;
}

/** Relative links that name a file missing from the repository, or a heading missing from a page. */
function brokenLinks(page: string): string[] {
  const text = readFileSync(join(ROOT, page), 'utf8').replace(/^```[\s\S]*?^```/gm, '');
  const broken: string[] = [];
  for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
    if (/^[a-z]+:/i.test(target)) continue; // http(s), mailto: outside the repository by design
    const [file, anchor] = target.split('#');
    const path = file ? join(ROOT, dirname(page), file) : join(ROOT, page);
    if (!path.startsWith(ROOT) || !existsSync(path)) broken.push(`${page}: ${target} (no such file in the repository)`);
    else if (anchor && statSync(path).isFile() && path.endsWith('.md') && !anchorsOf(path).has(anchor)) {
      broken.push(`${page}: ${target} (no heading #${anchor} in ${relative(ROOT, path)})`);
    }
  }
  return broken;
}

describe('the docs', () => {
  it.each(PAGES)('%s links only to files and headings in the repository', (page) => {
    expect(brokenLinks(page)).toEqual([]);
  });
});
