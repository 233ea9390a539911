// JSONL reading (io/jsonl.h) under both malformed-line policies, with a visitor that rejects
// records the way the problem readers do. Checked: "skip" never throws and its counts add up,
// lines come in order, "fail" fails exactly when "skip" skipped something.
#include "core/error.h"
#include "fuzz_support.h"
#include "io/jsonl.h"

using namespace tpt;

namespace {

void visit(long, const nlohmann::json& record) {
  if (!record.is_object()) throw io::RecordError("expected an object");
  if (record.contains("answer")) io::require_string(record, "answer");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(fuzz::as_text(data, size));
  long last_line = 0, visited = 0;
  const io::JsonlReport skip = io::read_jsonl_text(text, "fuzz.jsonl", io::OnMalformed::Skip,
                                                   [&](long line, const nlohmann::json& record) {
                                                     FUZZ_EXPECT(line > last_line, "lines out of order");
                                                     last_line = line;
                                                     visit(line, record);
                                                     ++visited;
                                                   });
  FUZZ_EXPECT(skip.records == visited, "records counted differ from records accepted");
  FUZZ_EXPECT(skip.records + skip.skipped <= skip.lines, "more records than lines");
  FUZZ_EXPECT(last_line <= skip.lines, "a record past the last line");
  FUZZ_EXPECT((skip.skipped > 0) == (skip.first_skipped_line > 0), "first skipped line");
  FUZZ_EXPECT(skip.problems.size() == std::min<size_t>(skip.skipped, io::JsonlReport::kMaxProblems),
              "one message per skipped line, up to the cap");

  try {
    const io::JsonlReport fail = io::read_jsonl_text(text, "fuzz.jsonl", io::OnMalformed::Fail, visit);
    FUZZ_EXPECT(skip.skipped == 0, "\"fail\" accepted what \"skip\" skipped");
    FUZZ_EXPECT(fail.records == skip.records && fail.lines == skip.lines, "the policies read different records");
  } catch (const FileError& e) {
    FUZZ_EXPECT(skip.skipped > 0, std::string("\"fail\" refused what \"skip\" accepted: ") + e.what());
    FUZZ_EXPECT(e.where().line == skip.first_skipped_line, "\"fail\" stopped at another line than the first skipped");
  }
  return 0;
}
