// Parse an AsyncAPI document with the official parser (@asyncapi/parser) and print its
// diagnostics as JSON; exit 1 when any is an error, 2 when the source cannot be read.
//
//   node tools/asyncapi/validate.mjs <file | http(s) URL>
import { Parser, fromFile, fromURL, DiagnosticSeverity } from '@asyncapi/parser';

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

const parser = new Parser();
const from = /^https?:\/\//.test(source) ? fromURL : fromFile;
let output;
try {
  output = await from(parser, source).parse();
} catch (error) {
  console.error(`${source}: ${error.message}`);
  process.exit(2);
}

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
