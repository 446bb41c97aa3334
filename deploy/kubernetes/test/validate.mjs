// Renders each kustomization of deploy/kubernetes (`kubectl kustomize`) and validates its objects offline:
//   1. against the Kubernetes and prometheus-operator schemas (kubernetes-models, @kubernetes-models/...),
//   2. for unknown fields, which those schemas let through: every key of every object must be a property
//      of the model's type, recursively (read from the models' TypeScript declarations).
//   3. the DaemonSet's promises (docs/deploy.md): node's network and pids, no privilege escalation, read-only
//      root, every capability dropped but exactly those its overlay needs (OVERLAYS), uid 0 only to hold
//      them, /proc read-only, a memory limit, probes on /-/ready and /-/healthy, tolerating every taint.
// Usage: node validate.mjs [OVERLAY...]                 render and validate these overlays (default: all)
//        node validate.mjs --overlay OVERLAY FILE.yaml...  validate objects already rendered from OVERLAY
//        node validate.mjs --list                        print the overlays; fails if a kustomization under
//                                                        deploy/kubernetes has no entry in OVERLAYS
// Exits 1 and names each problem when one is found.
import { readFileSync, existsSync, readdirSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { dirname, resolve, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";

const here = dirname(fileURLToPath(import.meta.url));
const modules = join(here, "node_modules");
const kustomizations = resolve(here, "..");

// Overlay -> its directory under deploy/kubernetes and what its DaemonSet must hold: exactly these added
// capabilities (every other one dropped; none means a non-root uid) and these environment variables.
const OVERLAYS = {
  default: { dir: ".", caps: [], env: {} },
  base: { dir: "base", caps: [], env: {} },
  // Reading other users' /proc/PID/fd (deploy/kubernetes/attribution/kustomization.yaml).
  attribution: { dir: "attribution", caps: ["DAC_READ_SEARCH", "SYS_PTRACE"], env: { CONNMON_ATTRIBUTION: "on" } },
  // Naming each namespace (/proc/PID/ns/net) and entering it with setns (deploy/kubernetes/netns/kustomization.yaml).
  netns: { dir: "netns", caps: ["SYS_ADMIN", "SYS_PTRACE"], env: { CONNMON_NETNS: "all" } },
};

// apiVersion/kind -> [module path of the model, class name]
const MODELS = {
  "v1/Namespace": ["kubernetes-models/v1/Namespace", "Namespace"],
  "v1/Service": ["kubernetes-models/v1/Service", "Service"],
  "v1/ServiceAccount": ["kubernetes-models/v1/ServiceAccount", "ServiceAccount"],
  "v1/ConfigMap": ["kubernetes-models/v1/ConfigMap", "ConfigMap"],
  "v1/Secret": ["kubernetes-models/v1/Secret", "Secret"],
  "apps/v1/DaemonSet": ["kubernetes-models/apps/v1/DaemonSet", "DaemonSet"],
  "monitoring.coreos.com/v1/ServiceMonitor": ["@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor", "ServiceMonitor"],
};

// ------------------------------------------------------------------ declarations -> known keys
// A type is {kind: "object", members: Map<name, type>} | {kind: "array", of} | {kind: "map", of} | {kind: "leaf"}.
const LEAF = { kind: "leaf" };
const fileCache = new Map();

function declarationFile(spec, fromFile) {
  let base = spec.startsWith(".") ? resolve(dirname(fromFile), spec) : join(modules, spec);
  base = base.replace(/\.js$/, "");
  for (const candidate of [base + ".d.ts", join(base, "index.d.ts")]) {
    if (existsSync(candidate)) return candidate;
  }
  throw new Error(`cannot find the declaration of ${spec} (from ${fromFile})`);
}

// The split of a type body at depth 0 on a separator character.
function splitTop(text, sep) {
  const parts = [];
  let depth = 0, start = 0, quote = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) { if (c === quote && text[i - 1] !== "\\") quote = null; continue; }
    if (c === '"' || c === "'") quote = c;
    else if ("{<([".includes(c)) depth++;
    else if ("}>)]".includes(c)) depth--;
    else if (c === sep && depth === 0) { parts.push(text.slice(start, i)); start = i + 1; }
  }
  parts.push(text.slice(start));
  return parts.map((p) => p.trim()).filter((p) => p.length > 0);
}

function parseMembers(body, ctx) {
  const members = new Map();
  for (const m of splitTop(body, ";")) {
    const match = /^"([^"]+)"\??\s*:\s*([\s\S]+)$/.exec(m) || /^([A-Za-z_$][\w$]*)\??\s*:\s*([\s\S]+)$/.exec(m);
    if (!match) throw new Error(`cannot read member "${m}" in ${ctx.file}`);
    members.set(match[1], () => parseType(match[2].trim(), ctx));
  }
  return { kind: "object", members };
}

function parseType(t, ctx) {
  const union = splitTop(t, "|");
  if (union.length > 1) {
    const typed = union.map((u) => parseType(u, ctx)).filter((u) => u.kind !== "leaf");
    return typed.length === 1 ? typed[0] : LEAF;
  }
  let m;
  if ((m = /^Array<([\s\S]+)>$/.exec(t))) return { kind: "array", of: () => parseType(m[1].trim(), ctx) };
  if (t.endsWith("[]")) return { kind: "array", of: () => parseType(t.slice(0, -2).trim(), ctx) };
  if (t.startsWith("{")) {
    const body = t.slice(1, -1).replace(/\/\*[\s\S]*?\*\//g, "").trim();
    if ((m = /^\[\s*\w+\s*:\s*string\s*\]\s*:\s*([\s\S]+?);?$/.exec(body))) {
      return { kind: "map", of: () => parseType(m[1].trim(), ctx) };
    }
    return parseMembers(body, ctx);
  }
  if (/^[A-Za-z_$][\w$]*$/.test(t) && ctx.imports.has(t)) return typeOfFile(ctx.imports.get(t)());
  return LEAF; // string, number, boolean, literals, aliases such as IntOrString
}

function typeOfFile(file) {
  if (fileCache.has(file)) return fileCache.get(file);
  const src = readFileSync(file, "utf8").replace(/\/\*[\s\S]*?\*\//g, "");
  const imports = new Map();
  for (const im of src.matchAll(/import\s*\{([^}]*)\}\s*from\s*"([^"]+)"/g)) {
    for (const name of im[1].split(",").map((s) => s.trim()).filter(Boolean)) {
      imports.set(name.split(/\s+as\s+/).pop(), () => declarationFile(im[2], file));
    }
  }
  const head = /export interface \w+(?:\s+extends\s+[\w,\s<>]+)?\s*\{/.exec(src);
  let type = LEAF;
  if (head) {
    let depth = 1, i = head.index + head[0].length;
    const start = i;
    for (; i < src.length && depth > 0; i++) {
      if (src[i] === "{") depth++;
      else if (src[i] === "}") depth--;
    }
    const placeholder = { kind: "object", members: new Map() };
    fileCache.set(file, placeholder); // recursive types (JSONSchemaProps) refer to themselves
    type = parseMembers(src.slice(start, i - 1), { file, imports });
    placeholder.members = type.members;
    type = placeholder;
  }
  fileCache.set(file, type);
  return type;
}

function unknownFields(value, type, path, out) {
  if (value === null || value === undefined) return;
  if (type.kind === "array") {
    if (Array.isArray(value)) value.forEach((v, i) => unknownFields(v, type.of(), `${path}[${i}]`, out));
  } else if (type.kind === "map") {
    if (typeof value === "object") for (const [k, v] of Object.entries(value)) unknownFields(v, type.of(), `${path}.${k}`, out);
  } else if (type.kind === "object") {
    if (typeof value !== "object" || Array.isArray(value)) return; // the schema check reports wrong types
    for (const [k, v] of Object.entries(value)) {
      const member = type.members.get(k);
      if (!member) out.push(`${path}.${k}: unknown field`);
      else unknownFields(v, member(), `${path}.${k}`, out);
    }
  }
}

// ------------------------------------------------------------------ the DaemonSet's promises
function daemonSetPolicy(ds, overlay) {
  const out = [];
  const expect = (ok, what) => { if (!ok) out.push(`policy: ${what}`); };
  const pod = ds.spec?.template?.spec ?? {};
  expect(pod.hostNetwork === true, "hostNetwork: true (the node's sockets)");
  expect(pod.hostPID === true, "hostPID: true (the node's pids)");
  expect((pod.tolerations ?? []).some((t) => t.operator === "Exists" && !t.key && !t.effect), "a toleration of every taint");
  const volumes = new Map((pod.volumes ?? []).map((v) => [v.name, v]));
  for (const c of pod.containers ?? []) {
    const sc = c.securityContext ?? {};
    const caps = sc.capabilities ?? {};
    expect(sc.allowPrivilegeEscalation === false, `${c.name}: allowPrivilegeEscalation: false`);
    expect(sc.privileged !== true, `${c.name}: not privileged`);
    expect(sc.readOnlyRootFilesystem === true, `${c.name}: readOnlyRootFilesystem: true`);
    expect((caps.drop ?? []).includes("ALL"), `${c.name}: capabilities drop ALL`);
    const added = [...(caps.add ?? [])].sort();
    const want = [...overlay.caps].sort();
    expect(added.join() === want.join(),
      `${c.name}: adds exactly the capabilities the overlay needs [${want.join(", ")}] (adds [${added.join(", ")}])`);
    const runAsUser = sc.runAsUser ?? pod.securityContext?.runAsUser;
    const runAsNonRoot = sc.runAsNonRoot ?? pod.securityContext?.runAsNonRoot;
    if (want.length === 0) {
      expect(runAsNonRoot === true && runAsUser !== 0, `${c.name}: runs as non-root (runAsNonRoot: true, uid not 0)`);
    }
    for (const [k, v] of Object.entries(overlay.env)) {
      const got = (c.env ?? []).find((e) => e.name === k)?.value;
      expect(got === v, `${c.name}: ${k}=${v} (got ${got})`);
    }
    expect(Boolean(c.resources?.limits?.memory), `${c.name}: a memory limit`);
    expect(c.readinessProbe?.httpGet?.path === "/-/ready", `${c.name}: readiness probe on /-/ready`);
    expect(c.livenessProbe?.httpGet?.path === "/-/healthy", `${c.name}: liveness probe on /-/healthy`);
    const procMount = (c.volumeMounts ?? []).find((m) => volumes.get(m.name)?.hostPath?.path === "/proc");
    expect(procMount?.readOnly === true, `${c.name}: the node's /proc mounted read-only`);
    const procRoot = (c.env ?? []).find((e) => e.name === "CONNMON_PROC_ROOT")?.value;
    expect(procMount && procRoot === procMount.mountPath, `${c.name}: CONNMON_PROC_ROOT is that mount`);
    const tmp = (c.volumeMounts ?? []).find((m) => m.mountPath === "/tmp");
    expect(tmp && volumes.get(tmp.name)?.emptyDir, `${c.name}: a writable emptyDir at /tmp`);
  }
  return out;
}

// ------------------------------------------------------------------ main
// The directories under deploy/kubernetes that hold a kustomization.
function kustomizationDirs() {
  const dirs = existsSync(join(kustomizations, "kustomization.yaml")) ? ["."] : [];
  for (const e of readdirSync(kustomizations, { withFileTypes: true })) {
    if (e.isDirectory() && existsSync(join(kustomizations, e.name, "kustomization.yaml"))) dirs.push(e.name);
  }
  return dirs.sort();
}

function uncovered() {
  const known = new Set(Object.values(OVERLAYS).map((o) => o.dir));
  return kustomizationDirs().filter((d) => !known.has(d));
}

function render(overlay) {
  const dir = join(kustomizations, OVERLAYS[overlay].dir);
  try {
    return execFileSync("kubectl", ["kustomize", dir], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  } catch (e) {
    const why = e.code === "ENOENT" ? "kubectl not found" : (e.stderr || e.message).trim();
    throw new Error(`kubectl kustomize ${dir}: ${why}`);
  }
}

// The problems of one overlay's rendered objects (printed as they are found); -1 when no object was found.
async function validate(overlay, label, text) {
  let problems = 0, checked = 0, daemonSets = 0;
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) { console.log(`${label}: YAML: ${doc.errors[0].message}`); problems++; continue; }
    const obj = doc.toJSON();
    if (obj === null) continue;
    const key = `${obj.apiVersion}/${obj.kind}`;
    const name = `${label}: ${key} ${obj.metadata?.namespace ? obj.metadata.namespace + "/" : ""}${obj.metadata?.name}`;
    const entry = MODELS[key];
    if (!entry) { console.log(`${name}: no model known for ${key}`); problems++; continue; }
    const Model = (await import(entry[0]))[entry[1]];
    try {
      new Model(obj).validate();
    } catch (e) {
      console.log(`${name}: schema: ${e.message}`);
      problems++;
      continue;
    }
    const unknown = [];
    unknownFields(obj, typeOfFile(declarationFile(entry[0], join(modules, "x"))), "", unknown);
    if (obj.kind === "DaemonSet") { daemonSets++; unknown.push(...daemonSetPolicy(obj, OVERLAYS[overlay])); }
    for (const u of unknown) { console.log(`${name}: ${u}`); problems++; }
    if (unknown.length === 0) console.log(`${name}: valid, no unknown field${obj.kind === "DaemonSet" ? ", policy kept" : ""}`);
    checked++;
  }
  if (checked === 0 && problems === 0) { console.log(`${label}: no objects found`); return 1; }
  if (daemonSets !== 1) { console.log(`${label}: ${daemonSets} DaemonSets, expected one`); problems++; }
  return problems;
}

function usage(why) {
  console.error(`validate.mjs: ${why}`);
  console.error(`usage: node validate.mjs [OVERLAY...] | --overlay OVERLAY FILE.yaml... | --list  (overlays: ${Object.keys(OVERLAYS).join(", ")})`);
  process.exit(2);
}

const args = process.argv.slice(2);
if (args[0] === "--list") {
  const missing = uncovered();
  for (const d of missing) console.error(`deploy/kubernetes/${d}: a kustomization with no expected policy in validate.mjs (OVERLAYS)`);
  console.log(Object.keys(OVERLAYS).join("\n"));
  process.exit(missing.length > 0 ? 1 : 0);
}
let problems = 0;
if (args[0] === "--overlay") {
  const overlay = args[1];
  if (!OVERLAYS[overlay]) usage(`unknown overlay: ${overlay}`);
  if (args.length < 3) usage("--overlay needs an overlay and at least one rendered file");
  for (const file of args.slice(2)) problems += await validate(overlay, `${overlay} (${file})`, readFileSync(file, "utf8"));
} else {
  for (const a of args) if (!OVERLAYS[a]) usage(`unknown overlay: ${a}`);
  if (args.length === 0) {
    for (const d of uncovered()) {
      console.log(`deploy/kubernetes/${d}: a kustomization with no expected policy in validate.mjs (OVERLAYS)`);
      problems++;
    }
  }
  for (const overlay of args.length > 0 ? args : Object.keys(OVERLAYS)) {
    let text;
    try { text = render(overlay); } catch (e) { console.log(`${overlay}: ${e.message}`); problems++; continue; }
    problems += await validate(overlay, overlay, text);
  }
}
process.exit(problems > 0 ? 1 : 0);
