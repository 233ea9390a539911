// tpt tokenize: run a tokenizer.json over lines of standard input, to check a model's
// tokenizer or to compare ours with another implementation (tests/reference/tokenizers/).
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>

#include <nlohmann/json.hpp>

#include "cli/arguments.h"
#include "cli/commands.h"
#include "core/error.h"
#include "core/text.h"
#include "io/json_fields.h"
#include "io/json_parse.h"
#include "io/regular_file.h"
#include "text/tokenizer.h"

namespace tpt::cli {

static int usage() {
  std::printf(
      "usage: tpt tokenize --tokenizer PATH [--add-special-tokens] [--json]\n"
      "       tpt tokenize --tokenizer PATH --decode [--skip-special-tokens] [--json]\n\n"
      "Reads standard input line by line and writes one line per input line (a line longer\n"
      "than 64 MiB is an error).\n"
      "PATH is a tokenizer.json, or a model folder holding one.\n\n"
      "  (encode)              each line is text; prints its token ids, space-separated\n"
      "  --add-special-tokens  let the tokenizer's post-processor add its special tokens\n"
      "                        (e.g. a leading BOS); special tokens written in the text,\n"
      "                        such as <|eot_id|>, are recognised either way\n"
      "  --decode              each line is token ids; prints the text they decode to\n"
      "  --skip-special-tokens with --decode, leave special tokens out of the text\n"
      "  --json                input and output lines are JSON: a string per text line (so text\n"
      "                        can hold newlines) and an array per id line\n\n"
      "Example:\n"
      "  echo 'Janet has 3 ducks.' | tpt --quiet tokenize --tokenizer models/Qwen2.5-0.5B-Instruct\n");
  return 0;
}

// The ids of one --decode input line, checked against the vocabulary.
static std::vector<int32_t> parse_ids(const std::string& line, bool as_json, const text::Tokenizer& tok, long line_no) {
  const SourceLocation where{"<stdin>", line_no};
  std::vector<long long> values;
  if (as_json) {
    nlohmann::json doc;
    try {
      doc = io::parse_json_bounded(line);
    } catch (const nlohmann::json::parse_error&) {
      throw FileError(where, "expected a JSON array of token ids, got " + excerpt(line));
    }
    if (!doc.is_array()) throw FileError(where, "expected a JSON array of token ids, got " + excerpt(line));
    for (const auto& v : doc) {
      if (!v.is_number_integer()) throw FileError(where, "expected a token id, got " + io::describe_json(v));
      values.push_back(v.get<long long>());
    }
  } else {
    size_t pos = 0;
    while (pos < line.size()) {
      while (pos < line.size() && (line[pos] == ' ' || line[pos] == '\t' || line[pos] == '\r')) ++pos;
      if (pos >= line.size()) break;
      size_t end = pos;
      while (end < line.size() && line[end] != ' ' && line[end] != '\t' && line[end] != '\r') ++end;
      const std::string word = line.substr(pos, end - pos);
      size_t used = 0;
      long long value = 0;
      try {
        value = std::stoll(word, &used);
      } catch (const std::exception&) {
        used = 0;
      }
      if (used != word.size()) throw FileError(where, "expected a token id, got \"" + excerpt(word) + "\"");
      values.push_back(value);
      pos = end;
    }
  }
  std::vector<int32_t> ids;
  for (long long v : values) {
    if (v < 0 || static_cast<size_t>(v) >= tok.vocab_size() || !tok.id_to_token(static_cast<int32_t>(v)))
      throw FileError(where, "token id " + std::to_string(v) + " is not in the vocabulary (" +
                                 std::to_string(tok.vocab_size()) + " ids)");
    ids.push_back(static_cast<int32_t>(v));
  }
  return ids;
}

int run_tokenize(const Args& raw) {
  Arguments args(raw, {"tokenizer"}, {"add-special-tokens", "json", "decode", "skip-special-tokens", "help"});
  if (args.flag("help")) return usage();
  if (!args.positionals().empty()) throw UsageError("unexpected argument \"" + args.positionals().front() + "\"");
  std::string path = args.required("tokenizer");
  if (std::filesystem::is_directory(path)) path = (std::filesystem::path(path) / "tokenizer.json").string();
  if (!std::filesystem::exists(path)) throw UsageError("--tokenizer: no such file: " + path);
  const bool as_json = args.flag("json"), decode = args.flag("decode");
  if (!decode && args.flag("skip-special-tokens")) throw UsageError("--skip-special-tokens goes with --decode");
  if (decode && args.flag("add-special-tokens")) throw UsageError("--add-special-tokens goes with encoding, not --decode");

  const text::Tokenizer tok = text::Tokenizer::from_file(path);
  std::string line, out;
  io::LineReader lines(std::cin, "<stdin>");
  while (lines.next(line)) {
    const long line_no = lines.line_number();
    out.clear();
    if (decode) {
      const std::string text = tok.decode(parse_ids(line, as_json, tok, line_no), args.flag("skip-special-tokens"));
      out = as_json ? nlohmann::json(text).dump() : text;
    } else {
      std::string text = line;
      if (as_json) {
        nlohmann::json doc;
        try {
          doc = io::parse_json_bounded(line);
        } catch (const nlohmann::json::parse_error&) {
          doc = nullptr;
        }
        if (!doc.is_string()) throw FileError({"<stdin>", line_no}, "expected a JSON string, got " + excerpt(line));
        text = doc.get<std::string>();
      }
      std::vector<int32_t> ids;
      try {
        ids = tok.encode(text, args.flag("add-special-tokens"));
      } catch (const FileError&) {
        throw;
      } catch (const Error& e) {
        throw FileError({"<stdin>", line_no}, e.what());
      }
      if (as_json) {
        out = nlohmann::json(ids).dump();
      } else {
        for (size_t i = 0; i < ids.size(); ++i) out += (i ? " " : "") + std::to_string(ids[i]);
      }
    }
    out += '\n';
    std::fwrite(out.data(), 1, out.size(), stdout);
    // Line by line, so another program can drive tpt as a co-process.
    std::fflush(stdout);
  }
  return 0;
}

}  // namespace tpt::cli
