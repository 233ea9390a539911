#include "prune/verifier.h"

#include "core/text.h"
#include "io/json_fields.h"

namespace tpt::prune {

using nlohmann::json;

const char* to_string(Verdict verdict) {
  switch (verdict) {
    case Verdict::Correct: return "correct";
    case Verdict::Wrong: return "wrong";
    case Verdict::NoAnswer: return "no_answer";
  }
  return "no_answer";
}

std::optional<Verdict> parse_verdict(std::string_view text) {
  if (text == "correct") return Verdict::Correct;
  if (text == "wrong") return Verdict::Wrong;
  if (text == "no_answer") return Verdict::NoAnswer;
  return std::nullopt;
}

VerifierConfig VerifierConfig::parse(const json& j, const std::string& path, std::vector<FieldIssue>& issues) {
  VerifierConfig config;
  io::JsonObjectReader reader(j, path, issues);
  std::string extractor = to_string(config.extractor);
  reader.choice("extractor", extractor, extractor_names());
  config.extractor = parse_extractor(extractor).value_or(Extractor::Strict);
  if (const json* normalize = reader.child("normalize"))
    config.normalize = NormalizeConfig::parse(*normalize, reader.child_path("normalize"), issues);
  reader.finish();
  return config;
}

json VerifierConfig::to_json() const {
  return json{{"extractor", to_string(extractor)}, {"normalize", normalize.to_json()}};
}

std::string VerifierConfig::describe() const { return std::string(to_string(extractor)) + ", " + normalize.describe(); }

namespace {

std::string in_quotes(std::string_view s) { return "\"" + excerpt(s, 40) + "\""; }

std::string no_answer_reason(Extractor extractor) {
  switch (extractor) {
    case Extractor::Strict: return "no \"####\" answer found";
    case Extractor::Flexible: return "no number found";
    case Extractor::Boxed: return "no \\boxed{} answer found";
  }
  return "no answer found";
}

}  // namespace

Judgement judge(const VerifierConfig& config, std::string_view completion, std::string_view gold) {
  Judgement j;
  if (auto answer = extract_gold(gold)) {
    j.gold_answer = std::move(*answer);
    j.gold = normalize_answer(j.gold_answer, config.normalize);
  }
  j.extracted = extract_answer(config.extractor, completion);
  if (!j.extracted) {
    j.verdict = Verdict::NoAnswer;
    j.reason = no_answer_reason(config.extractor);
    return j;
  }
  j.prediction = normalize_answer(*j.extracted, config.normalize);
  const bool gold_ok = !j.gold.empty();
  j.verdict = gold_ok && j.prediction == j.gold ? Verdict::Correct : Verdict::Wrong;
  if (j.verdict == Verdict::Wrong)
    j.reason = j.gold_answer.empty() ? "gold answer is empty (extracted " + in_quotes(*j.extracted) + ")"
                                     : "extracted " + in_quotes(*j.extracted) + " != gold " + in_quotes(j.gold_answer) +
                                           " (" + config.describe() + ")";
  return j;
}

}  // namespace tpt::prune
