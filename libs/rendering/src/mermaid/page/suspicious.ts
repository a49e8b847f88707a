/**
 * What could run or fetch in an SVG: the same patterns as the worker's final check
 * (svg/finish-svg.ts). An SVG in which none occurs has nothing for DOMPurify to remove, so the
 * costly sanitize passes (mermaid's own over the finished SVG, gated in FAST_ASSIGN_SCRIPT of
 * page-script.ts, and ours in mermaid-page.ts) run only when one does.
 */
export const SUSPICIOUS = /<\s*(script|foreignObject|iframe|object|embed|image|animate|set|handler|listener|a)\b|\son[a-z]+\s*=|javascript\s*:|(?:xlink:)?href\s*=\s*["'](?!#)|@import|url\(\s*["']?(?!#)|expression\s*\(|-moz-binding|behavior\s*:/i;
