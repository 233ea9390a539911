#include "prune/grade.h"

#include <iostream>

#include "prune/code_verifier.h"
#include "prune/extract.h"

namespace tpt::prune {

using nlohmann::json;

json GradeSummary::to_json() const {
  json by_rule = json::object();
  for (const auto& [rule, count] : dropped_by) by_rule[rule] = count;
  json j{{"samples", samples},     {"correct", correct}, {"wrong", wrong},
              {"no_answer", no_answer}, {"kept", kept},       {"dropped", samples - kept},
              {"dropped_by", by_rule},  {"accuracy", samples ? static_cast<double>(correct) / samples : 0.0},
              {"skipped_lines", skipped_lines}};
  if (!code_verdicts.empty()) j["code_verdicts"] = code_verdicts;
  return j;
}

static std::string id_of(const json& record, long line) {
  auto it = record.find("id");
  if (it == record.end() || it->is_null()) return std::to_string(line);
  if (it->is_string()) return it->get<std::string>();
  if (it->is_number_integer()) return std::to_string(it->get<int64_t>());
  throw io::RecordError("field \"id\" must be a string or an integer");
}

static AnnotationLabel annotation_of(const json& record) {
  auto it = record.find("annotation");
  if (it == record.end() || it->is_null()) return AnnotationLabel::None;
  if (!it->is_string()) throw io::RecordError("field \"annotation\" must be \"accept\", \"reject\" or \"flag\"");
  const std::string& label = it->get_ref<const std::string&>();
  if (label == "accept") return AnnotationLabel::Accept;
  if (label == "reject") return AnnotationLabel::Reject;
  if (label == "flag") return AnnotationLabel::Flag;
  if (label.empty()) return AnnotationLabel::None;
  throw io::RecordError("field \"annotation\" must be \"accept\", \"reject\" or \"flag\", got \"" + label + "\"");
}

GradeResult grade_jsonl(const std::string& path, const RuleSet& rules, const GradeOptions& options) {
  GradeResult result;
  std::vector<PruneSample> samples;
  auto visit = [&](long line, const json& record) {
    PruneSample s;
    s.id = static_cast<int64_t>(samples.size());
    s.completion = io::require_string(record, options.completion_field);
    const auto problem = record.find("problem");
    const bool named = problem != record.end() && problem->is_string();
    if (auto tests = record.find("tests"); tests != record.end()) {
      json spec{{"tests", *tests}};
      if (auto limit = record.find("time_limit_s"); limit != record.end()) spec["time_limit_s"] = *limit;
      try {
        s.gold = code::CodeSpec::from_json(spec).to_json().dump();
      } catch (const Error& e) {
        throw io::RecordError(std::string("field \"tests\": ") + e.what());
      }
    } else if (named && options.gold_by_problem.count(problem->get<std::string>()) &&
               !record.contains(options.answer_field)) {
      s.gold = options.gold_by_problem.at(problem->get<std::string>());
    } else {
      if (named && !options.gold_by_problem.empty() && !record.contains(options.answer_field))
        throw io::RecordError("field \"problem\": \"" + problem->get<std::string>().substr(0, 80) +
                              "\" is not a problem of the --dataset file");
      if (!record.contains(options.answer_field))
        throw io::RecordError("missing field \"" + options.answer_field + "\": a line needs a gold answer, code \"tests\", "
                              "or a \"problem\" of the --dataset file");
      auto gold = extract_gold(io::require_string(record, options.answer_field));
      if (!gold || gold->empty())
        throw io::RecordError("field \"" + options.answer_field + "\" holds no gold answer (empty, or \"####\" with nothing after it)");
      s.gold = *gold;
    }
    if (auto it = record.find("problem"); it != record.end() && !it->is_null()) {
      s.problem_key = it->is_string() ? it->get<std::string>() : it->dump();
    } else if (auto q = record.find("question"); q != record.end() && q->is_string()) {
      s.problem_key = q->get<std::string>();
    } else {
      s.problem_key = "line:" + std::to_string(line);
    }
    if (auto it = record.find("token_count"); it != record.end() && !it->is_null()) {
      if (!it->is_number_integer() || it->get<int64_t>() < 0)
        throw io::RecordError("field \"token_count\" must be a non-negative integer");
      s.token_count = it->get<int64_t>();
    } else if (rules.needs_token_counts()) {
      throw io::RecordError("the rule set bounds token counts, but this line has no \"token_count\"");
    }
    s.annotation = annotation_of(record);
    if (auto it = record.find("annotator"); it != record.end() && it->is_string()) s.annotator = it->get<std::string>();
    result.ids.push_back(id_of(record, line));
    result.lines.push_back(line);
    samples.push_back(std::move(s));
  };
  if (path == "-") {
    result.report = io::read_jsonl_stream(std::cin, "<stdin>", options.on_malformed, visit);
  } else {
    result.report = io::read_jsonl(path, options.on_malformed, visit);
  }
  result.decisions = rules.apply(samples, ProblemVerifier(rules.verifier(), options.sandbox));

  GradeSummary& sum = result.summary;
  sum.skipped_lines = result.report.skipped;
  for (const Decision& d : result.decisions) {
    ++sum.samples;
    switch (d.judgement.verdict) {
      case Verdict::Correct: ++sum.correct; break;
      case Verdict::Wrong: ++sum.wrong; break;
      case Verdict::NoAnswer: ++sum.no_answer; break;
    }
    if (d.judgement.code) ++sum.code_verdicts[code::to_string(d.judgement.code->verdict)];
    if (d.kept) ++sum.kept;
    else ++sum.dropped_by[d.dropped_by];
  }
  return result;
}

json decision_to_json(const std::string& id, const Decision& d) {
  json j{{"id", id},
              {"extracted", d.judgement.extracted ? json(*d.judgement.extracted) : json(nullptr)},
              {"correct", d.judgement.verdict == Verdict::Correct},
              {"verdict", to_string(d.judgement.verdict)},
              {"kept", d.kept},
              {"dropped_by", d.kept ? json(nullptr) : json(d.dropped_by)},
              {"reason", d.reason}};
  if (d.judgement.code) {
    const code::CodeJudgement& c = *d.judgement.code;
    j["code"] = {{"verdict", code::to_string(c.verdict)},
                 {"passed", c.passed},
                 {"run", c.run},
                 {"total", c.total},
                 {"message", c.message},
                 {"sandboxed", c.sandboxed}};
  }
  return j;
}

}  // namespace tpt::prune
