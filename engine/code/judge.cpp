#include "code/judge.h"

#include <algorithm>
#include <climits>
#include <exception>
#include <mutex>
#include <optional>
#include <thread>

#include "code/extract_program.h"
#include "code/output_match.h"
#include "core/error.h"

namespace tpt::code {

namespace {

// At most `cap` bytes of `text`, cut at a character boundary, with invalid UTF-8 replaced:
// programs print anything, and a judgement is stored as JSON, which must be valid UTF-8.
std::string capped_utf8(std::string_view text, size_t cap) {
  std::string out;
  out.reserve(std::min(text.size(), cap));
  size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    bool valid = len > 0 && i + len <= text.size();
    for (size_t k = 1; valid && k < len; ++k)
      valid = (static_cast<unsigned char>(text[i + k]) & 0xC0) == 0x80;
    if (valid && len == 2) valid = c >= 0xC2;
    if (valid && len == 3) {
      const auto c1 = static_cast<unsigned char>(text[i + 1]);
      valid = !(c == 0xE0 && c1 < 0xA0) && !(c == 0xED && c1 >= 0xA0);
    }
    if (valid && len == 4) {
      const auto c1 = static_cast<unsigned char>(text[i + 1]);
      valid = c <= 0xF4 && !(c == 0xF0 && c1 < 0x90) && !(c == 0xF4 && c1 >= 0x90);
    }
    const std::string_view piece = valid ? text.substr(i, len) : std::string_view("\xEF\xBF\xBD");
    if (out.size() + piece.size() > cap) break;
    out += piece;
    i += valid ? len : 1;
  }
  return out;
}

// The last `keep` bytes of a stderr, for messages.
std::string tail_of(const std::string& text, size_t keep) {
  return text.size() <= keep ? text : "..." + text.substr(text.size() - keep);
}

std::string test_word(int n) { return n == 1 ? "test" : "tests"; }

struct SampleState {
  std::optional<std::string> program;
  const CodeSpec* spec = nullptr;
  std::vector<std::optional<TestOutcome>> outcomes;
  std::atomic<int> min_failure{INT_MAX};
};

TestOutcome run_test(const SandboxConfig& config, const std::string& program, const CodeSpec& spec, int index,
                     const std::function<bool()>& cancelled) {
  const TestCase& test = spec.tests[static_cast<size_t>(index)];
  RunLimits limits{config.time_limit_for(spec), config.memory_limit_for(spec)};
  RunResult run = run_program(config, program, test.input, limits, cancelled);
  TestOutcome outcome;
  outcome.index = index;
  outcome.verdict = run.verdict;
  outcome.seconds = run.seconds;
  outcome.exit_code = run.exit_code;
  outcome.actual = capped_utf8(run.stdout_text, kOutcomeTextCap);
  if (run.verdict == CodeVerdict::Accepted) {
    OutputMatch match = match_output(run.stdout_text, test.output);
    if (!match.matches) {
      outcome.verdict = CodeVerdict::WrongAnswer;
      outcome.message = capped_utf8(match.reason, kOutcomeTextCap);
    }
  } else {
    std::string message = run.message;
    const bool show_stderr = run.verdict == CodeVerdict::RuntimeError || run.verdict == CodeVerdict::SyntaxError ||
                             run.verdict == CodeVerdict::MemoryLimit;
    if (show_stderr && !run.stderr_tail.empty()) message += "\n" + tail_of(run.stderr_tail, 3000);
    outcome.message = capped_utf8(message, kOutcomeTextCap);
  }
  return outcome;
}

CodeJudgement assemble(const SandboxConfig& config, SampleState& sample, StopPolicy policy) {
  const CodeSpec& spec = *sample.spec;
  CodeJudgement j;
  j.total = static_cast<int>(spec.tests.size());
  j.public_total = static_cast<int>(spec.public_count());
  j.sandboxed = config.mode == SandboxMode::Bubblewrap;
  if (!sample.program) {
    j.verdict = CodeVerdict::NoCode;
    j.message = "no code: the completion has no ```python block";
    return j;
  }
  j.program = *sample.program;
  if (spec.tests.empty()) {
    // Nothing can show the program right; for pruning, unverified is not correct.
    j.verdict = CodeVerdict::WrongAnswer;
    j.message = "the problem has no tests";
    return j;
  }
  const int last = policy == StopPolicy::FirstFailure && sample.min_failure.load() != INT_MAX
                       ? sample.min_failure.load()
                       : j.total - 1;
  for (int i = 0; i <= last; ++i) {
    auto& outcome = sample.outcomes[static_cast<size_t>(i)];
    if (!outcome) continue;  // cannot happen: every test up to the first failure runs
    ++j.run;
    if (outcome->verdict == CodeVerdict::Accepted) {
      ++j.passed;
      if (i < j.public_total) ++j.public_passed;
    } else if (!j.first_failure) {
      j.first_failure = i;
      j.verdict = outcome->verdict;
    }
    j.tests.push_back(std::move(*outcome));
  }
  if (!j.first_failure) {
    j.verdict = CodeVerdict::Accepted;
    j.message = "accepted: passed all " + std::to_string(j.total) + " " + test_word(j.total);
  } else {
    j.message = std::string(describe(j.verdict)) + " on test " + std::to_string(*j.first_failure + 1) + " of " +
                std::to_string(j.total) + " (" + std::to_string(j.passed) + " passed)";
  }
  return j;
}

// The work of judge_many once each sample has its program (or none).
std::vector<CodeJudgement> judge_programs(const SandboxConfig& config,
                                          const std::vector<std::optional<std::string>>& programs,
                                          const std::vector<const CodeSpec*>& specs, StopPolicy policy,
                                          const std::atomic<bool>* stop) {
  std::vector<SampleState> samples(programs.size());
  std::vector<std::pair<int, int>> queue;  // (sample, test) in the order they start
  for (size_t s = 0; s < programs.size(); ++s) {
    if (!specs[s]) throw Error("judge: task " + std::to_string(s) + " has no problem spec");
    samples[s].spec = specs[s];
    samples[s].program = programs[s];
    samples[s].outcomes.resize(specs[s]->tests.size());
    if (!samples[s].program) continue;
    for (size_t t = 0; t < specs[s]->tests.size(); ++t) queue.emplace_back(static_cast<int>(s), static_cast<int>(t));
  }

  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  std::exception_ptr error;
  std::mutex error_mutex;
  auto stopped = [&] { return failed.load() || (stop && stop->load()); };
  auto worker = [&] {
    while (!stopped()) {
      const size_t k = next.fetch_add(1);
      if (k >= queue.size()) return;
      // Plain variables, not a structured binding: the lambdas below capture t, which C++17
      // allows only for variables (clang refuses to capture a binding).
      const int s = queue[k].first, t = queue[k].second;
      SampleState& sample = samples[static_cast<size_t>(s)];
      // Past a failure already seen, the test cannot change the judgement.
      auto superseded = [&] { return policy == StopPolicy::FirstFailure && t > sample.min_failure.load(); };
      if (superseded()) continue;
      try {
        TestOutcome outcome =
            run_test(config, *sample.program, *sample.spec, t, [&] { return stopped() || superseded(); });
        if (superseded() || stopped()) continue;  // killed part-way: not a result
        if (outcome.verdict != CodeVerdict::Accepted) {
          int seen = sample.min_failure.load();
          while (t < seen && !sample.min_failure.compare_exchange_weak(seen, t)) {
          }
        }
        sample.outcomes[static_cast<size_t>(t)] = std::move(outcome);
      } catch (...) {
        std::lock_guard<std::mutex> lock(error_mutex);
        if (!error) error = std::current_exception();
        failed = true;
      }
    }
  };
  const int count = std::max(1, std::min<int>(config.worker_count(), static_cast<int>(queue.size())));
  std::vector<std::thread> threads;
  for (int i = 1; i < count; ++i) threads.emplace_back(worker);
  worker();
  for (auto& th : threads) th.join();
  if (error) std::rethrow_exception(error);
  if (stop && stop->load()) throw Error("judging stopped");

  std::vector<CodeJudgement> judgements;
  judgements.reserve(samples.size());
  for (auto& sample : samples) judgements.push_back(assemble(config, sample, policy));
  return judgements;
}

}  // namespace

std::vector<CodeJudgement> judge_many(const SandboxConfig& config, const std::vector<JudgeTask>& tasks,
                                      StopPolicy policy, const std::atomic<bool>* stop) {
  std::vector<std::optional<std::string>> programs;
  std::vector<const CodeSpec*> specs;
  for (const auto& task : tasks) {
    programs.push_back(extract_program(task.completion));
    specs.push_back(task.spec);
  }
  return judge_programs(config, programs, specs, policy, stop);
}

CodeJudgement judge_completion(const SandboxConfig& config, std::string_view completion, const CodeSpec& spec,
                               StopPolicy policy, const std::atomic<bool>* stop) {
  return judge_many(config, {JudgeTask{completion, &spec}}, policy, stop).front();
}

CodeJudgement judge_program(const SandboxConfig& config, const std::string& program, const CodeSpec& spec,
                            StopPolicy policy, const std::atomic<bool>* stop) {
  return judge_programs(config, {program}, {&spec}, policy, stop).front();
}

}  // namespace tpt::code
