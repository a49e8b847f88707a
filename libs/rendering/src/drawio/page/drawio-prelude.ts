/// <reference lib="dom" />
/**
 * Globals mxClient reads as it loads: no resource bundles or style sheets to fetch. Runs before
 * mxClient, bundled by esbuild into its own IIFE script (drawio-page-script.ts).
 */
const globals = window as unknown as Record<string, unknown>;
globals.mxBasePath = '.';
globals.mxImageBasePath = '.';
globals.mxLoadResources = false;
globals.mxLoadStylesheets = false;
globals.mxForceIncludes = false;
globals.mxResourceExtension = '.txt';

export {};
