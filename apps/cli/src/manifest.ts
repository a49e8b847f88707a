import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, rm, rmdir, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The file in an images folder (`README.diagrams/`) that lists what `embed` wrote there. */
export const MANIFEST_NAME = '.flowsmith.json';

interface Entry {
  /** The Markdown files (names in the folder's parent) whose blocks this image shows. */
  documents: string[];
  /** Of the bytes written, so an image someone has since replaced is theirs and never deleted. */
  sha256: string;
}

interface ManifestFile {
  about: string;
  images: Record<string, Entry>;
}

export interface PruneResult {
  /** Images deleted (or, on a check, that would be). */
  removed: string[];
  /** Images embed wrote that were changed since: left in place, and no longer listed. */
  kept: string[];
}

function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * Which images of a folder `embed` wrote, for whom: `--prune` deletes only images listed here,
 * unchanged since, that no document listed for them mentions any more (docs/cli.md, "Pruning").
 * Several documents can share a folder (`guide.md`, `guide.mdx`) and an image (the same block).
 */
export class EmbedManifest {
  private changed = false;

  private constructor(
    private readonly folder: string,
    private readonly images: Record<string, Entry>,
  ) {}

  static async load(folder: string): Promise<EmbedManifest> {
    const path = join(folder, MANIFEST_NAME);
    if (!existsSync(path)) return new EmbedManifest(folder, {});
    let parsed: ManifestFile;
    try {
      parsed = JSON.parse(await readFile(path, 'utf8')) as ManifestFile;
    } catch (error) {
      throw new Error(`${path} is not the manifest embed writes (${(error as Error).message}); fix or delete it`);
    }
    return new EmbedManifest(folder, parsed.images ?? {});
  }

  /** Records an image just written for a document. */
  wrote(name: string, document: string, data: Uint8Array): void {
    const documents = this.images[name]?.documents ?? [];
    this.images[name] = { documents: documents.includes(document) ? documents : [...documents, document], sha256: sha256(data) };
    this.changed = true;
  }

  /**
   * Records an image a document shows under embed's marker (named by its block's hash) that is not
   * listed yet: one written before manifests existed, or for another document first.
   */
  async claim(name: string, document: string): Promise<void> {
    const entry = this.images[name];
    if (entry?.documents.includes(document)) return;
    if (entry) entry.documents.push(document);
    else this.images[name] = { documents: [document], sha256: sha256(await readFile(join(this.folder, name))) };
    this.changed = true;
  }

  /**
   * Lets go of the images listed for `document` that its text no longer mentions, and deletes each
   * one no other document holds, when its bytes are still the ones embed wrote. `dryRun` only says.
   */
  async prune(document: string, text: string, dryRun: boolean): Promise<PruneResult> {
    const result: PruneResult = { removed: [], kept: [] };
    for (const [name, entry] of Object.entries(this.images)) {
      if (!entry.documents.includes(document) || text.includes(name)) continue;
      if (entry.documents.length > 1) {
        if (!dryRun) entry.documents = entry.documents.filter((other) => other !== document);
      } else {
        const path = join(this.folder, name);
        const present = existsSync(path);
        const ours = present && sha256(await readFile(path)) === entry.sha256;
        if (ours) result.removed.push(path);
        else if (present) result.kept.push(path);
        if (!dryRun) {
          if (ours) await unlink(path);
          delete this.images[name];
        }
      }
      if (!dryRun) this.changed = true;
    }
    return result;
  }

  /** Writes the manifest if it changed; an empty one is removed, and the folder with it if nothing else is there. */
  async save(): Promise<void> {
    if (!this.changed) return;
    const path = join(this.folder, MANIFEST_NAME);
    if (!Object.keys(this.images).length) {
      await rm(path, { force: true });
      await rmdir(this.folder).catch(() => undefined);
      return;
    }
    const sorted = Object.fromEntries(Object.entries(this.images).sort(([a], [b]) => a.localeCompare(b)));
    const file: ManifestFile = { about: 'Images written by `flowsmith embed`: --prune deletes only these, and only while unchanged (docs/cli.md).', images: sorted };
    await writeFile(path, `${JSON.stringify(file, null, 2)}\n`);
  }
}
