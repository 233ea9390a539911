#include "code/code_problem.h"

#include <algorithm>
#include <array>
#include <limits>

#include "core/error.h"
#include "io/json_fields.h"
#include "io/json_parse.h"

namespace tpt::code {

using nlohmann::json;

namespace {

struct VerdictName {
  CodeVerdict verdict;
  const char* key;
  const char* words;
};

constexpr std::array<VerdictName, 8> kVerdicts{{
    {CodeVerdict::Accepted, "accepted", "accepted"},
    {CodeVerdict::WrongAnswer, "wrong_answer", "wrong answer"},
    {CodeVerdict::RuntimeError, "runtime_error", "runtime error"},
    {CodeVerdict::TimeLimit, "time_limit", "time limit"},
    {CodeVerdict::MemoryLimit, "memory_limit", "memory limit"},
    {CodeVerdict::OutputLimit, "output_limit", "output limit"},
    {CodeVerdict::SyntaxError, "syntax_error", "syntax error"},
    {CodeVerdict::NoCode, "no_code", "no code"},
}};

const std::string& string_field(const json& j, const char* key, const std::string& where) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_string()) throw Error(where + "." + key + ": expected a string");
  return it->get_ref<const std::string&>();
}

}  // namespace

const char* to_string(CodeVerdict verdict) {
  for (const auto& v : kVerdicts)
    if (v.verdict == verdict) return v.key;
  return "?";
}

const char* describe(CodeVerdict verdict) {
  for (const auto& v : kVerdicts)
    if (v.verdict == verdict) return v.words;
  return "?";
}

std::optional<CodeVerdict> parse_code_verdict(std::string_view text) {
  for (const auto& v : kVerdicts)
    if (text == v.key) return v.verdict;
  return std::nullopt;
}

std::size_t CodeSpec::public_count() const {
  return static_cast<std::size_t>(
      std::count_if(tests.begin(), tests.end(), [](const TestCase& t) { return t.kind == "public"; }));
}

json CodeSpec::to_json() const {
  json tests_json = json::array();
  for (const auto& t : tests) tests_json.push_back({{"input", t.input}, {"output", t.output}, {"kind", t.kind}});
  json j{{"tests", std::move(tests_json)}};
  if (time_limit_s > 0) j["time_limit_s"] = time_limit_s;
  if (memory_limit_bytes > 0) j["memory_limit_bytes"] = memory_limit_bytes;
  return j;
}

CodeSpec CodeSpec::from_json(const json& j) {
  if (!j.is_object()) throw Error("code tests: expected a JSON object with \"tests\"");
  auto it = j.find("tests");
  if (it == j.end() || !it->is_array()) throw Error("code tests: \"tests\" must be an array");
  CodeSpec spec;
  for (std::size_t i = 0; i < it->size(); ++i) {
    const json& t = (*it)[i];
    const std::string where = "tests[" + std::to_string(i) + "]";
    if (!t.is_object()) throw Error(where + ": expected an object {input, output}");
    TestCase test;
    test.input = string_field(t, "input", where);
    test.output = string_field(t, "output", where);
    if (t.contains("kind")) test.kind = string_field(t, "kind", where);
    if (test.kind != "public" && test.kind != "private" && test.kind != "generated")
      throw Error(where + ".kind: \"" + test.kind.substr(0, 40) + "\" is not public, private or generated");
    spec.tests.push_back(std::move(test));
  }
  // Public tests first whatever order the JSON had them in: "public tests pass" relies on it.
  std::stable_partition(spec.tests.begin(), spec.tests.end(), [](const TestCase& t) { return t.kind == "public"; });
  if (auto t = j.find("time_limit_s"); t != j.end()) {
    if (!t->is_number() || t->get<double>() < 0) throw Error("time_limit_s: expected a number >= 0");
    spec.time_limit_s = t->get<double>();
  }
  if (auto m = j.find("memory_limit_bytes"); m != j.end()) {
    if (!m->is_number_integer() || m->get<std::int64_t>() < 0)
      throw Error("memory_limit_bytes: expected an integer >= 0");
    spec.memory_limit_bytes = m->get<std::int64_t>();
  }
  return spec;
}

bool CodeSpec::is_spec(std::string_view gold) {
  // A math gold never starts with '{' followed by one of a spec's keys (GSM8K answers are
  // numbers or worked solutions), so the first bytes decide without parsing. Any of the keys,
  // not only "tests": to_json() writes them sorted, so a spec with a memory limit starts with
  // "memory_limit_bytes".
  std::size_t i = 0;
  while (i < gold.size() && (gold[i] == ' ' || gold[i] == '\n' || gold[i] == '\t' || gold[i] == '\r')) ++i;
  if (i == gold.size() || gold[i] != '{') return false;
  ++i;
  while (i < gold.size() && (gold[i] == ' ' || gold[i] == '\n' || gold[i] == '\t' || gold[i] == '\r')) ++i;
  const std::string_view rest = gold.substr(i);
  for (std::string_view key : {"\"tests\"", "\"memory_limit_bytes\"", "\"time_limit_s\""})
    if (rest.substr(0, key.size()) == key) return true;
  return false;
}

CodeSpec CodeSpec::parse(std::string_view gold) {
  json j;
  try {
    j = io::parse_json_bounded(gold);
  } catch (const json::exception& e) {
    throw Error(std::string("code tests: not valid JSON: ") + e.what());
  }
  return from_json(j);
}

json CodeJudgement::to_json() const {
  json tests_json = json::array();
  for (const auto& t : tests)
    tests_json.push_back({{"index", t.index},
                          {"verdict", code::to_string(t.verdict)},
                          {"actual", t.actual},
                          {"message", t.message},
                          {"seconds", t.seconds},
                          {"exit_code", t.exit_code}});
  json j{{"verdict", code::to_string(verdict)},
         {"passed", passed},
         {"run", run},
         {"total", total},
         {"public_total", public_total},
         {"public_passed", public_passed},
         {"program", program},
         {"message", message},
         {"sandboxed", sandboxed},
         {"tests", std::move(tests_json)}};
  if (first_failure) j["first_failure"] = *first_failure;
  return j;
}

namespace {

// Every field goes through the field reader: a stored judgement is the engine's own JSON, but a
// damaged one ("passed": 1e20, "index": "2") must be refused with its path, never converted with
// undefined behaviour.
CodeJudgement judgement_from_json(const json& j) {
  if (!j.is_object()) throw Error("code judgement: expected a JSON object");
  std::vector<FieldIssue> issues;
  auto verdict_of = [](io::JsonObjectReader& o, CodeVerdict& out) {
    const json* v = o.child("verdict");
    if (!v || !v->is_string()) {
      o.fail("verdict", v ? "must be a string, got " + io::describe_json(*v) : std::string("missing"));
      return;
    }
    const std::string& name = v->get_ref<const std::string&>();
    if (auto verdict = parse_code_verdict(name)) out = *verdict;
    else o.fail("verdict", "unknown verdict \"" + name.substr(0, 40) + "\"");
  };
  const io::IntRange counts{0, std::numeric_limits<int>::max()};
  CodeJudgement c;
  io::JsonObjectReader r(j, "judgement", issues);
  verdict_of(r, c.verdict);
  r.integer("passed", c.passed, counts);
  r.integer("run", c.run, counts);
  r.integer("total", c.total, counts);
  r.integer("public_total", c.public_total, counts);
  r.integer("public_passed", c.public_passed, counts);
  if (r.has("first_failure")) {
    int first = 0;
    r.integer("first_failure", first, counts);
    c.first_failure = first;
  }
  r.string("program", c.program);
  r.string("message", c.message);
  r.boolean("sandboxed", c.sandboxed);
  if (const json* tests = r.child("tests"); tests && !tests->is_array()) {
    r.fail("tests", "must be an array, got " + io::describe_json(*tests));
  } else if (tests) {
    for (std::size_t i = 0; i < tests->size(); ++i) {
      io::JsonObjectReader t((*tests)[i], io::json_path(r.child_path("tests"), i), issues);
      TestOutcome o;
      t.integer("index", o.index, counts);
      verdict_of(t, o.verdict);
      t.string("actual", o.actual);
      t.string("message", o.message);
      t.number("seconds", o.seconds, {0.0});
      t.integer("exit_code", o.exit_code);
      c.tests.push_back(std::move(o));
    }
  }
  io::throw_if_issues("code judgement", std::move(issues));
  return c;
}

}  // namespace

CodeJudgement CodeJudgement::from_json(const json& j) {
  // value() and get() throw nlohmann's type_error for a field of the wrong type ("passed": "2");
  // a damaged stored judgement is reported as the engine's own error, as documented.
  try {
    return judgement_from_json(j);
  } catch (const json::exception& e) {
    throw Error(std::string("code judgement: ") + e.what());
  }
}

}  // namespace tpt::code
