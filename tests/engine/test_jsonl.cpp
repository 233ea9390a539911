// JSONL reading: every malformed line is reported as file:line: reason, under either policy.
#include <fstream>
#include <filesystem>
#include <sstream>

#include "check.h"
#include "io/json_fields.h"
#include "io/json_parse.h"
#include "io/jsonl.h"
#include "io/regular_file.h"

using tpt::io::OnMalformed;

namespace {

std::string write_file(const std::string& name, const std::string& text) {
  std::string path = tpt::testing::temp_dir() + "/" + name;
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

const char* kMixed =
    "{\"question\": \"a\", \"answer\": \"#### 1\"}\n"
    "\n"
    "{\"question\": \"b\", \"answer\": \"#### 2\"\n"  // line 3: missing brace
    "{\"question\": \"c\"}\n"                          // line 4: no answer field
    "[1, 2]\n"                                         // line 5: not an object
    "{\"question\": \"d\", \"answer\": \"#### 4\"}\r\n";

}  // namespace

TPT_TEST(jsonl, fail_policy_stops_at_the_first_bad_line_and_names_file_and_line) {
  const std::string path = write_file("mixed.jsonl", kMixed);
  VERIFY_THROWS_WITH(tpt::io::read_jsonl(path, OnMalformed::Fail, [](long, const nlohmann::json&) {}),
                     path + ":3: invalid JSON");
}

TPT_TEST(jsonl, skip_policy_counts_every_bad_line_and_keeps_the_good_ones) {
  const std::string path = write_file("mixed.jsonl", kMixed);
  std::vector<long> lines;
  auto report = tpt::io::read_jsonl(path, OnMalformed::Skip, [&](long line, const nlohmann::json& record) {
    tpt::io::require_string(record, "answer");
    lines.push_back(line);
  });
  COMPARE(lines.size(), size_t{2});
  COMPARE(lines[0], 1L);
  COMPARE(lines[1], 6L);  // a CRLF line ending is fine
  COMPARE(report.lines, 6L);
  COMPARE(report.records, 2L);
  COMPARE(report.skipped, 3L);
  COMPARE(report.problems.size(), size_t{3});
  VERIFY_CONTAINS(report.problems[0], path + ":3: invalid JSON");
  COMPARE(report.problems[1], path + ":4: missing field \"answer\"");
  VERIFY_CONTAINS(report.problems[2], path + ":5: expected a JSON object");
}

TPT_TEST(jsonl, a_missing_file_is_an_error_naming_it) {
  VERIFY_THROWS_WITH(tpt::io::read_jsonl("/nonexistent/x.jsonl", OnMalformed::Fail, [](long, const nlohmann::json&) {}),
                     "/nonexistent/x.jsonl: cannot open file");
}

TPT_TEST(jsonl, a_utf8_byte_order_mark_is_ignored) {
  long records = 0;
  tpt::io::read_jsonl_text("\xEF\xBB\xBF{\"a\": 1}\n", "bom.jsonl", OnMalformed::Fail,
                           [&](long, const nlohmann::json& v) { records += v.at("a").get<int>(); });
  COMPARE(records, 1L);
}

TPT_TEST(jsonl, a_wrongly_typed_field_is_named) {
  VERIFY_THROWS_WITH(tpt::io::read_jsonl_text("{\"answer\": 5}\n", "t.jsonl", OnMalformed::Fail,
                                              [](long, const nlohmann::json& v) { tpt::io::require_string(v, "answer"); }),
                     "t.jsonl:1: field \"answer\" must be a string, got 5");
}

TPT_TEST(jsonl, invalid_utf8_is_reported_not_crashed_on) {
  VERIFY_THROWS_WITH(tpt::io::read_jsonl_text("{\"a\": \"\xff\xfe\"}\n", "bad.jsonl", OnMalformed::Fail,
                                              [](long, const nlohmann::json&) {}),
                     "bad.jsonl:1: invalid JSON");
}

TPT_TEST(jsonl, a_line_nested_100000_levels_deep_is_a_malformed_line_not_a_crash) {
  // What a model can write as a "completion" (every recursive walk of it overflowed the stack).
  const std::string deep = "{\"completion\": " + std::string(100000, '[') + std::string(100000, ']') + ", \"answer\": \"1\"}";
  VERIFY_THROWS_WITH(tpt::io::read_jsonl_text("{\"a\": 1}\n" + deep + "\n", "deep.jsonl", OnMalformed::Fail,
                                              [](long, const nlohmann::json&) {}),
                     "deep.jsonl:2: invalid JSON: syntax error while parsing value - nested more than 512 levels deep");
  // Skipped like any malformed line, the others kept.
  long seen = 0;
  const auto report = tpt::io::read_jsonl_text("{\"a\": 1}\n" + deep + "\n{\"a\": 2}\n", "deep.jsonl", OnMalformed::Skip,
                                               [&](long, const nlohmann::json&) { ++seen; });
  COMPARE(seen, 2L);
  COMPARE(report.skipped, 1L);
  // Brackets inside strings do not count, and ordinary depth parses.
  seen = 0;
  tpt::io::read_jsonl_text("{\"text\": \"" + std::string(2000, '[') + "\", \"v\": " + std::string(100, '[') +
                               std::string(100, ']') + "}\n",
                           "ok.jsonl", OnMalformed::Fail, [&](long, const nlohmann::json&) { ++seen; });
  COMPARE(seen, 1L);
}

TPT_TEST(jsonl, a_message_quotes_only_the_start_of_a_large_value) {
  // A wrongly typed field of 200,000 numbers 20 levels deep: the message quotes 60 characters.
  nlohmann::json value = nlohmann::json::array();
  for (int i = 0; i < 200000; ++i) value.push_back(i);
  for (int i = 0; i < 20; ++i) value = nlohmann::json::array({value});
  const nlohmann::json line = {{"answer", value}};
  try {
    tpt::io::require_string(line, "answer");
    TPT_FAIL("a non-string answer was accepted");
  } catch (const std::exception& e) {
    const std::string message = e.what();
    VERIFY_CONTAINS(message, "field \"answer\" must be a string, got [[[[");
    VERIFY(message.size() < 200);
    VERIFY_CONTAINS(message, "0,1,2,3");
    VERIFY_CONTAINS(message, "...");
  }
  // Short values are quoted whole, as JSON.
  COMPARE(tpt::io::describe_json(nlohmann::json::parse(R"({"a":[1,2.5,"x"],"b":null})")),
          std::string(R"({"a":[1,2.5,"x"],"b":null})"));
  COMPARE(tpt::io::describe_json(std::string(100, 'z')), "\"" + std::string(56, 'z') + "...");
  // A long key or string cut inside a multi-byte character stays valid UTF-8 (a cut key threw
  // nlohmann's type_error out of the config reader; found by fuzz_experiment_config).
  const std::string emoji = "\xF0\x9F\x98\x80";
  const std::string key = std::string(58, 'z') + emoji + "z";
  const std::string shown = tpt::io::describe_json(nlohmann::json{{key, 1}});
  VERIFY_CONTAINS(shown, "...");
  VERIFY(nlohmann::json(shown).dump().size() > 0);  // throws on invalid UTF-8
  const std::string quoted = tpt::io::describe_json(std::string(55, 'z') + emoji + emoji);
  COMPARE(quoted, "\"" + std::string(55, 'z') + "...");
}

TPT_TEST(jsonl, a_number_too_large_for_a_double_is_a_malformed_line_like_any_other) {
  // nlohmann reports "1E400" as out_of_range, not parse_error: the readers (safetensors headers,
  // config files, `tpt serve` bodies) catch parse_error to name their file and let it escape.
  try {
    tpt::io::parse_json_bounded("{\"shape\": [1E1111]}");
    VERIFY(false);
  } catch (const nlohmann::json::parse_error& e) {
    VERIFY_CONTAINS(e.what(), "number overflow parsing '1E1111'");
    COMPARE(e.byte, size_t{12});
  }
  VERIFY_THROWS_WITH(tpt::io::read_jsonl_text("{\"a\": -1e999}\n", "big.jsonl", OnMalformed::Fail,
                                              [](long, const nlohmann::json&) {}),
                     "big.jsonl:1: invalid JSON: syntax error while parsing value - number overflow parsing '-1e999'");
}

TPT_TEST(jsonl, a_path_that_is_not_a_regular_file_is_refused_naming_what_it_is) {
  // Read as files, /dev/null is empty and a directory gives no lines: both "worked" silently.
  // (A FIFO, which blocked, is tested through the CLI, where the old behaviour can time out.)
  const auto nothing = [](long, const nlohmann::json&) {};
  VERIFY_THROWS_WITH(tpt::io::read_jsonl("/dev/null", OnMalformed::Fail, nothing),
                     "/dev/null: not a regular file (a character device)");
  const std::string dir = tpt::testing::temp_dir();
  VERIFY_THROWS_WITH(tpt::io::read_jsonl(dir, OnMalformed::Skip, nothing), dir + ": not a regular file (a directory)");
  VERIFY_THROWS_WITH(tpt::io::read_json_file("/dev/null"), "/dev/null: not a regular file (a character device)");
  VERIFY_THROWS_WITH(tpt::io::read_regular_file(dir), dir + ": not a regular file (a directory)");
  // A symbolic link to a regular file is read through.
  const std::string target = write_file("target.jsonl", "{\"a\": 1}\n");
  std::filesystem::create_symlink(target, dir + "/link.jsonl");
  long records = 0;
  tpt::io::read_jsonl(dir + "/link.jsonl", OnMalformed::Fail, [&](long, const nlohmann::json&) { ++records; });
  COMPARE(records, 1L);
}

TPT_TEST(jsonl, a_line_longer_than_64_mib_is_an_error_naming_file_and_line_under_either_policy) {
  const std::string text = "{\"a\": 1}\n" + std::string(tpt::io::kMaxLineBytes + 1, 'x') + "\n{\"a\": 2}\n";
  for (OnMalformed policy : {OnMalformed::Fail, OnMalformed::Skip}) {
    VERIFY_THROWS_WITH(tpt::io::read_jsonl_text(text, "long.jsonl", policy, [](long, const nlohmann::json&) {}),
                       "long.jsonl:2: line 2 is longer than 64 MiB");
  }
  // A line of exactly the bound is still read (and judged as JSON).
  const std::string at_bound = "\"" + std::string(tpt::io::kMaxLineBytes - 2, 'y') + "\"\n";
  long length = 0;
  tpt::io::read_jsonl_text(at_bound, "bound.jsonl", OnMalformed::Fail,
                           [&](long, const nlohmann::json& v) { length = static_cast<long>(v.get<std::string>().size()); });
  COMPARE(length, static_cast<long>(tpt::io::kMaxLineBytes - 2));
}

TPT_TEST(jsonl, the_line_reader_returns_every_line_as_getline_does) {
  // Lines around the reader's 64 KiB chunk, NUL bytes, CR, blank lines, no final newline.
  std::string text;
  std::vector<std::string> expected;
  for (size_t length : {size_t{0}, size_t{1}, size_t{65534}, size_t{65535}, size_t{65536}, size_t{65537}, size_t{200000}}) {
    expected.push_back(std::string(length, 'a'));
    text += expected.back() + "\n";
  }
  expected.push_back(std::string("nul\0inside\r", 12));
  text += expected.back() + "\n";
  expected.push_back("");
  text += "\n";
  expected.push_back("last line without a newline");
  text += expected.back();
  std::istringstream in(text);
  tpt::io::LineReader reader(in, "text");
  std::string line;
  std::vector<std::string> lines;
  while (reader.next(line)) {
    lines.push_back(line);
    COMPARE(reader.line_number(), static_cast<long>(lines.size()));
  }
  COMPARE(lines.size(), expected.size());
  for (size_t i = 0; i < lines.size(); ++i)
    if (lines[i] != expected[i]) TPT_FAIL("line " + std::to_string(i + 1) + " differs (length " + std::to_string(lines[i].size()) + ")");
  VERIFY(!reader.next(line));  // the end stays the end

  std::istringstream empty("");
  tpt::io::LineReader none(empty, "empty");
  VERIFY(!none.next(line));
  std::istringstream newline_only("\n");
  tpt::io::LineReader one(newline_only, "one");
  VERIFY(one.next(line));
  COMPARE(line, std::string());
  VERIFY(!one.next(line));

  // A small bound, for the message.
  std::istringstream wide("ok\n0123456789\n");
  tpt::io::LineReader bounded(wide, "wide.txt", 8);
  VERIFY(bounded.next(line));
  VERIFY_THROWS_WITH(bounded.next(line), "wide.txt:2: line 2 is longer than 8 bytes");
}
