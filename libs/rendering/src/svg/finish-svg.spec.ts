import { resizeFinished } from './finish-svg';

describe('resizeFinished (render options width, height)', () => {
  const finished = { svg: '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 200 100" width="200" height="100" xml:space="preserve"><rect/></svg>', width: 200, height: 100 };

  it('keeps the aspect for a width or a height alone, and fits inside both', () => {
    expect(resizeFinished(finished, 400)).toMatchObject({ width: 400, height: 200 });
    expect(resizeFinished(finished, undefined, 50)).toMatchObject({ width: 100, height: 50 });
    expect(resizeFinished(finished, 300, 300)).toMatchObject({ width: 300, height: 150 });
    expect(resizeFinished(finished, 300, 60)).toMatchObject({ width: 120, height: 60 });
  });

  it('changes the root size and keeps the viewBox, so the drawing scales as a whole', () => {
    const { svg } = resizeFinished(finished, 400);
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg" viewBox="0 0 200 100" width="400" height="200" xml:space="preserve"><rect\/><\/svg>$/);
    expect(resizeFinished(finished)).toBe(finished);
  });
});
