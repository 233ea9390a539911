#include "io/jsonl.h"

#include <istream>
#include <sstream>

#include "core/text.h"
#include "io/json_fields.h"
#include "io/json_parse.h"
#include "io/regular_file.h"

namespace tpt::io {

using nlohmann::json;

OnMalformed parse_on_malformed(const std::string& name) {
  if (name == "fail") return OnMalformed::Fail;
  if (name == "skip") return OnMalformed::Skip;
  throw Error("on_malformed must be \"fail\" or \"skip\", got \"" + name + "\"");
}

static JsonlReport read_lines(LineReader& reader, OnMalformed policy,
                              const std::function<void(long, const json&)>& visit) {
  const std::string& source = reader.source();
  JsonlReport report;
  report.file = source;
  std::string line;
  while (reader.next(line)) {
    ++report.lines;
    if (report.lines == 1 && starts_with(line, "\xEF\xBB\xBF")) line.erase(0, 3);  // UTF-8 BOM
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (trim(line).empty()) continue;
    std::string reason;
    try {
      json value = parse_json_bounded(line);
      visit(report.lines, value);
      ++report.records;
      continue;
    } catch (const json::parse_error& e) {
      std::string what = e.what();
      auto pos = what.find("syntax error");
      reason = "invalid JSON" + (pos == std::string::npos ? std::string() : ": " + what.substr(pos));
    } catch (const json::exception& e) {
      reason = e.what();
    } catch (const RecordError& e) {
      reason = e.what();
    }
    SourceLocation where{source, report.lines};
    if (policy == OnMalformed::Fail) throw FileError(where, reason);
    if (++report.skipped == 1) report.first_skipped_line = report.lines;
    if (report.problems.size() < JsonlReport::kMaxProblems) report.problems.push_back(format_at(where, reason));
  }
  return report;
}

JsonlReport read_jsonl(const std::string& path, OnMalformed policy,
                       const std::function<void(long, const json&)>& visit) {
  LineReader reader(path);
  return read_lines(reader, policy, visit);
}

JsonlReport read_jsonl_stream(std::istream& in, const std::string& source, OnMalformed policy,
                              const std::function<void(long, const json&)>& visit) {
  LineReader reader(in, source);
  return read_lines(reader, policy, visit);
}

JsonlReport read_jsonl_text(const std::string& text, const std::string& source, OnMalformed policy,
                            const std::function<void(long, const json&)>& visit) {
  std::istringstream in(text);
  return read_jsonl_stream(in, source, policy, visit);
}

const std::string& require_string(const json& record, const std::string& field) {
  if (!record.is_object()) throw RecordError("expected a JSON object, got " + describe_json(record));
  auto it = record.find(field);
  if (it == record.end()) throw RecordError("missing field \"" + field + "\"");
  if (!it->is_string()) throw RecordError("field \"" + field + "\" must be a string, got " + describe_json(*it));
  return it->get_ref<const std::string&>();
}

}  // namespace tpt::io
