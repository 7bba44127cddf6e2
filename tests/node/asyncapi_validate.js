// Parses an AsyncAPI document (YAML or JSON) with the official parser, @asyncapi/parser, and prints
// one JSON object: the parser's version, every diagnostic (severity error|warning|info|hint, code,
// message, JSON path, line) and, when the document parsed, what the parser found in it.
// Usage: NODE_PATH=<prefix>/node_modules node asyncapi_validate.js FILE
const fs = require('fs');
const path = require('path');
const { Parser } = require('@asyncapi/parser');

const SEVERITY = ['error', 'warning', 'info', 'hint'];

function parserVersion() {
  const main = require.resolve('@asyncapi/parser');
  let dir = path.dirname(main);
  while (!fs.existsSync(path.join(dir, 'package.json'))) dir = path.dirname(dir);
  return JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')).version;
}

function summary(document) {
  if (!document) return null;
  const ids = (collection) => collection.all().map((item) => item.id()).sort();
  return {
    asyncapi: document.version(),
    servers: Object.fromEntries(document.servers().all().map((s) => [s.id(), s.protocol()])),
    channels: Object.fromEntries(document.channels().all().map((c) => [c.id(), c.address()])),
    operations: Object.fromEntries(document.operations().all().map((o) => [o.id(), o.action()])),
    messages: ids(document.components().messages()),
  };
}

async function main() {
  const file = process.argv[2];
  const text = fs.readFileSync(file, 'utf8');
  const { document, diagnostics } = await new Parser().parse(text, { source: path.resolve(file) });
  const out = {
    parser: parserVersion(),
    diagnostics: diagnostics.map((d) => ({
      severity: SEVERITY[d.severity] || String(d.severity),
      code: d.code,
      message: d.message,
      path: (d.path || []).join('/'),
      line: d.range ? d.range.start.line + 1 : null,
    })),
    document: summary(document),
  };
  process.stdout.write(JSON.stringify(out) + '\n');
}

main().catch((error) => {
  process.stderr.write(`${error && error.stack ? error.stack : error}\n`);
  process.exit(2);
});
