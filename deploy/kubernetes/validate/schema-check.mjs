// Checks Kubernetes manifests against the OpenAPI-derived JSON schemas that the npm package
// kubernetes-models ships (types, required fields, enums, formats). It does not flag unknown field
// names (those schemas allow extra properties): StrictFields.java does that.
//   node schema-check.mjs FILE.yaml...   (with kubernetes-models and yaml resolvable, see validate.sh)
import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";

let failed = 0;
for (const file of process.argv.slice(2)) {
  for (const doc of parseAllDocuments(readFileSync(file, "utf8"))) {
    if (doc.errors.length) {
      console.log(`${file}: YAML error: ${doc.errors[0].message}`);
      failed++;
      continue;
    }
    const obj = doc.toJS();
    if (obj == null) continue;
    const name = `${obj.kind}/${obj.metadata?.name}`;
    const slash = (obj.apiVersion ?? "").indexOf("/");
    const path = slash < 0 ? obj.apiVersion : `${obj.apiVersion.slice(0, slash)}/${obj.apiVersion.slice(slash + 1)}`;
    try {
      const { [obj.kind]: Model } = await import(`kubernetes-models/${path}/${obj.kind}`);
      new Model(obj).validate();
      console.log(`${file}: ${name} (${obj.apiVersion}) matches the schema`);
    } catch (e) {
      failed++;
      console.log(`${file}: ${name} (${obj.apiVersion}) INVALID: ${e.message}`);
    }
  }
}
process.exit(failed ? 1 : 0);
