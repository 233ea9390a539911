// GSM8K files (data/gsm8k.h), read from a file holding the input under both policies. Checked:
// each problem's gold is what extract_gold reads from its solution, ids are unique and stable
// (the same file read twice gives the same ids), the counts add up.
#include <set>

#include "core/error.h"
#include "data/gsm8k.h"
#include "fuzz_support.h"
#include "prune/extract.h"

using namespace tpt;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static fuzz::InputFile input;
  const std::string& path = input.write(fuzz::as_text(data, size));
  data::Gsm8kOptions options;
  options.on_malformed = io::OnMalformed::Skip;
  options.id_prefix = "test";
  const data::ProblemSet set = data::load_gsm8k(path, options);
  std::set<std::string> ids;
  for (const data::Problem& p : set.problems) {
    FUZZ_EXPECT(ids.insert(p.id).second, "id " + fuzz::show(p.id) + " given twice");
    FUZZ_EXPECT(!p.gold.empty() && prune::extract_gold(p.solution) == p.gold,
                "gold " + fuzz::show(p.gold) + " is not the solution's");
    FUZZ_EXPECT(p.solution.find("####") != std::string::npos, "a solution without \"####\" kept");
  }
  FUZZ_EXPECT(static_cast<long>(set.problems.size()) == set.report.records, "problems and records differ");

  const data::ProblemSet again = data::load_gsm8k(path, options);
  FUZZ_EXPECT(again.problems.size() == set.problems.size(), "the same file read twice differs");
  for (size_t i = 0; i < set.problems.size(); ++i)
    FUZZ_EXPECT(again.problems[i].id == set.problems[i].id, "ids are not stable");

  options.on_malformed = io::OnMalformed::Fail;
  try {
    const data::ProblemSet strict = data::load_gsm8k(path, options);
    FUZZ_EXPECT(set.report.skipped == 0 && strict.problems.size() == set.problems.size(),
                "\"fail\" accepted what \"skip\" left out");
  } catch (const FileError&) {
    FUZZ_EXPECT(set.report.skipped > 0, "\"fail\" refused a file in which \"skip\" found nothing malformed");
  }
  return 0;
}
