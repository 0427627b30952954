#!/usr/bin/env node
// validate-k8s.js FILE.yaml...: validates every Kubernetes object in the
// given (multi-document) YAML files against the Kubernetes API schemas,
// offline, from npm packages (tests/package.json):
//   1. kubernetes-models: the OpenAPI schema of each kind (types, required
//      fields, enums, formats), through its compiled validators;
//   2. TypeScript, over the same objects typed with kubernetes-models'
//      interfaces: fields the API does not know (a typo such as
//      "readonly: true" that the API server would drop or refuse) are errors,
//      which the OpenAPI schemas alone do not catch.
//   3. the CRDs of CRD_PACKAGES (PrometheusRule) the same two ways, from
//      their packages' CRD schemas.
// Prints one line per problem ("FILE: Kind/name: message") and a summary;
// exits 1 when any object fails, 2 on a usage error.
'use strict';

const fs = require('fs');
const path = require('path');
const YAML = require('yaml');
const ts = require('typescript');

const modelsRoot = path.dirname(require.resolve('kubernetes-models/package.json'));

// Custom resources the charts may render, and the npm package (of the
// kubernetes-models family) that holds their CRD schemas.
const CRD_PACKAGES = {
  'monitoring.coreos.com': '@kubernetes-models/prometheus-operator',
};

// "apps/v1" + "StatefulSet" -> "kubernetes-models/apps/v1/StatefulSet";
// "monitoring.coreos.com/v1" + "PrometheusRule" -> the CRD package's model.
function modelPath(apiVersion, kind) {
  const group = apiVersion.includes('/') ? apiVersion.split('/')[0] : '';
  const pkg = CRD_PACKAGES[group] || 'kubernetes-models';
  return `${pkg}/${apiVersion}/${kind}`;
}

function loadDocs(files) {
  const docs = [];
  for (const file of files) {
    const text = fs.readFileSync(file, 'utf8');
    // YAML 1.1, as Kubernetes and Helm read it (0440 is octal there).
    for (const d of YAML.parseAllDocuments(text, { version: '1.1' })) {
      if (d.errors.length) throw new Error(`${file}: ${d.errors[0].message}`);
      const obj = d.toJS();
      if (obj === null || obj === undefined) continue;
      docs.push({ file, obj });
    }
  }
  return docs;
}

function label(doc) {
  const o = doc.obj;
  return `${path.basename(doc.file)}: ${o.kind || '?'}/${(o.metadata && o.metadata.name) || '?'}`;
}

function schemaCheck(docs, problems) {
  for (const doc of docs) {
    const { apiVersion, kind } = doc.obj;
    if (!apiVersion || !kind) {
      problems.push(`${label(doc)}: no apiVersion or kind`);
      continue;
    }
    let Model;
    try {
      Model = require(modelPath(apiVersion, kind))[kind];
    } catch (e) {
      problems.push(`${label(doc)}: ${apiVersion} ${kind} is not a Kubernetes API kind`);
      continue;
    }
    try {
      new Model(doc.obj).validate();
    } catch (e) {
      problems.push(`${label(doc)}: ${e.message}`);
    }
  }
}

// One TypeScript program over all objects; excess-property and type errors
// are reported against the object they belong to.
function typeCheck(docs, problems) {
  const lines = [];
  const owner = []; // line index -> doc
  const imports = new Map();
  docs.forEach((doc, i) => {
    const { apiVersion, kind } = doc.obj;
    if (!apiVersion || !kind) return;
    let resolved;
    try {
      resolved = require.resolve(modelPath(apiVersion, kind));
    } catch (e) {
      return; // reported by schemaCheck
    }
    const iface = `I${kind}`;
    const alias = `T_${apiVersion.replace(/[^A-Za-z0-9]/g, '_')}_${kind}`;
    imports.set(alias, `import type { ${iface} as ${alias} } from ${JSON.stringify(resolved.replace(/\.js$/, ''))};`);
    const body = JSON.stringify(doc.obj, null, 1).split('\n');
    body[0] = `const doc${i}: ${alias} = ${body[0]}`;
    body[body.length - 1] += ';';
    for (const l of body) {
      lines.push(l);
      owner.push(doc);
    }
  });
  const header = [...imports.values()];
  const source = header.concat(lines).join('\n') + '\nexport {};\n';
  const fileName = path.join(modelsRoot, '..', '.validate-k8s-input.ts');
  const options = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    target: ts.ScriptTarget.ES2020,
    module: ts.ModuleKind.CommonJS,
    moduleResolution: ts.ModuleResolutionKind.Node10,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const readFile = host.readFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  host.readFile = (f) => (f === fileName ? source : readFile(f));
  host.fileExists = (f) => f === fileName || fileExists(f);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (f, lang, onError, create) =>
    f === fileName ? ts.createSourceFile(f, source, lang, true) : getSourceFile(f, lang, onError, create);
  const program = ts.createProgram([fileName], options, host);
  const diags = ts.getPreEmitDiagnostics(program);
  for (const d of diags) {
    const msg = ts.flattenDiagnosticMessageText(d.messageText, '\n').split('\n').slice(-1)[0].trim();
    if (d.file && d.file.fileName === fileName && d.start !== undefined) {
      const { line } = d.file.getLineAndCharacterOfPosition(d.start);
      const idx = line - header.length;
      const doc = owner[idx];
      const where = doc ? label(doc) : 'input';
      const text = idx >= 0 && idx < lines.length ? lines[idx].trim() : '';
      problems.push(`${where}: ${msg} (at ${text})`);
    } else {
      problems.push(`typescript: ${msg}`);
    }
  }
}

function main(argv) {
  if (argv.length === 0) {
    process.stderr.write('usage: validate-k8s.js FILE.yaml...\n');
    return 2;
  }
  const docs = loadDocs(argv);
  const problems = [];
  schemaCheck(docs, problems);
  typeCheck(docs, problems);
  for (const p of problems) process.stdout.write(`${p}\n`);
  const files = new Set(docs.map((d) => d.file)).size;
  process.stdout.write(`validate-k8s: ${docs.length} objects in ${files} files, ${problems.length} problems\n`);
  return problems.length ? 1 : 0;
}

process.exitCode = main(process.argv.slice(2));
