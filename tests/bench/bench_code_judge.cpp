// bench_code_judge: how fast the code sandbox judges, with 1, 2 and N workers, over the reference
// solutions of tests/fixtures/code (20 problems of resources/data/code, ~250 tests).
//
//   build/bench_code_judge [--repeat R]
//
// Each program is judged on all its tests (StopPolicy::RunAll) through judge_many, as Prune
// judges a round's samples. Prints programs/s and tests/s per worker count. Speed is reported,
// not asserted.
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "code/judge.h"
#include "code_fixture_problems.h"

using namespace tpt::code;

int main(int argc, char** argv) {
  int repeat = 1;
  for (int i = 1; i + 1 < argc; ++i)
    if (std::strcmp(argv[i], "--repeat") == 0) repeat = std::atoi(argv[i + 1]);
  const std::string source = TPT_SOURCE_DIR;
  const auto problems = tpt::testing::load_code_fixture_problems(source + "/resources/data/code");
  std::vector<std::string> completions;
  std::vector<const CodeSpec*> specs;
  for (int r = 0; r < repeat; ++r) {
    for (const auto& entry : std::filesystem::directory_iterator(source + "/tests/fixtures/code/solutions")) {
      if (entry.path().extension() != ".py") continue;
      auto it = problems.find(entry.path().stem().string());
      if (it == problems.end()) continue;
      completions.push_back("```python\n" + tpt::testing::read_text_file(entry.path()) + "```\n");
      specs.push_back(&it->second);
    }
  }
  std::vector<JudgeTask> tasks;
  size_t tests = 0;
  for (size_t i = 0; i < completions.size(); ++i) {
    tasks.push_back({completions[i], specs[i]});
    tests += specs[i]->tests.size();
  }
  SandboxConfig config;
  check_sandbox(config);
  const int hardware = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  std::vector<int> counts{1, 2};
  if (hardware > 2) counts.push_back(hardware);
  std::printf("%zu programs, %zu tests, sandbox %s, %d hardware threads\n", tasks.size(), tests, to_string(config.mode),
              hardware);
  std::printf("%8s %10s %12s %10s %9s\n", "workers", "seconds", "programs/s", "tests/s", "accepted");
  for (int workers : counts) {
    config.workers = workers;
    const auto start = std::chrono::steady_clock::now();
    auto judgements = judge_many(config, tasks, StopPolicy::RunAll);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    int accepted = 0;
    for (const auto& j : judgements) accepted += j.verdict == CodeVerdict::Accepted;
    std::printf("%8d %10.2f %12.2f %10.1f %6d/%zu\n", workers, s, tasks.size() / s, tests / s, accepted, tasks.size());
  }
  return 0;
}
