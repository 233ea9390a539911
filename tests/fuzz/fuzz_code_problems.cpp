// Programming-problem files (data/code_problems.h) in the three code formats: codecontests,
// apps and the workbench's own "code", read from a file holding the input, under both
// malformed-line policies. Checked: every problem kept has a gold that parses as a CodeSpec with
// tests, ids are unique, the counts add up.
#include <set>

#include "code/code_problem.h"
#include "core/error.h"
#include "data/code_problems.h"
#include "fuzz_support.h"

using namespace tpt;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static fuzz::InputFile input;
  const std::string& path = input.write(fuzz::as_text(data, size));
  for (const char* format : {"codecontests", "apps", "code"}) {
    data::ProblemSetOptions options;
    options.format = format;
    options.on_malformed = io::OnMalformed::Skip;
    data::ProblemSet set;
    try {
      set = data::load_problem_set(path, options);
    } catch (const FileError&) {
      FUZZ_EXPECT(false, std::string("under \"skip\" a ") + format + " file was refused");
    }
    std::set<std::string> ids;
    long tests = 0;
    for (const data::Problem& p : set.problems) {
      FUZZ_EXPECT(ids.insert(p.id).second, "id " + fuzz::show(p.id) + " given twice");
      FUZZ_EXPECT(code::CodeSpec::is_spec(p.gold), "gold is not a code spec: " + fuzz::show(p.gold));
      const code::CodeSpec spec = code::CodeSpec::parse(p.gold);
      FUZZ_EXPECT(!spec.tests.empty(), "a problem without tests kept");
      tests += static_cast<long>(spec.tests.size());
    }
    FUZZ_EXPECT(tests == set.tests.total &&
                    set.tests.total == set.tests.public_tests + set.tests.private_tests + set.tests.generated_tests,
                "test counts do not add up");
    FUZZ_EXPECT(static_cast<long>(set.problems.size()) + set.skipped() == set.report.records + set.report.skipped,
                "problems kept and lines left out do not add up to the lines read");

    // Under "fail" the same file loads the same problems, or stops at a line "skip" left out.
    options.on_malformed = io::OnMalformed::Fail;
    try {
      const data::ProblemSet strict = data::load_problem_set(path, options);
      FUZZ_EXPECT(set.report.skipped == 0, "\"fail\" accepted a file in which \"skip\" left lines out");
      FUZZ_EXPECT(strict.problems.size() == set.problems.size(), "\"fail\" and \"skip\" kept different problems");
    } catch (const FileError&) {
      FUZZ_EXPECT(set.report.skipped > 0, "\"fail\" refused a file in which \"skip\" found nothing malformed");
    }
  }
  return 0;
}
