#include "prune/code_verifier.h"

#include <algorithm>
#include <mutex>
#include <unordered_map>

#include "core/hash.h"

namespace tpt::prune {

namespace {

// Judgements by (completion, gold, limits, policy). The key leaves out what cannot change a
// verdict (the number of workers). Bounded: a process that judges millions of programs
// starts over rather than growing without end.
class JudgementCache {
 public:
  static constexpr size_t kMaxEntries = 200000;

  std::optional<code::CodeJudgement> find(uint64_t key) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = map_.find(key);
    if (it == map_.end()) return std::nullopt;
    return it->second;
  }
  void put(uint64_t key, const code::CodeJudgement& judgement) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (map_.size() >= kMaxEntries) map_.clear();
    map_[key] = judgement;
  }
  void clear() {
    std::lock_guard<std::mutex> lock(mutex_);
    map_.clear();
  }

 private:
  std::mutex mutex_;
  std::unordered_map<uint64_t, code::CodeJudgement> map_;
};

JudgementCache& cache() {
  static JudgementCache instance;
  return instance;
}

uint64_t cache_key(const code::SandboxConfig& sandbox, code::StopPolicy policy, std::string_view completion,
                   std::string_view gold) {
  code::SandboxConfig limits = sandbox;
  limits.workers = 0;
  uint64_t h = fnv1a64(limits.to_json().dump());
  h = fnv1a64(policy == code::StopPolicy::RunAll ? "all" : "first", h);
  h = fnv1a64(std::to_string(completion.size()) + ":", h);
  h = fnv1a64(completion, h);
  return fnv1a64(gold, h);
}

}  // namespace

void clear_code_judgement_cache() { cache().clear(); }

Judgement to_judgement(const code::CodeJudgement& c) {
  Judgement j;
  j.verdict = c.verdict == code::CodeVerdict::Accepted ? Verdict::Correct
              : c.verdict == code::CodeVerdict::NoCode ? Verdict::NoAnswer
                                                        : Verdict::Wrong;
  if (c.verdict != code::CodeVerdict::NoCode) {
    j.extracted = c.program;
    j.prediction = std::string(code::to_string(c.verdict)) + " " + std::to_string(c.passed) + "/" +
                   std::to_string(c.total);
  }
  j.gold = std::to_string(c.total) + " tests";
  if (j.verdict != Verdict::Correct) j.reason = c.message;
  j.code = c;
  return j;
}

ProblemVerifier::ProblemVerifier(VerifierConfig math, code::SandboxConfig sandbox, code::StopPolicy policy,
                                 const std::atomic<bool>* stop, Progress progress)
    : math_(std::move(math)), sandbox_(std::move(sandbox)), policy_(policy), stop_(stop), progress_(std::move(progress)) {}

Judgement ProblemVerifier::judge(std::string_view completion, std::string_view gold) const {
  return judge_all({{completion, gold}}).front();
}

std::vector<Judgement> ProblemVerifier::judge_all(const std::vector<Item>& items) const {
  std::vector<Judgement> out(items.size());
  // Code items not yet judged, with their parsed specs; judged together so that every worker
  // stays busy across samples.
  std::vector<size_t> pending;
  std::vector<uint64_t> keys(items.size(), 0);
  std::unordered_map<std::string_view, code::CodeSpec> specs;
  for (size_t i = 0; i < items.size(); ++i) {
    const Item& item = items[i];
    if (!code::CodeSpec::is_spec(item.gold)) {
      out[i] = prune::judge(math_, item.completion, item.gold);
      continue;
    }
    if (!item.judged.empty() && policy_ == code::StopPolicy::RunAll) {
      // Judged by an earlier Prune of this round, under the round's own limits (a change of
      // limits needs a fork): the stored result is the one a new run would give.
      try {
        out[i] = to_judgement(code::CodeJudgement::from_json(nlohmann::json::parse(item.judged)));
        continue;
      } catch (const std::exception&) {
        // Unreadable: judge it again below.
      }
    }
    keys[i] = cache_key(sandbox_, policy_, item.completion, item.gold);
    if (auto hit = cache().find(keys[i])) {
      out[i] = to_judgement(*hit);
      continue;
    }
    if (!specs.count(item.gold)) specs.emplace(item.gold, code::CodeSpec::parse(item.gold));
    pending.push_back(i);
  }
  const size_t total = items.size();
  size_t done = total - pending.size();
  if (progress_ && !progress_(done, total)) throw JudgingStopped();
  // In chunks, so that a round of thousands of programs reports progress and can be paused
  // or stopped between chunks; a chunk is big enough to keep every worker busy.
  const size_t chunk = std::max<size_t>(16, 4 * static_cast<size_t>(sandbox_.worker_count()));
  for (size_t begin = 0; begin < pending.size(); begin += chunk) {
    const size_t end = std::min(pending.size(), begin + chunk);
    std::vector<code::JudgeTask> tasks;
    tasks.reserve(end - begin);
    for (size_t t = begin; t < end; ++t) tasks.push_back({items[pending[t]].completion, &specs.at(items[pending[t]].gold)});
    std::vector<code::CodeJudgement> judged;
    try {
      judged = code::judge_many(sandbox_, tasks, policy_, stop_);
    } catch (const Error&) {
      if (stop_ && stop_->load()) throw JudgingStopped();
      throw;
    }
    for (size_t t = begin; t < end; ++t) {
      cache().put(keys[pending[t]], judged[t - begin]);
      out[pending[t]] = to_judgement(judged[t - begin]);
    }
    done += end - begin;
    if (progress_ && !progress_(done, total)) throw JudgingStopped();
  }
  return out;
}

}  // namespace tpt::prune
