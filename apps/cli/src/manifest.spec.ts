import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbedManifest, MANIFEST_NAME } from './manifest';

describe("embed's manifest of the images it wrote", () => {
  let folder: string;
  const write = (name: string, text: string) => {
    writeFileSync(join(folder, name), text);
    return Buffer.from(text);
  };
  beforeEach(() => {
    folder = join(mkdtempSync(join(tmpdir(), 'flowsmith-manifest-')), 'guide.diagrams');
    mkdirSync(folder);
  });
  afterEach(() => rmSync(join(folder, '..'), { recursive: true, force: true }));

  it('prunes only images it wrote, unchanged, that no document mentions any more', async () => {
    const manifest = await EmbedManifest.load(folder);
    manifest.wrote('aaaaaaaaaaaa.svg', 'guide.md', write('aaaaaaaaaaaa.svg', '<svg>old</svg>'));
    manifest.wrote('bbbbbbbbbbbb.svg', 'guide.md', write('bbbbbbbbbbbb.svg', '<svg>kept</svg>'));
    manifest.wrote('cccccccccccc.svg', 'guide.md', write('cccccccccccc.svg', '<svg>mine</svg>'));
    write('cccccccccccc.svg', '<svg>edited by hand</svg>');
    write('dddddddddddd.svg', '<svg>a file embed never wrote</svg>');
    await manifest.save();

    const text = '![mermaid diagram](guide.diagrams/bbbbbbbbbbbb.svg)';
    const reloaded = await EmbedManifest.load(folder);
    expect(await reloaded.prune('guide.md', text, true)).toEqual({ removed: [join(folder, 'aaaaaaaaaaaa.svg')], kept: [join(folder, 'cccccccccccc.svg')] });
    expect(existsSync(join(folder, 'aaaaaaaaaaaa.svg'))).toBe(true);

    expect(await reloaded.prune('guide.md', text, false)).toEqual({ removed: [join(folder, 'aaaaaaaaaaaa.svg')], kept: [join(folder, 'cccccccccccc.svg')] });
    await reloaded.save();
    expect(existsSync(join(folder, 'aaaaaaaaaaaa.svg'))).toBe(false);
    expect(readFileSync(join(folder, 'cccccccccccc.svg'), 'utf8')).toBe('<svg>edited by hand</svg>');
    expect(existsSync(join(folder, 'dddddddddddd.svg'))).toBe(true);
    expect(Object.keys(JSON.parse(readFileSync(join(folder, MANIFEST_NAME), 'utf8')).images)).toEqual(['bbbbbbbbbbbb.svg']);
  });

  it('keeps an image another document still shows, and removes itself and its empty folder at the end', async () => {
    const manifest = await EmbedManifest.load(folder);
    manifest.wrote('aaaaaaaaaaaa.svg', 'guide.md', write('aaaaaaaaaaaa.svg', '<svg/>'));
    await manifest.claim('aaaaaaaaaaaa.svg', 'guide.mdx');
    expect((await manifest.prune('guide.md', '', false)).removed).toEqual([]);
    expect(existsSync(join(folder, 'aaaaaaaaaaaa.svg'))).toBe(true);
    expect((await manifest.prune('guide.mdx', '', false)).removed).toEqual([join(folder, 'aaaaaaaaaaaa.svg')]);
    await manifest.save();
    expect(existsSync(folder)).toBe(false);
  });

  it('refuses a manifest it cannot read, naming the file', async () => {
    writeFileSync(join(folder, MANIFEST_NAME), '{ not json');
    await expect(EmbedManifest.load(folder)).rejects.toThrow(`${join(folder, MANIFEST_NAME)} is not the manifest embed writes`);
  });
});
