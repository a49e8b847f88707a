// Validates Kubernetes documents against the OpenAPI schemas compiled into `kubernetes-models`
// (and `@kubernetes-models/keda` for KEDA's kinds). Both packages are ESM only, which Jest's
// CommonJS run cannot load, so manifests.spec.ts runs this file with plain Node:
//   stdin  [{ "id": "...", "doc": { apiVersion, kind, ... } }, ...]
//   stdout [{ "id": "...", "error": null | "why it is invalid" }, ...]
// A kind without a schema here is an error, so a new kind cannot slip through unchecked.

/** The module of a kind's model class: core `v1` → kubernetes-models/v1/Kind, `apps/v1` → kubernetes-models/apps/v1/Kind. */
function modulePath(apiVersion, kind) {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  const pkg = group === 'keda.sh' || group === 'eventing.keda.sh' ? '@kubernetes-models/keda' : 'kubernetes-models';
  return `${pkg}/${group ? `${group}/` : ''}${version}/${kind}`;
}

async function validate({ id, doc }) {
  if (!doc || typeof doc !== 'object' || typeof doc.apiVersion !== 'string' || typeof doc.kind !== 'string') {
    return { id, error: 'not a Kubernetes object (apiVersion and kind must be strings)' };
  }
  let Model;
  try {
    Model = (await import(modulePath(doc.apiVersion, doc.kind)))[doc.kind];
  } catch {
    return { id, error: `no schema for ${doc.apiVersion} ${doc.kind}` };
  }
  if (typeof Model !== 'function') return { id, error: `no schema for ${doc.apiVersion} ${doc.kind}` };
  try {
    new Model(doc).validate();
    return { id, error: null };
  } catch (error) {
    return { id, error: error instanceof Error ? error.message : String(error) };
  }
}

let input = '';
for await (const chunk of process.stdin) input += chunk;
const results = await Promise.all(JSON.parse(input).map(validate));
process.stdout.write(JSON.stringify(results));
