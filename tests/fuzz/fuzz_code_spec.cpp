// A code problem's tests as they travel in its gold text (code/code_problem.h: CodeSpec), and a
// stored judgement (CodeJudgement). Checked: is_spec agrees with what parse accepts where it
// must; public tests come first; to_json -> from_json gives the same spec and judgement back.
#include "code/code_problem.h"
#include "core/error.h"
#include "fuzz_support.h"
#include "io/json_parse.h"

using namespace tpt;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text = fuzz::as_text(data, size);
  (void)code::CodeSpec::is_spec(text);

  try {
    const code::CodeSpec spec = code::CodeSpec::parse(text);
    const size_t publics = spec.public_count();
    for (size_t i = 0; i < spec.tests.size(); ++i)
      FUZZ_EXPECT((i < publics) == (spec.tests[i].kind == "public"), "public tests are not first");
    const nlohmann::json j = spec.to_json();
    const std::string dumped = j.dump();
    // The engine tells a code gold from a math one by is_spec: every spec it writes must say so.
    FUZZ_EXPECT(code::CodeSpec::is_spec(dumped), "is_spec refuses a written spec: " + fuzz::show(dumped));
    const code::CodeSpec back = code::CodeSpec::parse(dumped);
    FUZZ_EXPECT(back.to_json() == j, "a spec changed by to_json and parse: " + fuzz::show(dumped));
  } catch (const Error&) {
  }

  // A judgement as the store keeps it (the engine's own JSON, read back when rules are applied
  // again).
  nlohmann::json doc;
  try {
    doc = io::parse_json_bounded(text);
  } catch (const nlohmann::json::parse_error&) {
    return 0;
  }
  try {
    const code::CodeJudgement judgement = code::CodeJudgement::from_json(doc);
    const nlohmann::json j = judgement.to_json();
    FUZZ_EXPECT(code::CodeJudgement::from_json(j).to_json() == j, "a judgement changed by to_json and from_json");
  } catch (const Error&) {
  }
  return 0;
}
