import { conflicts, formatOfOutputFile, globBase, isGlob, planOutputs, stem } from './paths';

describe('render output paths', () => {
  it('takes a glob base from the folders before the first wildcard', () => {
    expect(globBase('docs/**/class.mmd')).toBe('docs');
    expect(globBase('docs/diagrams/*.{mmd,puml}')).toBe('docs/diagrams');
    expect(globBase('docs/a*/b.mmd')).toBe('docs');
    expect(globBase('*.mmd')).toBe('.');
    expect(globBase('./**/*.mmd')).toBe('.');
    expect(globBase('/srv/site/**/*.mmd')).toBe('/srv/site');
    expect(globBase('/*.mmd')).toBe('/');
    expect(globBase('../shared/[ab].mmd')).toBe('../shared');
    expect(isGlob('docs/flow.mmd')).toBe(false);
    expect(isGlob('docs/{a,b}.mmd')).toBe(true);
  });

  it("names outputs after the source without its language's ending", () => {
    expect(stem('/d/flow.mmd')).toBe('flow');
    expect(stem('/d/sales.vl.json')).toBe('sales');
    expect(stem('/d/spec.vg.json')).toBe('spec');
    expect(stem('/d/notes.v2.txt')).toBe('notes.v2');
    expect(stem('/d/.mmd')).toBe('.mmd');
    expect(stem('/d/Makefile')).toBe('Makefile');
  });

  it('mirrors each input under -o at its path relative to its base', () => {
    const inputs = [
      { file: '/w/docs/class.mmd', base: '/w/docs' },
      { file: '/w/docs/sub/class.mmd', base: '/w/docs' },
      { file: '/w/docs/sub/deep/seq.puml', base: '/w/docs' },
    ];
    expect(planOutputs(inputs, 'svg', 'out', '/w').map((entry) => entry.output)).toEqual(['/w/out/class.svg', '/w/out/sub/class.svg', '/w/out/sub/deep/seq.svg']);
    expect(planOutputs(inputs, 'jpeg', '/abs/out', '/w')[0].output).toBe('/abs/out/class.jpg');
    expect(planOutputs(inputs, 'utxt', undefined, '/w').map((entry) => entry.output)).toEqual(['/w/docs/class.txt', '/w/docs/sub/class.txt', '/w/docs/sub/deep/seq.txt']);
    expect(planOutputs([{ file: '/w/a.mmd', base: '/w' }], 'png', 'build/a.png', '/w')[0].output).toBe('/w/build/a.png');
  });

  it('reads the format an output file asks for', () => {
    expect(formatOfOutputFile('a.PNG')).toBe('png');
    expect(formatOfOutputFile('a.jpg')).toBe('jpeg');
    expect(formatOfOutputFile('out/a.txt')).toBe('txt');
    expect(formatOfOutputFile('build/diagrams')).toBeUndefined();
    expect(formatOfOutputFile('build/v1.2')).toBeUndefined();
  });

  it('finds two inputs bound for one output, and an output written over an input', () => {
    const sameName = planOutputs(
      [
        { file: '/w/a.mmd', base: '/w' },
        { file: '/w/a.puml', base: '/w' },
        { file: '/w/b.mmd', base: '/w' },
      ],
      'svg',
      'out',
      '/w',
    );
    expect(conflicts(sameName)).toEqual([{ kind: 'clash', message: '/w/a.mmd and /w/a.puml would both be written to /w/out/a.svg' }]);

    const twoBases = planOutputs(
      [
        { file: '/w/en/flow.mmd', base: '/w/en' },
        { file: '/w/fr/flow.mmd', base: '/w/fr' },
        { file: '/w/de/Flow.mmd', base: '/w/de' },
      ],
      'png',
      'out',
      '/w',
    );
    expect(conflicts(twoBases, (path) => path.replace('/w/', '')).map((conflict) => conflict.message)).toEqual(['en/flow.mmd and fr/flow.mmd and de/Flow.mmd would all be written to out/flow.png']);

    const svgSource = planOutputs([{ file: '/w/logo.svg', base: '/w' }], 'svg', undefined, '/w');
    expect(conflicts(svgSource)).toEqual([{ kind: 'overwrite', message: '/w/logo.svg would be written over the input /w/logo.svg' }]);
    // An earlier run's image among the sources: flow.mmd's output is the input flow.svg.
    const rerun = planOutputs([{ file: '/w/flow.mmd', base: '/w' }, { file: '/w/flow.svg', base: '/w' }], 'svg', undefined, '/w');
    expect(conflicts(rerun).map((conflict) => conflict.kind)).toEqual(['clash', 'overwrite']);
    expect(conflicts(planOutputs([{ file: '/w/logo.svg', base: '/w' }], 'png', undefined, '/w'))).toEqual([]);
    expect(conflicts(planOutputs([{ file: '/w/a.mmd', base: '/w' }, { file: '/w/sub/a.mmd', base: '/w' }], 'svg', 'out', '/w'))).toEqual([]);
  });
});
