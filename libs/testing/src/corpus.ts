import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LANGUAGES, SOURCE_FORMATS, type SourceFormat } from '@flowsmith/contracts';

/**
 * The rendering corpus: libs/rendering/test/corpus/<language>/, sources and a labels.json each, for
 * the gateway's suites (libs/rendering/test/corpus.ts reads it the same way for the rendering suites,
 * which may not import this library).
 */
export const CORPUS_DIR = join(__dirname, '../../rendering/test/corpus');

/**
 * The corpus directories (libs/rendering/test/corpus/<format>/), one per language of
 * libs/contracts/src/languages.ts, and what their sources end with: a registered language without
 * a corpus fails the suites that read it, instead of going untested.
 */
export const CORPUS_FORMATS: Array<{ format: SourceFormat; extension: RegExp }> = SOURCE_FORMATS.map((format) => ({
  format,
  extension: new RegExp(`(${LANGUAGES[format].extensions.map((ext) => ext.replace(/\./g, '\\.')).join('|')})$`),
}));

/** Languages whose engine draws text as outlines (TikZ's glyphs are paths, so no font is needed): their labels cannot be read back as text. */
export const TEXT_AS_OUTLINES: ReadonlySet<SourceFormat> = new Set<SourceFormat>(['tikz']);

/** Every source file of one format's corpus directory, sorted by name, with its labels (labels.json). */
export function corpusFiles(format: SourceFormat, extension: RegExp): Array<{ file: string; source: string; labels: string[] }> {
  const dir = join(CORPUS_DIR, format);
  const labels = JSON.parse(readFileSync(join(dir, 'labels.json'), 'utf8')) as Record<string, string[]>;
  return readdirSync(dir)
    .filter((file) => extension.test(file))
    .sort()
    .map((file) => ({ file, source: readFileSync(join(dir, file), 'utf8'), labels: labels[file] ?? [] }));
}
