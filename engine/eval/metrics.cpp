#include "eval/metrics.h"

#include "prune/code_verifier.h"


#include "core/error.h"

namespace tpt::eval {

double pass_at_k(int64_t n, int64_t c, int64_t k) {
  if (k < 1 || k > n || c < 0 || c > n)
    throw Error("pass@k needs 1 <= k <= n and 0 <= c <= n; got n = " + std::to_string(n) + ", c = " +
                std::to_string(c) + ", k = " + std::to_string(k));
  // Fewer than k wrong answers: every draw of k holds a correct one.
  if (n - c < k) return 1.0;
  // C(n-c, k) / C(n, k) = prod_{i = n-c+1}^{n} (1 - k / i)
  double none_correct = 1.0;
  for (int64_t i = n - c + 1; i <= n; ++i) none_correct *= 1.0 - static_cast<double>(k) / static_cast<double>(i);
  return 1.0 - none_correct;
}

prune::VerifierConfig strict_checker() {
  prune::VerifierConfig c;
  c.extractor = prune::Extractor::Strict;
  c.normalize = prune::NormalizeConfig::exact();
  return c;
}

prune::VerifierConfig flexible_checker() {
  prune::VerifierConfig c;
  c.extractor = prune::Extractor::Flexible;
  c.normalize = prune::NormalizeConfig::numeric();
  return c;
}

Judged judge(const std::string& completion, const std::string& gold) {
  static const prune::VerifierConfig strict = strict_checker(), flexible = flexible_checker();
  const prune::Judgement s = prune::judge(strict, completion, gold);
  const prune::Judgement f = prune::judge(flexible, completion, gold);
  Judged j;
  j.extracted_strict = s.extracted;
  j.extracted_flexible = f.extracted;
  j.correct_strict = s.verdict == prune::Verdict::Correct;
  j.correct_flexible = f.verdict == prune::Verdict::Correct;
  return j;
}

std::vector<Judged> judge_all(const std::vector<Answered>& answers, const code::SandboxConfig& sandbox,
                              const std::atomic<bool>* stop) {
  std::vector<prune::Verifier::Item> items;
  items.reserve(answers.size());
  for (const auto& a : answers) items.push_back({a.completion, a.gold});
  // Math answers go through judge() below; the verifier is asked only for code ones.
  const prune::ProblemVerifier verifier({}, sandbox, code::StopPolicy::FirstFailure, stop);
  std::vector<prune::Verifier::Item> code_items;
  std::vector<size_t> code_index;
  std::vector<Judged> out(answers.size());
  for (size_t i = 0; i < answers.size(); ++i) {
    if (code::CodeSpec::is_spec(answers[i].gold)) {
      code_items.push_back(items[i]);
      code_index.push_back(i);
    } else {
      out[i] = judge(std::string(answers[i].completion), std::string(answers[i].gold));
    }
  }
  if (code_items.empty()) return out;
  const std::vector<prune::Judgement> judged = verifier.judge_all(code_items);
  for (size_t k = 0; k < judged.size(); ++k) {
    const code::CodeJudgement& c = *judged[k].code;
    Judged& j = out[code_index[k]];
    j.correct_strict = c.verdict == code::CodeVerdict::Accepted;
    j.correct_flexible = c.public_total > 0 && c.public_passed == c.public_total;
    if (c.verdict != code::CodeVerdict::NoCode) {
      j.extracted_strict = c.message;
      j.extracted_flexible = "public tests " + std::to_string(c.public_passed) + "/" + std::to_string(c.public_total);
    }
    j.detail = c.to_json().dump();
  }
  return out;
}

void tally(store::ProblemResult& result, int sample_index, const Judged& judged) {
  ++result.samples;
  result.correct_strict += judged.correct_strict;
  result.correct_flexible += judged.correct_flexible;
  if (sample_index < 64) {
    if (judged.correct_strict) result.strict_mask |= uint64_t{1} << sample_index;
    if (judged.correct_flexible) result.flexible_mask |= uint64_t{1} << sample_index;
  }
}

Scores score(const std::vector<store::ProblemResult>& results, const std::vector<int64_t>& ks) {
  if (results.empty()) throw Error("no evaluated problems to score");
  Scores s;
  s.problems = static_cast<int64_t>(results.size());
  double strict = 0, flexible = 0;
  for (const auto& r : results) {
    s.samples += r.samples;
    strict += static_cast<double>(r.correct_strict) / r.samples;
    flexible += static_cast<double>(r.correct_flexible) / r.samples;
  }
  s.pass1_strict = strict / s.problems;
  s.pass1_flexible = flexible / s.problems;
  for (int64_t k : ks) {
    double ps = 0, pf = 0, cs = 0, cf = 0;
    int64_t counted = 0;
    const uint64_t first_k = k >= 64 ? ~uint64_t{0} : (uint64_t{1} << k) - 1;
    for (const auto& r : results) {
      if (r.samples < k) continue;
      ++counted;
      ps += pass_at_k(r.samples, r.correct_strict, k);
      pf += pass_at_k(r.samples, r.correct_flexible, k);
      cs += (r.strict_mask & first_k) != 0;
      cf += (r.flexible_mask & first_k) != 0;
    }
    if (counted == 0) continue;
    s.pass_at_k_strict[k] = ps / counted;
    s.pass_at_k_flexible[k] = pf / counted;
    s.correct_at_k_strict[k] = cs / counted;
    s.correct_at_k_flexible[k] = cf / counted;
  }
  return s;
}

std::map<std::string, double> to_metrics(const Scores& s) {
  std::map<std::string, double> m;
  m["pass@1.strict"] = s.pass1_strict;
  m["pass@1.flexible"] = s.pass1_flexible;
  for (const auto& [k, v] : s.pass_at_k_strict) m["pass@" + std::to_string(k) + ".strict"] = v;
  for (const auto& [k, v] : s.pass_at_k_flexible) m["pass@" + std::to_string(k) + ".flexible"] = v;
  for (const auto& [k, v] : s.correct_at_k_strict) m["correct@" + std::to_string(k) + ".strict"] = v;
  for (const auto& [k, v] : s.correct_at_k_flexible) m["correct@" + std::to_string(k) + ".flexible"] = v;
  m["eval.problems"] = static_cast<double>(s.problems);
  m["eval.samples"] = static_cast<double>(s.samples);
  return m;
}

}  // namespace tpt::eval
