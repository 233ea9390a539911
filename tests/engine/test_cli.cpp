// The `tpt` command as a user runs it: real processes, real files, exit codes and messages.
#include <sys/stat.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "check.h"
#include "cli_process.h"

namespace {

using Result = tpt::testing::CliResult;
using tpt::testing::slurp;
using tpt::testing::tpt_run;

std::string write_file(const std::string& name, const std::string& text) {
  std::string path = tpt::testing::temp_dir() + "/" + name;
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

std::string gsm8k(const std::string& split) { return tpt::testing::data_dir() + "/gsm8k/" + split + ".jsonl"; }

std::vector<nlohmann::json> json_lines(const std::string& out) {
  std::istringstream lines(out);
  std::string line;
  std::vector<nlohmann::json> values;
  while (std::getline(lines, line)) values.push_back(nlohmann::json::parse(line));
  return values;
}

// A real HF folder: the tiny Llama fixture (vocab_size 320) plus a byte-level tokenizer.json
// beside it; `vocab` entries replace or add to the tokenizer's.
std::string byte_model_folder(const std::string& name, const nlohmann::json& extra_vocab = nlohmann::json::object()) {
  const std::string model = tpt::testing::temp_dir() + "/" + name;
  std::filesystem::create_directories(model);
  const std::string source = std::string(TPT_SOURCE_DIR) + "/tests/fixtures/hf-golden/llama-gqa-untied";
  for (const char* file : {"config.json", "model.safetensors", "generation_config.json"})
    std::filesystem::copy_file(source + "/" + file, model + "/" + file);
  nlohmann::json vocab = nlohmann::json::object();
  for (int b = 0; b < 256; ++b) {
    // GPT-2's byte-to-unicode map for the bytes a prompt of plain ASCII letters uses.
    if (b >= 33 && b <= 126) vocab[std::string(1, static_cast<char>(b))] = b;
  }
  for (const auto& [token, id] : extra_vocab.items()) vocab[token] = id;
  std::ofstream(model + "/tokenizer.json") << nlohmann::json{
      {"version", "1.0"}, {"added_tokens", nlohmann::json::array()}, {"normalizer", nullptr},
      {"pre_tokenizer", {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", true}, {"use_regex", false}}},
      {"post_processor", nullptr},
      {"decoder", {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", true}, {"use_regex", false}}},
      {"model", {{"type", "BPE"}, {"vocab", vocab}, {"merges", nlohmann::json::array()}}}}.dump();
  return model;
}

// A FIFO at `path` (nobody ever writes to it).
std::string make_fifo(const std::string& path) {
  std::filesystem::remove(path);
  if (::mkfifo(path.c_str(), 0644) != 0) TPT_FAIL("cannot create the FIFO " + path);
  return path;
}

// Before the engine refused them, these inputs blocked or read for ever: the runs below are
// bounded in time (and in memory, since reading /dev/zero as one line grows without end), so
// that the old behaviour fails the test instead of hanging it.
#if defined(__SANITIZE_ADDRESS__)
// AddressSanitizer reserves terabytes of address space for its shadow memory, so a limit on
// virtual memory stops the program before main (tests/sanitize.sh): only the time bound there.
const char* const kBounded = "timeout 60";
#else
const char* const kBounded = "ulimit -v 8000000; timeout 60";
#endif

nlohmann::json last_json_line(const std::string& out) {
  auto end = out.find_last_not_of('\n');
  auto start = out.rfind('\n', end);
  return nlohmann::json::parse(out.substr(start == std::string::npos ? 0 : start + 1, end + 1));
}

}  // namespace

TPT_TEST(cli, every_gsm8k_gold_solution_grades_correct_under_strict_and_flexible) {
  long total = 0;
  for (const std::string verifier : {"strict", "flexible"}) {
    for (const std::string split : {"train", "test"}) {
      Result r = tpt_run("-q grade --samples " + gsm8k(split) + " --completion-field answer --verifier " + verifier +
                         " --normalize exact --json --summary-only");
      COMPARE(r.status, 0);
      auto summary = last_json_line(r.out).at("summary");
      COMPARE(summary.at("samples").get<long>(), split == "train" ? 7473L : 1319L);
      COMPARE(summary.at("correct").get<long>(), summary.at("samples").get<long>());
      if (verifier == "strict") total += summary.at("correct").get<long>();
    }
  }
  COMPARE(total, 8792L);
}

TPT_TEST(cli, grade_prints_one_json_line_per_sample_then_a_summary) {
  const std::string path = write_file("s.jsonl",
                                      "{\"id\": \"a\", \"completion\": \"3+4=7\\n#### 7\", \"answer\": \"7\"}\n"
                                      "{\"id\": 12, \"completion\": \"I think 8\", \"answer\": \"Because...\\n#### 9\"}\n"
                                      "{\"completion\": \"#### 1,000\", \"answer\": \"1000\"}\n");
  Result r = tpt_run("-q grade --samples " + path + " --json");
  COMPARE(r.status, 0);
  const auto rows = json_lines(r.out);
  COMPARE(rows.size(), size_t{4});
  COMPARE(rows[0].at("id").get<std::string>(), std::string("a"));
  COMPARE(rows[0].at("extracted").get<std::string>(), std::string("7"));
  COMPARE(rows[0].at("correct").get<bool>(), true);
  COMPARE(rows[0].at("kept").get<bool>(), true);
  COMPARE(rows[1].at("id").get<std::string>(), std::string("12"));
  VERIFY(rows[1].at("extracted").is_null());  // strict: no "####" line
  COMPARE(rows[1].at("kept").get<bool>(), false);
  VERIFY(!rows[1].at("reason").get<std::string>().empty());
  COMPARE(rows[2].at("id").get<std::string>(), std::string("3"));  // line number when no id
  COMPARE(rows[2].at("correct").get<bool>(), true);              // numeric normalisation by default
  COMPARE(rows[3].at("summary").at("correct").get<long>(), 2L);
  COMPARE(rows[3].at("summary").at("kept").get<long>(), 2L);
}

TPT_TEST(cli, the_papers_exact_string_check_stays_selectable) {
  const std::string path = write_file("c.jsonl", "{\"completion\": \"#### 1,000\", \"answer\": \"1000\"}\n");
  auto exact = last_json_line(tpt_run("-q grade --samples " + path + " --normalize exact --json").out);
  auto numeric = last_json_line(tpt_run("-q grade --samples " + path + " --normalize numeric --json").out);
  COMPARE(exact.at("summary").at("correct").get<long>(), 0L);
  COMPARE(numeric.at("summary").at("correct").get<long>(), 1L);
}

TPT_TEST(cli, a_malformed_line_is_reported_with_file_and_line) {
  const std::string path = write_file("bad.jsonl",
                                      "{\"completion\": \"#### 1\", \"answer\": \"1\"}\n"
                                      "{\"completion\": \"#### 1\", \"answer\": \n"
                                      "{\"completion\": \"#### 2\"}\n");
  Result fail = tpt_run("-q grade --samples " + path);
  COMPARE(fail.status, 1);
  VERIFY_CONTAINS(fail.err, path + ":2: invalid JSON");
  Result skip = tpt_run("-q grade --samples " + path + " --on-malformed skip --json --summary-only");
  COMPARE(skip.status, 0);
  auto summary = last_json_line(skip.out).at("summary");
  COMPARE(summary.at("samples").get<long>(), 1L);
  COMPARE(summary.at("skipped_lines").get<long>(), 2L);
  VERIFY_CONTAINS(summary.at("errors").at(1).get<std::string>(), path + ":3: missing field \"answer\"");
}

TPT_TEST(cli, grade_runs_code_lines_and_prints_the_verdict_and_tests_passed) {
  // Two problems of the shipped CodeContests file named by id, and one line with its own
  // tests: a right program, a wrong one, and a completion without code.
  const std::string dataset = tpt::testing::data_dir() + "/code/codecontests-train300.jsonl";
  std::ifstream in(std::string(TPT_SOURCE_DIR) + "/tests/fixtures/code/solutions/1068_b_lcm_2510.py");
  const std::string solution{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  VERIFY(!solution.empty());
  nlohmann::json right{{"id", "right"}, {"problem", "1068_b_lcm_2510"}, {"completion", "```python\n" + solution + "```"}};
  nlohmann::json wrong{{"id", "wrong"}, {"problem", "1068_b_lcm_2510"}, {"completion", "```python\nprint(-7)\n```"}};
  nlohmann::json inline_tests{{"id", "inline"},
                              {"completion", "no program, only words"},
                              {"tests", {{{"input", "1\n"}, {"output", "1\n"}}}}};
  const std::string path = write_file("code.jsonl", right.dump() + "\n" + wrong.dump() + "\n" + inline_tests.dump() + "\n");
  Result r = tpt_run("-q grade --samples " + path + " --dataset " + dataset + " --format code --workers 2");
  COMPARE(r.status, 0);
  VERIFY_CONTAINS(r.out, "right\taccepted\t10/10 tests\tkept");
  VERIFY_CONTAINS(r.out, "wrong\twrong_answer\t0/10 tests\tdropped");
  VERIFY_CONTAINS(r.out, "inline\tno_code\t0/1 tests\tdropped");
  VERIFY_CONTAINS(r.out, "programs: accepted 1 no_code 1 wrong_answer 1");
  Result j = tpt_run("-q grade --samples " + path + " --dataset " + dataset + " --format code --json --summary-only");
  const auto summary = last_json_line(j.out).at("summary");
  COMPARE(summary.at("code_verdicts").at("accepted").get<long>(), 1L);
  // A line naming a problem the file does not hold is an error with its line.
  const std::string unknown = write_file("unknown.jsonl", R"({"problem": "no_such_problem", "completion": "x"})" "\n");
  Result bad = tpt_run("-q grade --samples " + unknown + " --dataset " + dataset + " --format code");
  COMPARE(bad.status, 1);
  VERIFY_CONTAINS(bad.err, unknown + ":1: field \"problem\": \"no_such_problem\" is not a problem of the --dataset file");
}

TPT_TEST(cli, config_check_lists_every_error_and_fails) {
  const std::string path = write_file("experiment.json", R"({
  "schema_version": 1,
  "dataset": {"train": "train.jsonl", "test": "test.jsonl"},
  "model": {"path": "m"},
  "think": {"temperature": -1, "max_new_token": 100}
})");
  Result r = tpt_run("-q config check " + path);
  COMPARE(r.status, 1);
  VERIFY_CONTAINS(r.out, path + ": 2 errors");
  VERIFY_CONTAINS(r.out, "think.temperature: must be in [0, 5], got -1");
  VERIFY_CONTAINS(r.out, "think.max_new_token: unknown key (did you mean \"max_new_tokens\"?)");
}

TPT_TEST(cli, config_init_writes_a_file_that_checks_clean) {
  const std::string path = tpt::testing::temp_dir() + "/experiment.json";
  COMPARE(tpt_run("-q config init --out " + path + " --train t.jsonl --test v.jsonl --model m").status, 0);
  Result r = tpt_run("-q config check " + path);
  COMPARE(r.out, path + ": ok\n");
  COMPARE(r.status, 0);
}

TPT_TEST(cli, config_init_never_replaces_what_is_at_out_without_force) {
  const std::string dir = tpt::testing::temp_dir();
  const std::string args = " --train t.jsonl --test v.jsonl --model m";
  // An existing file: refused, untouched; replaced with --force.
  const std::string existing = dir + "/experiment.json";
  std::ofstream(existing) << "{\"mine\": true}\n";
  Result r = tpt_run("-q config init --out " + existing + args);
  VERIFY(r.status != 0);
  VERIFY_CONTAINS(r.err, existing + ": exists; add --force to replace it");
  COMPARE(tpt::testing::slurp(existing), std::string("{\"mine\": true}\n"));
  COMPARE(tpt_run("-q config init --force --out " + existing + args).status, 0);
  COMPARE(tpt_run("-q config check " + existing).status, 0);
  // A FIFO (or a device such as /dev/full) is refused and stays what it was.
  const std::string fifo = dir + "/fifo.json";
  VERIFY(::mkfifo(fifo.c_str(), 0644) == 0);
  r = tpt_run("-q config init --force --out " + fifo + args);
  VERIFY(r.status != 0);
  VERIFY_CONTAINS(r.err, fifo + ": not a regular file (a FIFO)");
  VERIFY(std::filesystem::is_fifo(fifo));
  // A symbolic link is written through: the link stays, its target gets the file.
  const std::string target = dir + "/real.json", link = dir + "/link.json";
  std::filesystem::create_symlink(target, link);
  COMPARE(tpt_run("-q config init --out " + link + args).status, 0);
  VERIFY(std::filesystem::is_symlink(link));
  COMPARE(tpt_run("-q config check " + target).status, 0);
  // export --out follows the same rules.
  r = tpt_run("-q export " + dir + " --format csv --out " + fifo);
  VERIFY(r.status != 0);
  VERIFY_CONTAINS(r.err, "not a regular file (a FIFO)");
}

TPT_TEST(cli, data_check_counts_problems_and_names_bad_lines) {
  Result good = tpt_run("-q data check " + gsm8k("test") + " --json");
  COMPARE(good.status, 0);
  COMPARE(nlohmann::json::parse(good.out).at("problems").get<long>(), 1319L);
  const std::string path = write_file("d.jsonl", "{\"question\": \"q\", \"answer\": \"no hash line\"}\n");
  Result bad = tpt_run("-q data check " + path);
  COMPARE(bad.status, 1);
  VERIFY_CONTAINS(bad.err, path + ":1: field \"answer\" has no final \"#### <answer>\" line");
}

TPT_TEST(cli, data_check_reports_code_problems_their_tests_and_each_reason_lines_were_left_out) {
  const std::string cc = tpt::testing::data_dir() + "/code/codecontests-train300.jsonl";
  Result all = tpt_run("-q data check " + cc + " --format code --keep-images --json");
  COMPARE(all.status, 0);
  const auto whole = nlohmann::json::parse(all.out);
  COMPARE(whole.at("problems").get<long>(), 300L);
  COMPARE(whole.at("tests").at("total").get<long>(), 2999L);
  COMPARE(whole.at("left_out").size(), size_t{0});

  // By default the statements that show an image are left out, and the check says so.
  Result seen = tpt_run("-q data check " + cc + " --format code");
  COMPARE(seen.status, 0);
  VERIFY_CONTAINS(seen.out, cc + ": 174 problems (code) from 300 lines");
  VERIFY_CONTAINS(seen.out, "tests: 1739 (public 1739, private 0, generated 0)");
  VERIFY_CONTAINS(seen.out, "left out 126: images, first at line 1: " + cc + ":1: the statement shows an image");

  const std::string apps = tpt::testing::data_dir() + "/code/apps-selected150.jsonl";
  Result a = tpt_run("-q data check " + apps + " --format apps --json");
  COMPARE(a.status, 0);
  const auto left_out = nlohmann::json::parse(a.out).at("left_out");
  COMPARE(left_out.at(0).at("reason").get<std::string>(), std::string("call-based"));
  COMPARE(left_out.at(0).at("count").get<long>(), 98L);
  COMPARE(left_out.at(1).at("reason").get<std::string>(), std::string("images"));

  // A malformed line fails the check with its file, line and field.
  const std::string bad = write_file("bad_code.jsonl", "{\"id\": \"a\", \"prompt\": \"p\", \"tests\": [{\"input\": 1}]}\n");
  Result b = tpt_run("-q data check " + bad + " --format code");
  COMPARE(b.status, 1);
  VERIFY_CONTAINS(b.err, bad + ":1: field \"tests[0].input\" must be a string");
  COMPARE(tpt_run("-q data check " + cc + " --keep-images").status, 2);  // GSM8K has no images to keep
}

TPT_TEST(cli, usage_errors_name_the_option_and_exit_2) {
  Result r = tpt_run("-q grade --samples x.jsonl --verifer strict");
  COMPARE(r.status, 2);
  VERIFY_CONTAINS(r.err, "unknown option --verifer");
  COMPARE(tpt_run("frobnicate").status, 2);
}

TPT_TEST(cli, the_start_up_line_reports_the_blas_and_warns_about_the_reference_one) {
  Result normal = tpt_run("config init");
  VERIFY_CONTAINS(normal.err, "BLAS: ");
  // Load netlib's reference BLAS in place of the system's choice, as a misconfigured machine would.
  const std::string reference = "/usr/lib/x86_64-linux-gnu/blas/libblas.so.3";
  if (!std::filesystem::exists(reference)) SKIP("netlib reference BLAS (libblas3) not installed");
  const std::string dir = tpt::testing::temp_dir();
  std::filesystem::create_symlink(reference, dir + "/libblas.so.3");
  Result slow = tpt_run("config init", "LD_LIBRARY_PATH=" + dir);
  VERIFY_CONTAINS(slow.err, "BLAS: reference BLAS (netlib)");
  VERIFY_CONTAINS(slow.err, "warning: libtorch is using the slow reference BLAS");
  VERIFY(normal.err.find("warning:") == std::string::npos);
}

TPT_TEST(cli, generate_samples_reproducibly_from_a_model_folder) {
  const std::string model = byte_model_folder("model");
  Result r = tpt_run("-q generate --model " + model + " --prompt Hello -n 3 --seed 40 --max-new-tokens 6 --json");
  COMPARE(r.status, 0);
  const auto samples = json_lines(r.out);
  COMPARE(samples.size(), size_t{3});
  COMPARE(samples[2].at("seed").get<int>(), 42);
  COMPARE(samples[0].at("prompt_tokens").get<int>(), 5);  // H e l l o
  for (const auto& s : samples) VERIFY(s.at("token_ids").size() <= 6 && !s.at("token_ids").empty());
  // Sample 2 alone, by its own seed, is the same sample.
  Result alone = tpt_run("-q generate --model " + model + " --prompt Hello -n 1 --seed 42 --max-new-tokens 6 --json");
  COMPARE(nlohmann::json::parse(alone.out).at("token_ids").dump(), samples[2].at("token_ids").dump());
}

TPT_TEST(cli, generate_names_a_missing_model_folder) {
  Result r = tpt_run("-q generate --model /nonexistent/model --prompt hi");
  COMPARE(r.status, 1);
  VERIFY_CONTAINS(r.err, "/nonexistent/model");
}

TPT_TEST(cli, data_generate_writes_train_and_test_files_that_load_as_gsm8k) {
  const std::string dir = tpt::testing::temp_dir() + "/task";
  Result r = tpt_run("-q data generate --out " + dir + " --train 60 --test 25 --level 2 --seed 7");
  COMPARE(r.status, 0);
  VERIFY_CONTAINS(r.out, dir + "/train.jsonl: 60 problems");
  VERIFY_CONTAINS(r.out, dir + "/test.jsonl: 25 problems");
  VERIFY_CONTAINS(r.out, "level 2 (medium)");
  for (const auto& [split, count] : {std::pair<std::string, long>{"train", 60}, {"test", 25}}) {
    Result check = tpt_run("-q data check " + dir + "/" + split + ".jsonl --json");
    COMPARE(check.status, 0);
    COMPARE(nlohmann::json::parse(check.out).at("problems").get<long>(), count);
    // Every gold solution grades correct with the paper's strict checker.
    auto summary = last_json_line(tpt_run("-q grade --samples " + dir + "/" + split +
                                          ".jsonl --completion-field answer --verifier strict --normalize exact "
                                          "--json --summary-only")
                                      .out)
                       .at("summary");
    COMPARE(summary.at("correct").get<long>(), count);
  }
  // The same seed writes the same files.
  const std::string again = tpt::testing::temp_dir() + "/again";
  COMPARE(tpt_run("-q data generate --out " + again + " --train 60 --test 25 --level medium --seed 7").status, 0);
  COMPARE(slurp(again + "/train.jsonl"), slurp(dir + "/train.jsonl"));
  Result bad = tpt_run("-q data generate --out " + dir + " --level 9");
  COMPARE(bad.status, 2);
  VERIFY_CONTAINS(bad.err, "unknown word-problem level \"9\"");
  COMPARE(tpt_run("-q data generate --train 5").status, 2);  // --out is required
}

TPT_TEST(cli, named_inputs_that_are_not_regular_files_are_refused_not_read_for_ever) {
  const std::string dir = tpt::testing::temp_dir();
  const std::string fifo = make_fifo(dir + "/problems.jsonl");
  Result data = tpt_run("-q data check " + fifo, kBounded);
  COMPARE(data.status, 1);
  VERIFY_CONTAINS(data.err, fifo + ": not a regular file (a FIFO)");
  Result zero = tpt_run("-q data check /dev/zero", kBounded);
  COMPARE(zero.status, 1);
  VERIFY_CONTAINS(zero.err, "/dev/zero: not a regular file (a character device)");
  Result grade = tpt_run("-q grade --samples /dev/zero", kBounded);
  COMPARE(grade.status, 1);
  VERIFY_CONTAINS(grade.err, "/dev/zero: not a regular file (a character device)");
  const std::string samples = write_file("one.jsonl", "{\"completion\": \"#### 1\", \"answer\": \"1\"}\n");
  Result rules = tpt_run("-q grade --samples " + samples + " --rules " + make_fifo(dir + "/rules.json"), kBounded);
  COMPARE(rules.status, 1);
  VERIFY_CONTAINS(rules.err, dir + "/rules.json: not a regular file (a FIFO)");
  Result config = tpt_run("-q config check " + make_fifo(dir + "/experiment.json"), kBounded);
  COMPARE(config.status, 1);
  VERIFY_CONTAINS(config.out, dir + "/experiment.json: not a regular file (a FIFO)");  // listed as an issue
  Result folder = tpt_run("-q data check " + dir, kBounded);
  COMPARE(folder.status, 1);
  VERIFY_CONTAINS(folder.err, dir + ": not a regular file (a directory)");

  // A model folder whose weights, or tokenizer, are a FIFO.
  const std::string model = byte_model_folder("fifo-weights");
  make_fifo(model + "/model.safetensors");
  Result weights = tpt_run("-q generate --model " + model + " --prompt Hello --max-new-tokens 2", kBounded);
  COMPARE(weights.status, 1);
  VERIFY_CONTAINS(weights.err, model + "/model.safetensors: not a regular file (a FIFO)");
  const std::string other = byte_model_folder("fifo-tokenizer");
  make_fifo(other + "/tokenizer.json");
  Result tokenizer = tpt_run("-q generate --model " + other + " --prompt Hello --max-new-tokens 2", kBounded);
  COMPARE(tokenizer.status, 1);
  VERIFY_CONTAINS(tokenizer.err, other + "/tokenizer.json: not a regular file (a FIFO)");
}

TPT_TEST(cli, stdin_is_read_line_by_line_with_a_bound_on_a_line) {
  // "-" still reads standard input...
  const std::string samples = write_file("stdin.jsonl", "{\"completion\": \"#### 4\", \"answer\": \"4\"}\n"
                                                        "{\"completion\": \"#### 5\", \"answer\": \"6\"}\n");
  Result ok = tpt_run("-q grade --samples - --json --summary-only", "", samples);
  COMPARE(ok.status, 0);
  COMPARE(last_json_line(ok.out).at("summary").at("correct").get<long>(), 1L);
  // ... but a stream without newlines is an error at its first line, not an endless read.
  Result zero = tpt_run("-q grade --samples -", kBounded, "/dev/zero");
  COMPARE(zero.status, 1);
  VERIFY_CONTAINS(zero.err, "<stdin>:1: line 1 is longer than 64 MiB");
  const std::string model = byte_model_folder("tokenize-model");
  Result tokenize = tpt_run("-q tokenize --tokenizer " + model, kBounded, "/dev/zero");
  COMPARE(tokenize.status, 1);
  VERIFY_CONTAINS(tokenize.err, "<stdin>:1: line 1 is longer than 64 MiB");
}

TPT_TEST(cli, sampling_settings_must_be_finite_decimal_numbers) {
  const std::string model = byte_model_folder("sampling-model");
  for (const std::string& bad : {"--temperature nan", "--temperature inf", "--temperature 0x10", "--top-p nan",
                                 "--temperature=-inf", "--temperature 1e999", "--top-p ' 0.5'"}) {
    Result r = tpt_run("-q generate --model " + model + " --prompt Hello --max-new-tokens 2 " + bad);
    if (r.status != 2) TPT_FAIL(bad + ": status " + std::to_string(r.status) + ", stderr: " + r.err);
    const std::string flag = bad.substr(0, bad.find_first_of(" ="));
    VERIFY_CONTAINS(r.err, flag + " must be a");
  }
  Result nan = tpt_run("-q generate --model " + model + " --prompt Hello --temperature nan");
  VERIFY_CONTAINS(nan.err, "--temperature must be a decimal number, got \"nan\"");
  Result eval = tpt_run("-q eval --model " + model + " --dataset " + gsm8k("test") + " --top-p nan");
  COMPARE(eval.status, 2);
  VERIFY_CONTAINS(eval.err, "--top-p must be a decimal number, got \"nan\"");
  // Ordinary spellings still work.
  Result fine = tpt_run("-q generate --model " + model + " --prompt Hello --max-new-tokens 2 --temperature .5 --top-p 9e-1");
  COMPARE(fine.status, 0);
}

TPT_TEST(cli, a_tokenizer_with_ids_beyond_the_models_vocabulary_is_named) {
  // The fixture's model has 320 token embeddings; this tokenizer gives "H" the id 400.
  const std::string model = byte_model_folder("wide-tokenizer", nlohmann::json{{"H", 400}});
  Result r = tpt_run("-q generate --model " + model + " --prompt Hello --max-new-tokens 2");
  COMPARE(r.status, 1);
  VERIFY_CONTAINS(r.err, model + "/tokenizer.json: token \"H\" has id 400, but the model has only 320 token embeddings "
                         "(vocab_size in " + model + "/config.json)");
  VERIFY(r.err.find("Exception raised from") == std::string::npos);  // no libtorch backtrace
}

TPT_TEST(cli, device_cuda_without_a_cuda_device_is_named) {
  Result info = tpt_run("info");
  if (info.out.find("CUDA x") != std::string::npos) SKIP("this machine has a CUDA device");
  const std::string model = byte_model_folder("cpu-model");
  Result r = tpt_run("-q generate --model " + model + " --prompt Hello --max-new-tokens 2 --device cuda");
  COMPARE(r.status, 1);
  VERIFY_CONTAINS(r.err, "--device cuda: this build/machine has no CUDA device");
  VERIFY_CONTAINS(r.err, "use --device cpu");
  VERIFY(r.err.find("Exception raised from") == std::string::npos);
  Result eval = tpt_run("-q eval --model " + model + " --dataset " + gsm8k("test") + " --device cuda");
  COMPARE(eval.status, 1);
  VERIFY_CONTAINS(eval.err, "--device cuda: this build/machine has no CUDA device");
}

TPT_TEST(cli, threads_beyond_the_cores_are_capped_unless_forced) {
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  Result capped = tpt_run("--threads 1024 info", "timeout 60");
  COMPARE(capped.status, 0);
  VERIFY_CONTAINS(capped.out, "threads:  " + std::to_string(cores) + " intra-op (1024 asked for, capped at the " +
                                  std::to_string(cores) + " cores)");
  Result line = tpt_run("--threads 1024 config init");
  VERIFY_CONTAINS(line.err, " threads (1024 asked for, capped at the " + std::to_string(cores) + " cores)");
  const std::string more = std::to_string(cores + 1);
  Result forced = tpt_run("--threads " + more + " --force-threads info");
  COMPARE(forced.status, 0);
  VERIFY_CONTAINS(forced.out, "threads:  " + more + " intra-op\n");
}
