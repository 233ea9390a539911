// The parity test's input set: every GSM8K test question and answer, then the hand-written
// tricky strings. Writes inputs.json (an array) and inputs.jsonl (one JSON string per line,
// the form `tpt tokenize --json` reads).
//   node build_inputs.js GSM8K_TEST.jsonl TRICKY.json OUT_DIR
"use strict";
const fs = require("fs");
const path = require("path");
const [gsm8kPath, trickyPath, outDir] = process.argv.slice(2);
const inputs = [];
for (const line of fs.readFileSync(gsm8kPath, "utf8").split("\n")) {
  if (!line.trim()) continue;
  const problem = JSON.parse(line);
  inputs.push(problem.question, problem.answer);
}
const gsm8kCount = inputs.length;
inputs.push(...JSON.parse(fs.readFileSync(trickyPath, "utf8")));
fs.writeFileSync(path.join(outDir, "inputs.json"), JSON.stringify(inputs));
fs.writeFileSync(path.join(outDir, "inputs.jsonl"), inputs.map((s) => JSON.stringify(s)).join("\n") + "\n");
console.log(`inputs: ${gsm8kCount} GSM8K strings + ${inputs.length - gsm8kCount} tricky strings`);
