import { MERMAID_DIAGRAM_TYPES } from './diagram-types';
import { MERMAID_PATCHES, PatchMismatchError } from './page-script';

export interface PatchCheck {
  name: string;
  kind: 'speed' | 'label';
  ok: boolean;
  message?: string;
}

export interface BundleCheck {
  patches: PatchCheck[];
  /** Every diagram detector the bundle registers lazily (mermaid's diagram-orchestration.ts). */
  detectors: string[];
  /** Detectors that diagram-types.ts does not name: their diagram type would reach clients raw. */
  unnamedDetectors: string[];
}

/**
 * The detector ids of a minified mermaid bundle: each diagram's `{id, detector, loader}` plugin
 * object, its id a string literal or a variable assigned one just before.
 */
export function bundleDetectorIds(bundle: string): string[] {
  const ids = new Set<string>();
  for (const plugin of bundle.matchAll(/\{id:(?:"([^"]+)"|([\w$]+)),detector:[\w$]+,loader:[\w$]+\}/g)) {
    if (plugin[1]) {
      ids.add(plugin[1]);
      continue;
    }
    // Minified names are reused across scopes: the id is the nearest assignment before the object.
    const name = plugin[2].replace(/\$/g, '\\$');
    const before = bundle.slice(Math.max(0, (plugin.index ?? 0) - 4000), plugin.index);
    const literal = [...before.matchAll(new RegExp(`(?:var |let |const |,|;)${name}="([^"]+)"`, 'g'))].pop();
    if (literal) ids.add(literal[1]);
  }
  return [...ids].sort();
}

/**
 * What scripts/check-mermaid-patches.mjs reports for a mermaid bundle (docs/mermaid.md,
 * "Upgrading mermaid"): each patch of MERMAID_PATCHES tried on its own against the bundle as
 * shipped, and the detectors that diagram-types.ts does not name.
 */
export function checkMermaidBundle(bundle: string): BundleCheck {
  const patches = MERMAID_PATCHES.map((patch): PatchCheck => {
    try {
      patch.apply(bundle);
      return { name: patch.name, kind: patch.kind, ok: true };
    } catch (error) {
      if (!(error instanceof PatchMismatchError)) throw error;
      return { name: patch.name, kind: patch.kind, ok: false, message: error.message };
    }
  });
  const detectors = bundleDetectorIds(bundle);
  return { patches, detectors, unnamedDetectors: detectors.filter((id) => !Object.hasOwn(MERMAID_DIAGRAM_TYPES, id)) };
}
