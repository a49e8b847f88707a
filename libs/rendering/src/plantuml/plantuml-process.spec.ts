import { parseFrame, PlantumlCrashError, PlantumlOutOfMemoryError } from './plantuml-process';

describe("parseFrame: what PlantUML's pipe writes for a diagram", () => {
  it('an SVG is the diagram', () => {
    expect(parseFrame('<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"></svg>')).toEqual({ ok: true, svg: '<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"></svg>' });
  });

  it('an error report gives the line and the message', () => {
    expect(parseFrame('ERROR\n2\nSyntax Error?\n')).toEqual({ ok: false, line: 2, message: 'Syntax Error?' });
    expect(parseFrame('ERROR\nNo diagram found')).toEqual({ ok: false, line: undefined, message: 'No diagram found' });
  });

  it("PlantUML's picture of its own exception is a crash of the diagram, named", () => {
    const crash = parseFrame('<svg><text>An error has occured : java.lang.IllegalStateException: broken &amp; gone</text></svg>');
    expect(crash).toBeInstanceOf(PlantumlCrashError);
    expect((crash as PlantumlCrashError).message).toBe('PlantUML failed on this diagram with IllegalStateException: broken & gone.');
    expect(parseFrame('<svg><text>An error has occurred : java.lang.OutOfMemoryError</text></svg>')).toBeInstanceOf(PlantumlOutOfMemoryError);
  });

  it('anything else drew no SVG', () => {
    expect(parseFrame('\x89PNG...')).toEqual({ ok: false, message: 'PlantUML drew no SVG for this diagram' });
    // Text outputs (-ttxt, -tutxt): the art as it is, and errors as for SVG.
    expect(parseFrame('     ,-----.\n     |Alice|\n', 'txt')).toEqual({ ok: true, svg: '     ,-----.\n     |Alice|\n' });
    expect(parseFrame('ERROR\n1\nSyntax Error?\n', 'utxt')).toEqual({ ok: false, line: 1, message: 'Syntax Error?' });
  });
});
