// Rule sets (prune/rule_set.h): a rule-set file as JSON. Checked: a rule set read from JSON is
// written back to JSON that reads as the same rule set (to_json is documented to round-trip),
// parse and from_json agree, and applying it to a few fixed samples gives one decision per
// sample, twice the same.
#include <optional>

#include "core/error.h"
#include "fuzz_support.h"
#include "io/json_parse.h"
#include "prune/rule_set.h"

using namespace tpt;

namespace {

std::vector<prune::PruneSample> samples() {
  std::vector<prune::PruneSample> s(6);
  s[0] = {1, "p1", "3 + 4 = <<3+4=7>>7\n#### 7", "7", 12};
  s[1] = {2, "p1", "So the answer is $1,000.", "1000", 9};
  s[2] = {3, "p1", "The answer is \\boxed{12.0}", "12", 400};
  s[3] = {4, "p2", "<<2*3=5>>5 #### 5", "6", -1};
  s[4] = {5, "p2", "", "#### 6", 0, true};
  s[5] = {6, "p2", "#### 6", "6", 3};
  s[5].annotation = prune::AnnotationLabel::Reject;
  s[5].annotator = "fuzz";
  return s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  nlohmann::json doc;
  try {
    doc = io::parse_json_bounded(fuzz::as_text(data, size));
  } catch (const nlohmann::json::parse_error&) {
    return 0;
  }
  std::vector<FieldIssue> issues;
  const prune::RuleSet parsed = prune::RuleSet::parse(doc, "", issues);
  std::optional<prune::RuleSet> set;
  try {
    set.emplace(prune::RuleSet::from_json(doc, "rules.json"));
  } catch (const ValidationError& e) {
    FUZZ_EXPECT(!issues.empty() && e.issues().size() == issues.size(), "parse and from_json disagree on the issues");
    return 0;
  }
  FUZZ_EXPECT(issues.empty(), "from_json accepted what parse found issues in");
  FUZZ_EXPECT(parsed == *set, "parse and from_json read different rule sets");

  const nlohmann::json written = set->to_json();
  const prune::RuleSet back = prune::RuleSet::from_json(written, "written");
  FUZZ_EXPECT(back == *set, "to_json -> from_json changed the rule set: " + written.dump());
  FUZZ_EXPECT(back.to_json() == written, "to_json is not stable");

  const auto batch = samples();
  std::vector<prune::PruneSample> counted = batch;
  for (auto& s : counted)
    if (s.token_count < 0) s.token_count = 5;
  const auto& input = set->needs_token_counts() ? counted : batch;
  const auto decisions = set->apply(input);
  FUZZ_EXPECT(decisions.size() == input.size(), "one decision per sample");
  const auto again = set->apply(input);
  for (size_t i = 0; i < decisions.size(); ++i) {
    FUZZ_EXPECT(decisions[i].kept == again[i].kept && decisions[i].dropped_by == again[i].dropped_by,
                "the same samples decided differently");
    FUZZ_EXPECT(decisions[i].kept == decisions[i].dropped_by.empty(), "kept but dropped, or neither");
    (void)decisions[i].verdicts_json().dump();
  }
  return 0;
}
