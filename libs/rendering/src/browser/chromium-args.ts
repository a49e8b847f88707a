/**
 * Flags for Debian's Chromium in a container: headless, no sandbox (the worker is the sandbox, and
 * the page can reach nothing), and none of Chromium's background networking, which floods a closed
 * network with connections. The raster processes add two flags (raster/draw-raster.ts).
 */
export const CHROMIUM_ARGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-default-apps',
  '--disable-extensions',
  '--no-first-run',
  '--disable-quic',
  '--mute-audio',
  '--font-render-hinting=none',
];
