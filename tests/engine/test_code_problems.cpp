// Programming problem sets: each format's fields become a problem whose gold is its tests, the
// lines the workbench cannot judge are left out with their reason and first line, malformed
// lines name file, line and field, and the shipped files hold what their README says.
#include <fstream>
#include <set>

#include "check.h"
#include "code/code_problem.h"
#include "data/code_problems.h"

using tpt::code::CodeSpec;
using tpt::data::ProblemSetOptions;
using tpt::data::SkipReason;

namespace {

std::string write_file(const std::string& name, const std::string& text) {
  std::string path = tpt::testing::temp_dir() + "/" + name;
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

ProblemSetOptions format(const std::string& name, const std::string& prefix = "p") {
  ProblemSetOptions options;
  options.format = name;
  options.id_prefix = prefix;
  return options;
}

std::string shipped(const std::string& file) { return tpt::testing::data_dir() + "/code/" + file; }

const tpt::data::SkipGroup* group(const tpt::data::ProblemSet& set, SkipReason reason) {
  for (const auto& g : set.skips)
    if (g.reason == reason) return &g;
  return nullptr;
}

// "public private generated": the tests' kinds in order.
std::string kinds(const CodeSpec& spec) {
  std::string out;
  for (const auto& t : spec.tests) out += (out.empty() ? "" : " ") + t.kind;
  return out;
}

}  // namespace

TPT_TEST(code_problems, a_codecontests_line_keeps_its_tests_limits_and_first_python3_solution) {
  const std::string path = write_file(
      "cc.jsonl",
      R"j({"name": "1548_E. Gregor and the Two Painters", "description": "Double it.", )j"
      R"j("public_tests": {"input": ["1\n"], "output": ["2\n"]}, )j"
      R"j("private_tests": {"input": ["3\n", "4\n"], "output": ["6\n", "8\n"]}, )j"
      R"j("generated_tests": {"input": ["5\n"], "output": ["10\n"]}, )j"
      R"j("time_limit": {"seconds": 2, "nanos": 500000000}, "memory_limit_bytes": 268435456, "difficulty": 11, )j"
      R"j("solutions": {"language": [2, 3, 3], "solution": ["int main(){}", "print(2*int(input()))", "print(0)"]}})j"
      "\n"
      R"j({"name": "2_A. Plain", "description": "Echo.", "public_tests": {"input": ["x\n"], "output": ["x\n"]}, )j"
      R"j("private_tests": {"input": [], "output": []}, "time_limit": 3, "memory_limit_bytes": null, )j"
      R"j("solutions": {"language": [2, 4], "solution": ["cpp", "java"]}})j"
      "\n");
  const auto set = tpt::data::load_problem_set(path, format("codecontests", "cc"));
  COMPARE(set.problems.size(), size_t{2});
  const auto& p = set.problems[0];
  COMPARE(p.id, std::string("cc-1548_E._Gregor_and_the_Two_Painters"));
  COMPARE(p.question, std::string("Double it."));
  COMPARE(p.solution, std::string("print(2*int(input()))"));  // the first PYTHON3 (3), not the C++ (2)
  VERIFY(CodeSpec::is_spec(p.gold));
  const CodeSpec spec = CodeSpec::parse(p.gold);
  COMPARE(kinds(spec), std::string("public private private generated"));
  COMPARE(spec.tests[2].input, std::string("4\n"));
  COMPARE(spec.tests[2].output, std::string("8\n"));
  COMPARE_NEAR(spec.time_limit_s, 2.5, 1e-12);  // {seconds, nanos}
  COMPARE(spec.memory_limit_bytes, int64_t{268435456});

  const CodeSpec plain = CodeSpec::parse(set.problems[1].gold);
  COMPARE(plain.time_limit_s, 3.0);            // a plain number of seconds
  COMPARE(plain.memory_limit_bytes, int64_t{0});  // null: not given
  COMPARE(set.problems[1].solution, std::string());  // no Python 3 solution
  COMPARE(set.tests.total, 5L);
  COMPARE(set.tests.public_tests, 2L);
  COMPARE(set.tests.private_tests, 2L);
  COMPARE(set.tests.generated_tests, 1L);
  VERIFY(set.skips.empty());
}

TPT_TEST(code_problems, a_spec_with_limits_is_still_told_apart_from_a_math_gold) {
  CodeSpec spec;
  spec.tests.push_back({"1\n", "2\n", "public"});
  spec.memory_limit_bytes = 1 << 20;  // sorts before "tests" in the written JSON
  VERIFY(CodeSpec::is_spec(spec.to_json().dump()));
  spec.memory_limit_bytes = 0;
  spec.time_limit_s = 2;
  VERIFY(CodeSpec::is_spec(spec.to_json().dump()));
  VERIFY(!CodeSpec::is_spec("18"));
  VERIFY(!CodeSpec::is_spec("{\"answer\": 18}"));
}

TPT_TEST(code_problems, apps_call_based_problems_are_left_out_with_their_reason) {
  const std::string path = write_file(
      "apps.jsonl",
      R"j({"problem_id": 7, "question": "Sum two numbers.", )j"
      R"j("input_output": "{\"inputs\": [\"1 2\\n\", [\"3 4\", \"\"]], \"outputs\": [\"3\\n\", [\"7\", \"\"]]}", )j"
      R"j("starter_code": "", "solutions": "[\"a, b = map(int, input().split())\\nprint(a + b)\"]"})j"
      "\n"
      R"j({"problem_id": "3554", "question": "Return the score.", )j"
      R"j("input_output": "{\"fn_name\": \"get_score\", \"inputs\": [[[1]]], \"outputs\": [[100]]}", )j"
      R"j("starter_code": "def get_score(dice):\n"})j"
      "\n");
  const auto set = tpt::data::load_problem_set(path, format("apps"));
  COMPARE(set.problems.size(), size_t{1});
  COMPARE(set.problems[0].id, std::string("p-7"));  // a numeric problem_id, as text
  COMPARE(set.problems[0].solution, std::string("a, b = map(int, input().split())\nprint(a + b)"));
  const CodeSpec spec = CodeSpec::parse(set.problems[0].gold);
  COMPARE(spec.tests.size(), size_t{2});
  COMPARE(spec.tests[1].input, std::string("3 4\n"));  // APPS' lists of lines are joined by newlines
  COMPARE(spec.tests[1].output, std::string("7\n"));
  COMPARE(spec.public_count(), size_t{2});
  const auto* call_based = group(set, SkipReason::CallBased);
  VERIFY(call_based != nullptr);
  COMPARE(call_based->count, 1L);
  COMPARE(call_based->first_line, 2L);
  COMPARE(call_based->first_message,
          path + ":2: call-based (fn_name get_score): only stdin/stdout problems are judged");
  COMPARE(set.skipped(), 1L);
  COMPARE(set.report.skipped, 0L);  // left out on purpose, not malformed
}

TPT_TEST(code_problems, problems_showing_an_image_are_left_out_unless_skip_images_is_off) {
  const std::string path = write_file(
      "img.jsonl",
      R"j({"id": "a", "prompt": "See the figure: <IMAGE>", "tests": [{"input": "", "output": "1"}]})j"
      "\n"
      R"j({"id": "b", "prompt": "No picture here.", "tests": [{"input": "", "output": "2"}]})j"
      "\n"
      R"j({"id": "c", "prompt": "As drawn [Image] below.", "tests": [{"input": "", "output": "3"}]})j"
      "\n");
  const auto skipped = tpt::data::load_problem_set(path, format("code"));
  COMPARE(skipped.problems.size(), size_t{1});
  COMPARE(skipped.problems[0].id, std::string("p-b"));
  const auto* images = group(skipped, SkipReason::Images);
  VERIFY(images != nullptr);
  COMPARE(images->count, 2L);
  COMPARE(images->first_line, 1L);
  VERIFY_CONTAINS(images->first_message, path + ":1: the statement shows an image");

  ProblemSetOptions keep = format("code");
  keep.skip_images = false;
  const auto kept = tpt::data::load_problem_set(path, keep);
  COMPARE(kept.problems.size(), size_t{3});
  VERIFY(kept.skips.empty());
  VERIFY(tpt::data::mentions_image("a <Image> b"));
  VERIFY(!tpt::data::mentions_image("an image of a tree"));
}

TPT_TEST(code_problems, plain_tests_without_a_kind_are_public_and_come_first) {
  const std::string path = write_file(
      "kinds.jsonl",
      R"j({"id": "k", "title": "Kinds", "prompt": "p", "time_limit_s": 1.5, "solution": "print(1)", "tests": [)j"
      R"j({"input": "1", "output": "a", "kind": "private"}, {"input": "2", "output": "b"}, )j"
      R"j({"input": "3", "output": "c", "kind": "generated"}, {"input": "4", "output": "d", "kind": "public"}]})j"
      "\n");
  const auto set = tpt::data::load_problem_set(path, format("code"));
  const CodeSpec spec = CodeSpec::parse(set.problems.at(0).gold);
  COMPARE(kinds(spec), std::string("public public private generated"));
  COMPARE(spec.tests[0].input, std::string("2"));  // file order kept within a kind
  COMPARE(spec.public_count(), size_t{2});
  COMPARE(spec.time_limit_s, 1.5);
  COMPARE(set.problems[0].solution, std::string("print(1)"));
}

TPT_TEST(code_problems, a_problem_without_tests_is_left_out_with_a_reason) {
  const std::string path = write_file(
      "none.jsonl",
      R"j({"name": "x", "description": "d", "public_tests": {"input": ["1"], "output": ["1"]}})j"
      "\n"
      R"j({"name": "y", "description": "d", "public_tests": {"input": [], "output": []}, "private_tests": null})j"
      "\n");
  const auto set = tpt::data::load_problem_set(path, format("codecontests"));
  COMPARE(set.problems.size(), size_t{1});
  const auto* none = group(set, SkipReason::NoTests);
  VERIFY(none != nullptr);
  COMPARE(none->first_line, 2L);
  COMPARE(none->first_message, path + ":2: no tests in public_tests, private_tests and generated_tests");
}

TPT_TEST(code_problems, a_malformed_line_names_file_line_and_field) {
  const std::string cc = write_file(
      "bad_cc.jsonl",
      R"j({"name": "ok", "description": "d", "public_tests": {"input": ["1"], "output": ["1"]}})j"
      "\n"
      R"j({"name": "bad", "description": "d", "public_tests": {"input": ["1", "2"], "output": ["1"]}})j"
      "\n");
  VERIFY_THROWS_WITH(tpt::data::load_problem_set(cc, format("codecontests")),
                     cc + ":2: field \"public_tests.output\" has 1 outputs for 2 inputs in public_tests.input");
  const std::string time = write_file(
      "bad_time.jsonl", R"j({"description": "d", "time_limit": "2s", "public_tests": {"input": ["1"], "output": ["1"]}})j"
                        "\n");
  VERIFY_THROWS_WITH(tpt::data::load_problem_set(time, format("codecontests")),
                     time + ":1: field \"time_limit\" must be {seconds, nanos} or a number of seconds");
  const std::string plain = write_file(
      "bad_plain.jsonl", R"j({"id": "a", "prompt": "p", "tests": [{"input": "1", "output": "1"}, {"input": "2", "output": 2}]})j"
                         "\n");
  VERIFY_THROWS_WITH(tpt::data::load_problem_set(plain, format("code")),
                     plain + ":1: field \"tests[1].output\" must be a string");
  const std::string apps = write_file(
      "bad_apps.jsonl", R"j({"problem_id": "1", "question": "q", "input_output": "{\"inputs\": ["})j"
                        "\n");
  VERIFY_THROWS_WITH(tpt::data::load_problem_set(apps, format("apps")),
                     apps + ":1: field \"input_output\" is not valid JSON");
  const std::string empty = write_file("bad_prompt.jsonl", R"j({"id": "a", "prompt": "  ", "tests": []})j" "\n");
  VERIFY_THROWS_WITH(tpt::data::load_problem_set(empty, format("code")), empty + ":1: field \"prompt\" is empty");

  // Under "skip" the line is counted with the other reasons, and the good lines are kept.
  ProblemSetOptions skip = format("codecontests");
  skip.on_malformed = tpt::io::OnMalformed::Skip;
  const auto set = tpt::data::load_problem_set(cc, skip);
  COMPARE(set.problems.size(), size_t{1});
  const auto* malformed = group(set, SkipReason::Malformed);
  VERIFY(malformed != nullptr);
  COMPARE(malformed->count, 1L);
  COMPARE(malformed->first_line, 2L);
  VERIFY_CONTAINS(malformed->first_message, cc + ":2: field \"public_tests.output\"");
  COMPARE(set.skipped(), 1L);
}

TPT_TEST(code_problems, repeated_ids_get_a_suffix_and_lines_without_one_a_content_hash) {
  const std::string a = R"j({"id": "a b", "prompt": "p1", "tests": [{"input": "", "output": "1"}]})j" "\n";
  const std::string b = R"j({"id": "a b", "prompt": "p2", "tests": [{"input": "", "output": "2"}]})j" "\n";
  const std::string c = R"j({"prompt": "p3", "tests": [{"input": "", "output": "3"}]})j" "\n";
  const std::string d = R"j({"prompt": "p4", "tests": [{"input": "", "output": "4"}]})j" "\n";
  const auto set = tpt::data::load_problem_set(write_file("dup.jsonl", a + b + c + d), format("code"));
  COMPARE(set.problems.size(), size_t{4});
  COMPARE(set.problems[0].id, std::string("p-a_b"));
  COMPARE(set.problems[1].id, std::string("p-a_b-2"));
  COMPARE(set.duplicate_ids, 1L);
  COMPARE(set.problems[2].id.size(), std::string("p-").size() + 12);  // "<prefix>-<12 hex digits>"
  VERIFY(set.problems[2].id != set.problems[3].id);
  // A hashed id depends on the problem, not on its line.
  const auto reversed = tpt::data::load_problem_set(write_file("rev.jsonl", d + c), format("code"));
  COMPARE(reversed.problems[1].id, set.problems[2].id);
  COMPARE(reversed.problems[0].id, set.problems[3].id);
}

TPT_TEST(code_problems, the_shipped_codecontests_problems_hold_what_the_readme_states) {
  ProblemSetOptions all = format("code", "train");
  all.skip_images = false;
  const auto set = tpt::data::load_problem_set(shipped("codecontests-train300.jsonl"), all);
  COMPARE(set.problems.size(), size_t{300});
  COMPARE(set.tests.total, 2999L);
  COMPARE(set.tests.public_tests, 2999L);  // plain tests carry no kind
  COMPARE(set.duplicate_ids, 0L);
  COMPARE(set.problems[0].id, std::string("train-1041_e_tree_reconstruction_8858"));
  std::set<std::string> ids;
  for (const auto& p : set.problems) {
    ids.insert(p.id);
    const auto n = CodeSpec::parse(p.gold).tests.size();
    VERIFY(n >= 9 && n <= 10);  // "9-10 each"
  }
  COMPARE(ids.size(), size_t{300});

  // 126 of the statements show Codeforces' "<image>" (counted with a separate script), the
  // first of them on line 1; by default they are left out.
  const auto seen = tpt::data::load_problem_set(shipped("codecontests-train300.jsonl"), format("code", "train"));
  COMPARE(seen.problems.size(), size_t{174});
  COMPARE(seen.tests.total, 1739L);
  const auto* images = group(seen, SkipReason::Images);
  VERIFY(images != nullptr);
  COMPARE(images->count, 126L);
  COMPARE(images->first_line, 1L);
}

TPT_TEST(code_problems, the_shipped_apps_problems_keep_the_52_stdin_ones) {
  ProblemSetOptions all = format("apps", "apps");
  all.skip_images = false;
  const auto set = tpt::data::load_problem_set(shipped("apps-selected150.jsonl"), all);
  COMPARE(set.problems.size(), size_t{52});
  COMPARE(set.tests.total, 632L);
  const auto* call_based = group(set, SkipReason::CallBased);
  VERIFY(call_based != nullptr);
  COMPARE(call_based->count, 98L);
  COMPARE(call_based->first_line, 1L);
  VERIFY_CONTAINS(call_based->first_message, ":1: call-based (fn_name get_score)");
  // The selection repeats three stdin problems: 1604 three times, 2060 twice.
  COMPARE(set.duplicate_ids, 3L);
  std::set<std::string> ids;
  for (const auto& p : set.problems) ids.insert(p.id);
  COMPARE(ids.size(), size_t{52});
  VERIFY(ids.count("apps-1604-3") == 1);

  // Nine of the stdin statements show "[Image]".
  const auto seen = tpt::data::load_problem_set(shipped("apps-selected150.jsonl"), format("apps", "apps"));
  COMPARE(seen.problems.size(), size_t{43});
  COMPARE(group(seen, SkipReason::Images)->count, 9L);
  COMPARE(seen.skipped(), 107L);
}

TPT_TEST(code_problems, load_problem_set_reads_gsm8k_as_before_and_refuses_unknown_formats) {
  const std::string path = write_file("g.jsonl", R"j({"question": "q", "answer": "s\n#### 4"})j" "\n");
  const auto set = tpt::data::load_problem_set(path, format("gsm8k", "x"));
  const auto direct = tpt::data::load_gsm8k(path, {"x"});
  COMPARE(set.problems.at(0).id, direct.problems.at(0).id);
  COMPARE(set.problems[0].gold, std::string("4"));
  VERIFY_THROWS_WITH(tpt::data::load_problem_set(path, format("csv")),
                     "unknown problem set format \"csv\" (expected \"gsm8k\", \"codecontests\", \"apps\" or \"code\")");
  VERIFY(tpt::data::is_code_format("apps"));
  VERIFY(!tpt::data::is_code_format("gsm8k"));
  COMPARE(tpt::data::problem_set_formats().size(), size_t{4});
}
