// Compares our ids with the reference's and checks that ours decode back to the input.
//   node compare.js NAME INPUTS.json REFERENCE.json OURS.jsonl DECODED.jsonl TOKENIZER.json
// A tokenizer whose normalizer is NFC legitimately changes text (Qwen: "e" + U+0301 comes back
// as "é"), so its round trip is checked against the NFC-normalized input. Exit status 1 when
// anything differs.
"use strict";
const fs = require("fs");
const [name, inputsPath, referencePath, oursPath, decodedPath, tokenizerPath] = process.argv.slice(2);
const normalizer = JSON.parse(fs.readFileSync(tokenizerPath, "utf8")).normalizer;
const normalization = normalizer && normalizer.type === "NFC" ? "NFC" : "none";
if (normalizer && normalizer.type !== "NFC") {
  console.error(`${name}: normalizer ${normalizer.type}: teach compare.js what it does to text`);
  process.exit(1);
}
const inputs = JSON.parse(fs.readFileSync(inputsPath, "utf8"));
const reference = JSON.parse(fs.readFileSync(referencePath, "utf8"));
const readLines = (p) => fs.readFileSync(p, "utf8").split("\n").filter((l) => l.length).map((l) => JSON.parse(l));
const ours = readLines(oursPath);
const decoded = readLines(decodedPath);
if (reference.length !== inputs.length || ours.length !== inputs.length || decoded.length !== inputs.length) {
  console.error(`${name}: count mismatch: ${inputs.length} inputs, ${reference.length} reference, ${ours.length} ours, ${decoded.length} decoded`);
  process.exit(1);
}
const show = (s) => JSON.stringify(s.length > 80 ? s.slice(0, 77) + "..." : s);
let idMismatches = 0, roundTripFailures = 0, normalizedRoundTrips = 0, tokens = 0;
const report = [];
for (let i = 0; i < inputs.length; ++i) {
  const a = ours[i], b = reference[i];
  tokens += b.length;
  if (a.length !== b.length || a.some((v, k) => v !== b[k])) {
    ++idMismatches;
    if (report.length < 5) {
      let k = 0;
      while (k < a.length && k < b.length && a[k] === b[k]) ++k;
      report.push(`  ids differ for #${i} ${show(inputs[i])}\n    first difference at token ${k}: ours ${JSON.stringify(a.slice(k, k + 6))} reference ${JSON.stringify(b.slice(k, k + 6))}`);
    }
  }
  const expected = normalization === "NFC" ? inputs[i].normalize("NFC") : inputs[i];
  if (decoded[i] !== expected) {
    ++roundTripFailures;
    if (report.length < 10) report.push(`  decode(encode(s)) != s for #${i} ${show(inputs[i])}: got ${show(decoded[i])}`);
  } else if (expected !== inputs[i]) {
    ++normalizedRoundTrips;
  }
}
console.log(`${name}: ${inputs.length} strings (${tokens} reference tokens) compared: ${idMismatches} id mismatches, ` +
            `${roundTripFailures} round-trip failures` +
            (normalizedRoundTrips ? ` (${normalizedRoundTrips} strings come back ${normalization}-normalized, as expected)` : ""));
for (const line of report) console.log(line);
process.exit(idMismatches || roundTripFailures ? 1 : 0);
