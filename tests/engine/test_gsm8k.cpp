// GSM8K loading: the real files load completely, gold answers come from the "####" line, ids
// are stable, and malformed lines are reported with file and line.
#include <fstream>
#include <set>

#include "check.h"
#include "data/gsm8k.h"

namespace {
std::string gsm8k(const std::string& split) { return tpt::testing::data_dir() + "/gsm8k/" + split + ".jsonl"; }

std::string write_file(const std::string& name, const std::string& text) {
  std::string path = tpt::testing::temp_dir() + "/" + name;
  std::ofstream(path, std::ios::binary) << text;
  return path;
}
}  // namespace

TPT_TEST(gsm8k, the_real_train_and_test_files_load_every_problem) {
  auto train = tpt::data::load_gsm8k(gsm8k("train"));
  auto test = tpt::data::load_gsm8k(gsm8k("test"));
  COMPARE(train.problems.size(), size_t{7473});
  COMPARE(test.problems.size(), size_t{1319});
  COMPARE(train.report.skipped, 0L);
  // Hand-checked: the first test problem is Janet's ducks, gold 18.
  VERIFY_CONTAINS(test.problems[0].question, "Janet");
  COMPARE(test.problems[0].gold, std::string("18"));
  COMPARE(test.problems[0].line, 1L);
}

TPT_TEST(gsm8k, gold_answers_keep_commas_and_signs_as_written) {
  auto train = tpt::data::load_gsm8k(gsm8k("train"));
  auto test = tpt::data::load_gsm8k(gsm8k("test"));
  long train_commas = 0, test_commas = 0, negative = 0;
  for (const auto& p : train.problems) train_commas += p.gold.find(',') != std::string::npos;
  for (const auto& p : test.problems) test_commas += p.gold.find(',') != std::string::npos;
  for (const auto& p : train.problems) negative += p.gold[0] == '-';
  // Counts from the dataset's documentation (REFERENCE.md): 79 train, 14 test.
  COMPARE(train_commas, 79L);
  COMPARE(test_commas, 14L);
  VERIFY(negative > 0);
}

TPT_TEST(gsm8k, problem_ids_are_stable_and_unique) {
  auto a = tpt::data::load_gsm8k(gsm8k("test"));
  auto b = tpt::data::load_gsm8k(gsm8k("test"));
  std::set<std::string> ids;
  for (size_t i = 0; i < a.problems.size(); ++i) {
    COMPARE(a.problems[i].id, b.problems[i].id);
    ids.insert(a.problems[i].id);
  }
  COMPARE(ids.size(), a.problems.size());
  VERIFY(a.problems[0].id.rfind("test-", 0) == 0);
}

TPT_TEST(gsm8k, an_id_does_not_depend_on_the_line_a_problem_is_on) {
  const char* p1 = "{\"question\": \"q1\", \"answer\": \"s\\n#### 1\"}\n";
  const char* p2 = "{\"question\": \"q2\", \"answer\": \"s\\n#### 2\"}\n";
  auto forward = tpt::data::load_gsm8k(write_file("f.jsonl", std::string(p1) + p2), {"x"});
  auto reverse = tpt::data::load_gsm8k(write_file("r.jsonl", std::string(p2) + p1), {"x"});
  COMPARE(forward.problems[0].id, reverse.problems[1].id);
  COMPARE(forward.problems[1].id, reverse.problems[0].id);
}

TPT_TEST(gsm8k, exact_duplicates_get_distinct_ids) {
  const std::string line = "{\"question\": \"q\", \"answer\": \"#### 1\"}\n";
  auto set = tpt::data::load_gsm8k(write_file("dup.jsonl", line + line), {"d"});
  COMPARE(set.problems.size(), size_t{2});
  VERIFY(set.problems[0].id != set.problems[1].id);
  COMPARE(set.problems[1].id, set.problems[0].id + "-2");
}

TPT_TEST(gsm8k, a_solution_without_a_hash_line_is_malformed) {
  const std::string path = write_file("bad.jsonl",
                                      "{\"question\": \"q\", \"answer\": \"#### 3\"}\n"
                                      "{\"question\": \"q2\", \"answer\": \"the answer is 3\"}\n"
                                      "{\"question\": \"q3\", \"answer\": \"so\\n####   \"}\n"
                                      "{\"question\": \"\", \"answer\": \"#### 3\"}\n");
  VERIFY_THROWS_WITH(tpt::data::load_gsm8k(path), path + ":2: field \"answer\" has no final \"#### <answer>\" line");
  tpt::data::Gsm8kOptions skip;
  skip.on_malformed = tpt::io::OnMalformed::Skip;
  auto set = tpt::data::load_gsm8k(path, skip);
  COMPARE(set.problems.size(), size_t{1});
  COMPARE(set.report.skipped, 3L);
  COMPARE(set.report.problems[1], path + ":3: field \"answer\" has an empty \"####\" line");
  COMPARE(set.report.problems[2], path + ":4: field \"question\" is empty");
}

TPT_TEST(gsm8k, other_field_names_can_be_mapped) {
  tpt::data::Gsm8kOptions options;
  options.question_field = "problem";
  options.answer_field = "solution";
  auto set = tpt::data::load_gsm8k(write_file("m.jsonl", "{\"problem\": \"q\", \"solution\": \"x\\n#### -7\"}\n"), options);
  COMPARE(set.problems.at(0).gold, std::string("-7"));
}
