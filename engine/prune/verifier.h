// Judging one completion against its reference: the Verifier interface Prune asks (a verdict
// with its reason), and the math verifier behind it today: extract (extract.h), normalise both
// sides (normalize.h), compare the strings. Another domain (code run against unit tests) adds
// a Verifier of its own; the rules and the decision records stay the same.
//
//   VerifierConfig config;                       // {"extractor": "strict", "normalize": "numeric"}
//   Judgement j = judge(config, completion, "18");
//   j.verdict == Verdict::Correct
//
// The gold may be a bare answer ("18") or a whole GSM8K solution ("...\n#### 18"): it goes
// through extract_gold first, so callers need not know which one they hold.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "code/code_problem.h"
#include "core/error.h"
#include "prune/extract.h"
#include "prune/normalize.h"

namespace tpt::prune {

enum class Verdict { Correct, Wrong, NoAnswer };

const char* to_string(Verdict verdict);  // "correct", "wrong", "no_answer"
std::optional<Verdict> parse_verdict(std::string_view text);

struct Judgement {
  Verdict verdict = Verdict::NoAnswer;
  std::optional<std::string> extracted;  // raw text the extractor matched; nullopt: no answer
  std::string prediction;                // normalised `extracted` ("" when there is none)
  std::string gold_answer;               // the gold answer before normalisation ("18")
  std::string gold;                      // normalised gold
  // Why the verdict is not Correct, for decision records ("no \"####\" answer found",
  // "extracted \"17\" != gold \"18\" (strict, numeric)"); empty when Correct.
  std::string reason;
  // Code problems: the program's run against the tests (verdict set from it: accepted ->
  // Correct, no code -> NoAnswer, anything else -> Wrong; `extracted` is the program).
  std::optional<code::CodeJudgement> code;
};

struct VerifierConfig {
  Extractor extractor = Extractor::Strict;
  NormalizeConfig normalize = NormalizeConfig::numeric();

  // JSON: {"extractor": "strict"|"flexible"|"boxed", "normalize": "<preset>" | {booleans}};
  // absent keys keep the defaults above.
  static VerifierConfig parse(const nlohmann::json& j, const std::string& path, std::vector<FieldIssue>& issues);
  nlohmann::json to_json() const;
  // "strict, numeric" — how decision reasons name the verifier.
  std::string describe() const;

  bool operator==(const VerifierConfig& o) const { return extractor == o.extractor && normalize == o.normalize; }
  bool operator!=(const VerifierConfig& o) const { return !(*this == o); }
};

// A gold answer that is empty (a solution ending in "####" and nothing) matches nothing: any
// extracted answer is Wrong against it, so a broken gold never produces a kept sample.
Judgement judge(const VerifierConfig& config, std::string_view completion, std::string_view gold);

// What Prune asks of a domain's checker.
class Verifier {
 public:
  virtual ~Verifier() = default;
  // `gold` is the problem's reference: a gold answer or a whole gold solution.
  virtual Judgement judge(std::string_view completion, std::string_view gold) const = 0;
  // Judges many samples at once; a verifier that runs programs overrides it to keep every
  // worker busy across samples. The default judges one after the other.
  struct Item {
    std::string_view completion;
    std::string_view gold;
    std::string_view judged = {};  // a stored judgement a verifier may reuse (PruneSample::judged)
  };
  virtual std::vector<Judgement> judge_all(const std::vector<Item>& items) const {
    std::vector<Judgement> out;
    out.reserve(items.size());
    for (const auto& item : items) out.push_back(judge(item.completion, item.gold));
    return out;
  }
};

// Math answers: the extractor and normalisation of a VerifierConfig.
class AnswerVerifier final : public Verifier {
 public:
  AnswerVerifier() = default;
  explicit AnswerVerifier(VerifierConfig config) : config_(std::move(config)) {}
  const VerifierConfig& config() const { return config_; }
  Judgement judge(std::string_view completion, std::string_view gold) const override {
    return prune::judge(config_, completion, gold);
  }

 private:
  VerifierConfig config_;
};

}  // namespace tpt::prune
