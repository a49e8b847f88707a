import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { MAX_SOURCE_BYTES, type RenderFailure } from '@flowsmith/contracts';
import type { EngineResult } from '../engine';
import { positionOf } from '../source-position';
import { diagramXml, readGraph } from './bpmn-graph';
import { layoutGraph } from './bpmn-layout';
import { childrenOf, namespacesOf, type XmlChild, type XmlNode } from './bpmn-xml';

const BPMN_MODEL_NAMESPACE = 'http://www.omg.org/spec/BPMN/20100524/MODEL';
const BPMN_DI_NAMESPACE = 'http://www.omg.org/spec/BPMN/20100524/DI';

/** Start tags a source may hold: a 100 KB diagram with full DI has about 3,000. */
export const MAX_BPMN_ELEMENTS = 5000;
/** Nesting depth; real diagrams stay under 20, and bpmn-js recurses into nested subprocesses. */
export const MAX_BPMN_DEPTH = 100;

/** The BPMN element the document draws, named as in the model. */
export type BpmnDiagramType = 'bpmn:process' | 'bpmn:collaboration' | 'bpmn:choreography';

export interface BpmnSource {
  diagramType: BpmnDiagramType;
  /** What bpmn-js imports: the source, or without DI (no BPMNDiagram with shapes) the source with a laid-out diagram added (bpmn-layout.ts). */
  xml: string;
}

const failed = (message: string, line?: number, column?: number): { ok: false; error: RenderFailure } => ({
  ok: false,
  error: { code: 'parse_failed', message, ...(line ? { line } : {}), ...(column ? { column } : {}) },
});

/** Why a document without DI cannot be laid out, or null when it can. */
function layoutObstacle(choreography: boolean, collaborations: XmlChild[], processes: XmlChild[]): string | null {
  if (choreography) return 'it holds a choreography, which has no automatic layout';
  if (collaborations.length > 1) return `it has ${collaborations.length} collaborations, and one diagram shows one`;
  if (!collaborations.length && processes.length > 1) return `it has ${processes.length} processes and no collaboration that places them as pools`;
  return null;
}

/**
 * The document with `diagram` added as the root's last child: before the root's end tag, found by
 * stepping back over the comments, processing instructions and white space that may follow it.
 */
function withDiagram(source: string, diagram: string): string {
  let end = source.length;
  for (;;) {
    const tail = source.slice(0, end).trimEnd();
    end = tail.length;
    if (tail.endsWith('-->')) end = tail.lastIndexOf('<!--');
    else if (tail.endsWith('?>')) end = tail.lastIndexOf('<?');
    else break;
  }
  const at = source.lastIndexOf('</', end);
  return source.slice(0, at) + diagram + source.slice(at);
}

const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@', ignoreDeclaration: true, ignorePiTags: true, parseTagValue: false, parseAttributeValue: false, processEntities: false, maxNestedTags: MAX_BPMN_DEPTH });

/**
 * Checks a BPMN source in Node, before it reaches the browser: no DTD (XXE, entity expansion),
 * within the size and element bounds, well-formed, and a BPMN 2.0 `definitions` document. Then
 * tells its diagram type, and lays out a document without DI (its one process, or its
 * collaboration's pools with their lanes and message flows).
 */
export function inspectBpmn(source: string): EngineResult<BpmnSource> {
  const bytes = Buffer.byteLength(source, 'utf8');
  if (bytes > MAX_SOURCE_BYTES) return failed(`The BPMN source is ${Math.ceil(bytes / 1024)} KB; the limit is ${MAX_SOURCE_BYTES / 1024} KB.`);

  const dtd = /<!\s*(DOCTYPE|ENTITY)/i.exec(source);
  if (dtd) {
    const { line, column } = positionOf(source, dtd.index);
    return failed(
      `BPMN sources may not declare a document type or entities (<!${dtd[1].toUpperCase()}> at line ${line}, column ${column}): they are refused to rule out external entities and entity expansion.`,
      line,
      column,
    );
  }

  const elements = source.match(/<[A-Za-z_]/g)?.length ?? 0;
  if (elements > MAX_BPMN_ELEMENTS) return failed(`The BPMN source has ${elements} XML elements; the limit is ${MAX_BPMN_ELEMENTS}.`);

  const valid = XMLValidator.validate(source);
  if (valid !== true) {
    const { msg, line, col } = valid.err;
    return failed(`The source is not well-formed XML (line ${line}${col ? `, column ${col}` : ''}): ${msg}`, line, col || undefined);
  }

  let tree: XmlNode;
  try {
    tree = parser.parse(source) as XmlNode;
  } catch {
    // The validator has passed the document, so the one way the parser fails is its depth bound.
    return failed(`The BPMN source nests elements more than ${MAX_BPMN_DEPTH} deep; that is the limit.`);
  }
  const [root] = childrenOf(tree, {});
  if (!root) return failed('The source is not BPMN 2.0: it has no root element.');
  if (root.local !== 'definitions' || root.namespace !== BPMN_MODEL_NAMESPACE) {
    return failed(`The source is not BPMN 2.0: its root element is <${root.name}>, where a <definitions> element in the BPMN 2.0 model namespace (${BPMN_MODEL_NAMESPACE}) was expected.`);
  }

  const children = childrenOf(root.node, namespacesOf(root.node));
  const model = (local: string) => children.filter((child) => child.namespace === BPMN_MODEL_NAMESPACE && child.local === local);
  const choreographies = model('choreography');
  const collaborations = model('collaboration');
  const processes = model('process');
  const kind = choreographies.length ? 'choreography' : collaborations.length ? 'collaboration' : processes.length ? 'process' : null;
  if (!kind) return failed('The BPMN document has no process, collaboration or choreography to draw.');
  if (kind === 'choreography' && !collaborations.length && !processes.length) {
    return failed('The BPMN document holds only a choreography, which bpmn-js cannot draw; processes and collaborations render.');
  }

  const hasDi = children.some(
    (child) =>
      child.namespace === BPMN_DI_NAMESPACE &&
      child.local === 'BPMNDiagram' &&
      childrenOf(child.node, {}).some((plane) => plane.local === 'BPMNPlane' && childrenOf(plane.node, {}).length > 0),
  );
  const diagramType: BpmnDiagramType = `bpmn:${kind}`;
  if (hasDi) return { ok: true, value: { diagramType, xml: source } };

  const obstacle = layoutObstacle(choreographies.length > 0, collaborations, processes);
  const graph = obstacle ?? readGraph(collaborations, processes);
  if (typeof graph === 'string') {
    return failed(`The BPMN ${kind} has no diagram layout (no BPMN DI shapes) and cannot be laid out automatically: ${graph}. Export the diagram from a BPMN modeler with its layout.`);
  }
  return { ok: true, value: { diagramType, xml: withDiagram(source, diagramXml(graph, layoutGraph(graph))) } };
}
