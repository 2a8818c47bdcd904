// Runs the Khronos glTF validator over the files named on the command line and prints one
// JSON report: [{file, errors, warnings, messages}], messages being the validator's issues.
// The pytest side decides what fails; this script only exits non-zero if it cannot run.
import { readFile } from "node:fs/promises";
import { basename } from "node:path";
import validator from "gltf-validator";

const reports = [];
for (const file of process.argv.slice(2)) {
  const bytes = new Uint8Array(await readFile(file));
  try {
    const report = await validator.validateBytes(bytes, {
      uri: basename(file),
      maxIssues: 100,
      // Uploads must be self-contained: an external file is an error, never fetched.
      externalResourceFunction: (uri) => Promise.reject(`external resource ${uri}`),
    });
    reports.push({
      file,
      errors: report.issues.numErrors,
      warnings: report.issues.numWarnings,
      messages: report.issues.messages,
    });
  } catch (error) {
    // Rejected: not recognisable as glTF or GLB at all.
    reports.push({ file, errors: 1, warnings: 0, messages: [{ code: "UNREADABLE", message: String(error) }] });
  }
}
console.log(JSON.stringify(reports, null, 2));
