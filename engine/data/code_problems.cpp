#include "data/code_problems.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <optional>
#include <unordered_map>

#include "code/code_problem.h"
#include "core/text.h"
#include "io/json_fields.h"
#include "io/json_parse.h"

namespace tpt::data {

using nlohmann::json;

namespace {

// ---- field access: every rejection names the field as a path ("public_tests.input[3]") ----

[[noreturn]] void reject(const std::string& field, const std::string& what) {
  throw io::RecordError("field \"" + field + "\" " + what);
}

// The value of `name`, or nullptr when it is absent or null: datasets exported from Parquet
// write null for what a hand-written line leaves out.
const json* optional_field(const json& record, const std::string& name) {
  auto it = record.find(name);
  return it == record.end() || it->is_null() ? nullptr : &*it;
}

// `path` names the field in messages when it is nested ("tests[2].output").
const std::string& required_string(const json& record, const std::string& name, const std::string& path = "") {
  const json* v = optional_field(record, name);
  const std::string& field = path.empty() ? name : path;
  if (!v) reject(field, "is missing");
  if (!v->is_string()) reject(field, "must be a string, got " + io::describe_json(*v));
  return v->get_ref<const std::string&>();
}

const std::string& statement_field(const json& record, const std::string& name) {
  const std::string& text = required_string(record, name);
  if (trim(text).empty()) reject(name, "is empty");
  return text;
}

// A dataset's own id: a string or a whole number (APPS dumps have both), else "".
std::string given_id(const json& record, const std::string& name) {
  const json* v = optional_field(record, name);
  if (!v) return "";
  if (v->is_string()) return v->get<std::string>();
  if (v->is_number_integer()) return std::to_string(v->get<long long>());
  reject(name, "must be a string or a whole number, got " + io::describe_json(*v));
}

double non_negative_number(const json& v, const std::string& field) {
  if (!v.is_number() || v.get<double>() < 0) reject(field, "must be a number >= 0, got " + io::describe_json(v));
  return v.get<double>();
}

std::int64_t memory_limit(const json& record, const std::string& name) {
  const json* v = optional_field(record, name);
  if (!v) return 0;
  if (!v->is_number_integer() || v->get<std::int64_t>() < 0)
    reject(name, "must be a whole number of bytes >= 0, got " + io::describe_json(*v));
  return v->get<std::int64_t>();
}

// A test's input or output: a string, or (APPS) a list of lines, which APPS' own harness joins
// with newlines before feeding or comparing them.
std::string test_text(const json& v, const std::string& field) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_array()) {
    std::vector<std::string> lines;
    for (std::size_t i = 0; i < v.size(); ++i) {
      if (!v[i].is_string()) reject(field + "[" + std::to_string(i) + "]", "must be a string, got " + io::describe_json(v[i]));
      lines.push_back(v[i].get<std::string>());
    }
    return join(lines, "\n");
  }
  reject(field, "must be a string, got " + io::describe_json(v));
}

// Parallel {inputs, outputs} arrays (CodeContests' {input, output}, APPS' {inputs, outputs}).
void parallel_tests(const json& holder, const std::string& path, const char* inputs_key, const char* outputs_key,
                    const char* kind, code::CodeSpec& spec) {
  const std::string in_path = path + "." + inputs_key, out_path = path + "." + outputs_key;
  const json* inputs = optional_field(holder, inputs_key);
  const json* outputs = optional_field(holder, outputs_key);
  if (!inputs && !outputs) return;
  if (!inputs || !inputs->is_array()) reject(in_path, "must be an array, got " + (inputs ? io::describe_json(*inputs) : "nothing"));
  if (!outputs || !outputs->is_array())
    reject(out_path, "must be an array, got " + (outputs ? io::describe_json(*outputs) : "nothing"));
  if (inputs->size() != outputs->size())
    reject(out_path, "has " + std::to_string(outputs->size()) + " outputs for " + std::to_string(inputs->size()) +
                         " inputs in " + in_path);
  for (std::size_t i = 0; i < inputs->size(); ++i) {
    const std::string index = "[" + std::to_string(i) + "]";
    spec.tests.push_back({test_text((*inputs)[i], in_path + index), test_text((*outputs)[i], out_path + index), kind});
  }
}

// ---- one line of each format, before the skip rules ----

struct Candidate {
  std::string id;         // the dataset's own, or ""
  std::string statement;
  std::string solution;
  code::CodeSpec spec;
  std::optional<std::pair<SkipReason, std::string>> skip;  // left out by the format's own rule
  const char* tests_where = "tests";  // the fields an empty test list was read from, for the reason
};

// CodeContests' Language enum: PYTHON3 = 3 (0 UNKNOWN, 1 PYTHON (2), 2 CPP, 4 JAVA). Names are
// accepted too, for exports that wrote the enum by name.
bool is_python3(const json& language) {
  return (language.is_number_integer() && language.get<int>() == 3) ||
         (language.is_string() && language.get<std::string>() == "PYTHON3");
}

Candidate read_codecontests(const json& r) {
  Candidate c;
  c.id = given_id(r, "name");
  c.statement = statement_field(r, "description");
  for (const char* kind : {"public", "private", "generated"}) {
    const std::string name = std::string(kind) + "_tests";
    const json* tests = optional_field(r, name);
    if (!tests) continue;
    if (!tests->is_object()) reject(name, "must be an object {input: [...], output: [...]}, got " + io::describe_json(*tests));
    parallel_tests(*tests, name, "input", "output", kind, c.spec);
  }
  c.tests_where = "public_tests, private_tests and generated_tests";
  if (const json* t = optional_field(r, "time_limit")) {
    // The Hugging Face dataset keeps the proto's Duration {seconds, nanos}; hand-made files
    // write seconds.
    if (t->is_object()) {
      const json* s = optional_field(*t, "seconds");
      const json* n = optional_field(*t, "nanos");
      c.spec.time_limit_s = (s ? non_negative_number(*s, "time_limit.seconds") : 0.0) +
                            (n ? non_negative_number(*n, "time_limit.nanos") : 0.0) / 1e9;
    } else if (t->is_number()) {
      c.spec.time_limit_s = non_negative_number(*t, "time_limit");
    } else {
      reject("time_limit", "must be {seconds, nanos} or a number of seconds, got " + io::describe_json(*t));
    }
  }
  c.spec.memory_limit_bytes = memory_limit(r, "memory_limit_bytes");
  if (const json* s = optional_field(r, "solutions")) {
    if (!s->is_object()) reject("solutions", "must be an object {language: [...], solution: [...]}, got " + io::describe_json(*s));
    const json* languages = optional_field(*s, "language");
    const json* programs = optional_field(*s, "solution");
    if (languages || programs) {
      if (!languages || !languages->is_array()) reject("solutions.language", "must be an array");
      if (!programs || !programs->is_array()) reject("solutions.solution", "must be an array");
      if (languages->size() != programs->size())
        reject("solutions.solution", "has " + std::to_string(programs->size()) + " programs for " +
                                         std::to_string(languages->size()) + " languages");
      for (std::size_t i = 0; i < languages->size(); ++i) {
        if (!is_python3((*languages)[i])) continue;
        if (!(*programs)[i].is_string())
          reject("solutions.solution[" + std::to_string(i) + "]", "must be a string, got " + io::describe_json((*programs)[i]));
        c.solution = (*programs)[i].get<std::string>();
        break;
      }
    }
  }
  return c;
}

// APPS keeps structured fields as JSON inside strings; a dump may also have decoded them.
json embedded_json(const json& v, const std::string& field) {
  if (!v.is_string()) return v;
  try {
    return io::parse_json_bounded(v.get_ref<const std::string&>());
  } catch (const json::exception& e) {
    reject(field, std::string("is not valid JSON: ") + e.what());
  }
}

Candidate read_apps(const json& r) {
  Candidate c;
  c.id = given_id(r, "problem_id");
  c.statement = statement_field(r, "question");
  c.tests_where = "input_output";
  const json* io_field = optional_field(r, "input_output");
  // APPS leaves input_output "" for problems without tests.
  if (io_field && !(io_field->is_string() && trim(io_field->get_ref<const std::string&>()).empty())) {
    const json io = embedded_json(*io_field, "input_output");
    if (!io.is_object()) reject("input_output", "must hold an object {inputs, outputs}, got " + io::describe_json(io));
    if (const json* fn = optional_field(io, "fn_name")) {
      const std::string name = fn->is_string() ? fn->get<std::string>() : fn->dump();
      c.skip = {SkipReason::CallBased,
                "call-based (fn_name " + excerpt(name, 40) + "): only stdin/stdout problems are judged"};
      return c;
    }
    parallel_tests(io, "input_output", "inputs", "outputs", "public", c.spec);
    // APPS' tests are the problem's examples and its hidden tests in one list, with no mark
    // telling them apart; all count as public, so public_only rules and Pass@k see the same tests.
  }
  if (const json* s = optional_field(r, "solutions")) {
    const json programs = embedded_json(*s, "solutions");
    if (!programs.is_array()) reject("solutions", "must hold an array of programs, got " + io::describe_json(programs));
    if (!programs.empty()) {
      if (!programs[0].is_string()) reject("solutions[0]", "must be a string, got " + io::describe_json(programs[0]));
      c.solution = programs[0].get<std::string>();
    }
  }
  return c;
}

int kind_rank(const std::string& kind) { return kind == "public" ? 0 : kind == "private" ? 1 : 2; }

Candidate read_plain(const json& r) {
  Candidate c;
  c.id = given_id(r, "id");
  c.statement = statement_field(r, "prompt");
  const json* tests = optional_field(r, "tests");
  if (!tests) reject("tests", "is missing");
  if (!tests->is_array()) reject("tests", "must be an array of {input, output}, got " + io::describe_json(*tests));
  for (std::size_t i = 0; i < tests->size(); ++i) {
    const json& t = (*tests)[i];
    const std::string where = "tests[" + std::to_string(i) + "]";
    if (!t.is_object()) reject(where, "must be an object {input, output}, got " + io::describe_json(t));
    code::TestCase test;
    test.input = required_string(t, "input", where + ".input");
    test.output = required_string(t, "output", where + ".output");
    if (const json* kind = optional_field(t, "kind")) {
      const bool known = kind->is_string() && (*kind == "public" || *kind == "private" || *kind == "generated");
      if (!known) reject(where + ".kind", "must be \"public\", \"private\" or \"generated\", got " + io::describe_json(*kind));
      test.kind = kind->get<std::string>();
    }
    c.spec.tests.push_back(std::move(test));
  }
  // Public, then private, then generated, whatever the line's order: "the public tests pass"
  // means "no test before public_count() failed" (code/code_problem.h).
  std::stable_sort(c.spec.tests.begin(), c.spec.tests.end(),
                   [](const code::TestCase& a, const code::TestCase& b) { return kind_rank(a.kind) < kind_rank(b.kind); });
  if (const json* t = optional_field(r, "time_limit_s")) c.spec.time_limit_s = non_negative_number(*t, "time_limit_s");
  c.spec.memory_limit_bytes = memory_limit(r, "memory_limit_bytes");
  if (const json* s = optional_field(r, "solution")) {
    if (!s->is_string()) reject("solution", "must be a string, got " + io::describe_json(*s));
    c.solution = s->get<std::string>();
  }
  if (const json* title = optional_field(r, "title"); title && !title->is_string())
    reject("title", "must be a string, got " + io::describe_json(*title));
  return c;
}

// Letters, digits, '.', '_' and '-' as they are; anything else (spaces, slashes, quotes) '_'.
std::string id_text(const std::string& given) {
  std::string out = given;
  for (char& ch : out)
    if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '.' && ch != '_' && ch != '-') ch = '_';
  return out;
}

// The set under construction: applies the skip rules, names and counts what it keeps.
class Collector {
 public:
  Collector(ProblemSet& set, const ProblemSetOptions& options, std::string prefix)
      : set_(set), options_(options), prefix_(std::move(prefix)) {}

  void add(long line, Candidate c) {
    if (c.skip) return skip(line, c.skip->first, c.skip->second);
    if (options_.skip_images && mentions_image(c.statement))
      return skip(line, SkipReason::Images,
                  "the statement shows an image (\"<image>\" or \"[Image]\") the model cannot see");
    if (c.spec.tests.empty()) return skip(line, SkipReason::NoTests, std::string("no tests in ") + c.tests_where);

    Problem p;
    p.line = line;
    p.question = std::move(c.statement);
    p.solution = std::move(c.solution);
    p.gold = c.spec.to_json().dump();
    const std::string own = id_text(std::string(trim(c.id)));
    p.id = own.empty() ? problem_id(prefix_, p.question, p.gold) : prefix_ + "-" + own;
    if (int& count = seen_[p.id]; ++count > 1) {
      p.id += "-" + std::to_string(count);
      ++set_.duplicate_ids;
    }
    for (const auto& t : c.spec.tests) {
      ++set_.tests.total;
      if (t.kind == "public") ++set_.tests.public_tests;
      else if (t.kind == "private") ++set_.tests.private_tests;
      else ++set_.tests.generated_tests;
    }
    set_.problems.push_back(std::move(p));
  }

 private:
  void skip(long line, SkipReason reason, const std::string& why) {
    for (auto& g : set_.skips)
      if (g.reason == reason) {
        ++g.count;
        return;
      }
    set_.skips.push_back({reason, 1, line, format_at({set_.source, line}, why)});
  }

  ProblemSet& set_;
  const ProblemSetOptions& options_;
  std::string prefix_;
  std::unordered_map<std::string, int> seen_;
};

// Malformed lines are counted by the reader; they join the other reasons in line order.
void add_malformed(ProblemSet& set) {
  if (set.report.skipped == 0) return;
  set.skips.push_back({SkipReason::Malformed, set.report.skipped, set.report.first_skipped_line,
                       set.report.problems.empty() ? std::string() : set.report.problems.front()});
  std::stable_sort(set.skips.begin(), set.skips.end(),
                   [](const SkipGroup& a, const SkipGroup& b) { return a.first_line < b.first_line; });
}

}  // namespace

const std::vector<std::string>& problem_set_formats() {
  static const std::vector<std::string> names = {"gsm8k", "codecontests", "apps", "code"};
  return names;
}

bool is_code_format(std::string_view format) { return format == "codecontests" || format == "apps" || format == "code"; }

bool mentions_image(std::string_view statement) {
  std::string lower(statement);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  return lower.find("<image>") != std::string::npos || lower.find("[image]") != std::string::npos;
}

ProblemSet load_problem_set(const std::string& path, const ProblemSetOptions& options) {
  if (options.format == "gsm8k") {
    Gsm8kOptions gsm8k;
    gsm8k.id_prefix = options.id_prefix;
    gsm8k.question_field = options.question_field;
    gsm8k.answer_field = options.answer_field;
    gsm8k.on_malformed = options.on_malformed;
    return load_gsm8k(path, gsm8k);
  }
  Candidate (*read)(const json&) = nullptr;
  if (options.format == "codecontests") read = read_codecontests;
  else if (options.format == "apps") read = read_apps;
  else if (options.format == "code") read = read_plain;
  else
    throw Error("unknown problem set format \"" + excerpt(options.format, 40) + "\" (expected " +
                quoted_list(problem_set_formats()) + ")");

  ProblemSet set;
  set.source = path;
  set.format = options.format;
  const std::string prefix =
      options.id_prefix.empty() ? std::filesystem::path(path).stem().string() : options.id_prefix;
  Collector collector(set, options, prefix);
  set.report = io::read_jsonl(path, options.on_malformed, [&](long line, const json& record) {
    if (!record.is_object()) throw io::RecordError("expected a JSON object, got " + io::describe_json(record));
    collector.add(line, read(record));
  });
  add_malformed(set);
  return set;
}

}  // namespace tpt::data
