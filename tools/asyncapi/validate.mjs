// Parse an AsyncAPI document with the official parser (@asyncapi/parser) and print its
// diagnostics as JSON; exit 1 when any is an error, 2 when the source cannot be read.
//
//   node tools/asyncapi/validate.mjs <file | http(s) URL>
import { readFile } from 'node:fs/promises';
import { Parser, DiagnosticSeverity } from '@asyncapi/parser';

const SEVERITIES = {
  [DiagnosticSeverity.Error]: 'error',
  [DiagnosticSeverity.Warning]: 'warning',
  [DiagnosticSeverity.Information]: 'information',
  [DiagnosticSeverity.Hint]: 'hint',
};

const source = process.argv[2];
if (!source) {
  console.error('usage: node validate.mjs <file | http(s) URL>');
  process.exit(2);
}

async function read(location) {
  if (!/^https?:\/\//.test(location)) {
    return readFile(location, 'utf8');
  }
  const response = await fetch(location);
  if (!response.ok) {
    throw new Error(`HTTP ${response.status}`);
  }
  return response.text();
}

let text;
try {
  text = await read(source);
} catch (error) {
  console.error(`${source}: ${error.message}`);
  process.exit(2);
}

const output = await new Parser().parse(text, { source });
const diagnostics = output.diagnostics.map((diagnostic) => ({
  severity: SEVERITIES[diagnostic.severity] ?? String(diagnostic.severity),
  code: diagnostic.code,
  message: diagnostic.message,
  path: diagnostic.path.join('/'),
}));
const errors = diagnostics.filter((diagnostic) => diagnostic.severity === 'error').length;
const valid = output.document !== undefined && errors === 0;
console.log(JSON.stringify({ source, valid, errors, diagnostics }, null, 2));
process.exit(valid ? 0 : 1);
