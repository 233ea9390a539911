#include "data/gsm8k.h"

#include <filesystem>
#include <unordered_map>

#include "core/hash.h"
#include "core/text.h"
#include "prune/extract.h"

namespace tpt::data {

const char* to_string(SkipReason reason) {
  switch (reason) {
    case SkipReason::Malformed: return "malformed";
    case SkipReason::CallBased: return "call-based";
    case SkipReason::Images: return "images";
    case SkipReason::NoTests: return "no tests";
  }
  return "?";
}

long ProblemSet::skipped() const {
  long n = 0;
  for (const auto& g : skips) n += g.count;
  return n;
}

std::string problem_id(const std::string& prefix, const std::string& question, const std::string& solution) {
  // Unit separator between fields: "ab"+"c" and "a"+"bc" must not collide.
  uint64_t h = fnv1a64(solution, fnv1a64("\x1f", fnv1a64(question)));
  return prefix + "-" + hex64(h, 12);
}

ProblemSet load_gsm8k(const std::string& path, const Gsm8kOptions& options) {
  ProblemSet set;
  set.source = path;
  const std::string prefix =
      options.id_prefix.empty() ? std::filesystem::path(path).stem().string() : options.id_prefix;
  std::unordered_map<std::string, int> seen;
  set.report = io::read_jsonl(path, options.on_malformed, [&](long line, const nlohmann::json& record) {
    Problem p;
    p.line = line;
    p.question = io::require_string(record, options.question_field);
    p.solution = io::require_string(record, options.answer_field);
    if (trim(p.question).empty()) throw io::RecordError("field \"" + options.question_field + "\" is empty");
    if (p.solution.find("####") == std::string::npos)
      throw io::RecordError("field \"" + options.answer_field + "\" has no final \"#### <answer>\" line");
    auto gold = prune::extract_gold(p.solution);
    if (!gold || gold->empty())
      throw io::RecordError("field \"" + options.answer_field + "\" has an empty \"####\" line");
    p.gold = *gold;
    p.id = problem_id(prefix, p.question, p.solution);
    int& count = seen[p.id];
    if (++count > 1) {
      p.id += "-" + std::to_string(count);
      ++set.duplicate_ids;
    }
    set.problems.push_back(std::move(p));
  });
  if (set.report.skipped > 0)
    set.skips.push_back({SkipReason::Malformed, set.report.skipped, set.report.first_skipped_line,
                         set.report.problems.empty() ? std::string() : set.report.problems.front()});
  return set;
}

}  // namespace tpt::data
