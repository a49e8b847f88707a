import { THEME_DEFINITIONS, themePalette } from '../themes';
import { ThreadPool } from '../thread/thread-pool';

describe('graphviz draw (in a script thread)', () => {
  const pool = new ThreadPool({ threads: 1 });
  afterAll(() => pool.close());
  const soon = () => ({ runMs: 20_000 });

  it('draws a digraph in the theme', async () => {
    const result = await pool.draw('graphviz', 'digraph G { a -> b }', themePalette(THEME_DEFINITIONS.dark), soon());
    if (!result.ok) throw new Error(result.error.message);
    expect(result.value.diagramType).toBe('digraph');
    expect(result.value.svg).toContain('<svg');
  });

  it('says where a syntax error is', async () => {
    const result = await pool.draw('graphviz', 'digraph G {\n a -> \n', themePalette(THEME_DEFINITIONS.light), soon());
    expect(result).toMatchObject({ ok: false, error: { code: 'parse_failed' } });
  });

  // The engine's own limit runs from when a thread takes the source, as a page's does: a source
  // queued behind a slow one is not cut short by the time it waited; a slow one is stopped.
  it('times a source from when a thread takes it, and stops one that passes its limit', async () => {
    const one = new ThreadPool({ threads: 1 });
    try {
      const big = `digraph { ${Array.from({ length: 70 }, (_, i) => `n${i} -> n${(i * 7 + 3) % 70}; n${i} -> n${(i * 13 + 5) % 70};`).join(' ')} }`;
      const light = themePalette(THEME_DEFINITIONS.light);
      // How long the big graph takes here, now (Graphviz loaded first): the limits below are fractions of it.
      await one.draw('graphviz', 'digraph { warm }', light, { runMs: 60_000 });
      const started = Date.now();
      expect((await one.draw('graphviz', big, light, { runMs: 60_000 })).ok).toBe(true);
      const took = Date.now() - started;
      const slow = one.draw('graphviz', `${big}\n// again`, light, { runMs: 60_000 });
      const queued = Date.now();
      const limit = Math.max(20, Math.floor(took / 2));
      const small = await one.draw('graphviz', 'digraph { a -> b }', light, { runMs: limit });
      expect(small.ok).toBe(true);
      expect(Date.now() - queued).toBeGreaterThan(limit);
      await slow;
      expect(await one.draw('graphviz', `${big}\n// once more`, light, { runMs: Math.max(5, Math.floor(took / 4)) })).toMatchObject({ ok: false, error: { code: 'render_timeout' } });
      // A caller's deadline counts the queue too.
      expect(await one.draw('graphviz', `${big}\n// last`, light, { runMs: 60_000, deadline: Date.now() + Math.max(5, Math.floor(took / 4)) })).toMatchObject({ ok: false, error: { code: 'render_timeout' } });
    } finally {
      await one.close();
    }
  });
});

