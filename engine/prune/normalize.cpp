#include "prune/normalize.h"

#include "core/text.h"
#include "io/json_fields.h"

namespace tpt::prune {

using nlohmann::json;

NormalizeConfig NormalizeConfig::exact() { return {false, false, false, false}; }
NormalizeConfig NormalizeConfig::lm_eval() { return {true, true, true, false}; }
NormalizeConfig NormalizeConfig::numeric() { return {true, true, true, true}; }

std::optional<NormalizeConfig> NormalizeConfig::preset(std::string_view name) {
  if (name == "exact") return exact();
  if (name == "lm-eval") return lm_eval();
  if (name == "numeric") return numeric();
  return std::nullopt;
}

std::vector<std::string> NormalizeConfig::preset_names() { return {"exact", "lm-eval", "numeric"}; }

std::string NormalizeConfig::preset_name() const {
  for (const auto& name : preset_names())
    if (*preset(name) == *this) return name;
  return "";
}

std::string NormalizeConfig::describe() const {
  std::string name = preset_name();
  if (!name.empty()) return name;
  std::vector<std::string> steps;
  if (strip_commas) steps.push_back("commas");
  if (strip_currency) steps.push_back("currency");
  if (strip_trailing_period) steps.push_back("period");
  if (canonical_number) steps.push_back("number");
  return "custom(" + join(steps, ", ") + ")";
}

NormalizeConfig NormalizeConfig::parse(const json& j, const std::string& path, std::vector<FieldIssue>& issues) {
  if (j.is_string()) {
    if (auto p = preset(j.get<std::string>())) return *p;
    issues.push_back({path, "must be one of " + quoted_list(preset_names()) +
                                " or an object of booleans, got " + io::describe_json(j)});
    return numeric();
  }
  if (!j.is_object()) {
    issues.push_back({path, "must be a preset name (" + quoted_list(preset_names()) +
                                ") or an object of booleans, got " + io::describe_json(j)});
    return numeric();
  }
  NormalizeConfig config = exact();
  io::JsonObjectReader reader(j, path, issues);
  reader.boolean("strip_commas", config.strip_commas);
  reader.boolean("strip_currency", config.strip_currency);
  reader.boolean("strip_trailing_period", config.strip_trailing_period);
  reader.boolean("canonical_number", config.canonical_number);
  reader.finish();
  return config;
}

json NormalizeConfig::to_json() const {
  std::string name = preset_name();
  if (!name.empty()) return name;
  return json{{"strip_commas", strip_commas},
              {"strip_currency", strip_currency},
              {"strip_trailing_period", strip_trailing_period},
              {"canonical_number", canonical_number}};
}

static void erase_all(std::string& s, char drop) {
  size_t out = 0;
  for (char c : s)
    if (c != drop) s[out++] = c;
  s.resize(out);
}

static void trim_in_place(std::string& s) {
  std::string_view t = trim(s);
  if (t.size() == s.size()) return;
  s = std::string(t);
}

std::optional<std::string> canonical_decimal(std::string_view text) {
  bool negative = false;
  if (!text.empty() && (text[0] == '+' || text[0] == '-')) {
    negative = text[0] == '-';
    text.remove_prefix(1);
  }
  size_t point = text.find('.');
  std::string_view whole = text.substr(0, point);
  std::string_view fraction = point == std::string_view::npos ? std::string_view() : text.substr(point + 1);
  if (whole.empty() && fraction.empty()) return std::nullopt;  // "", "+", "."
  for (std::string_view part : {whole, fraction})
    for (char c : part)
      if (c < '0' || c > '9') return std::nullopt;  // also rejects a second '.'
  whole.remove_prefix(std::min(whole.size(), whole.find_first_not_of('0')));
  fraction = fraction.substr(0, fraction.find_last_not_of('0') + 1);  // npos + 1 == 0
  std::string out;
  if (negative && !(whole.empty() && fraction.empty())) out += '-';  // "-0.0" is "0"
  out += whole.empty() ? std::string_view("0") : whole;
  if (!fraction.empty()) {
    out += '.';
    out += fraction;
  }
  return out;
}

std::string normalize_answer(std::string_view text, const NormalizeConfig& config) {
  std::string s(trim(text));
  if (config.strip_commas) {
    erase_all(s, ',');
    trim_in_place(s);
  }
  if (config.strip_currency) {
    erase_all(s, '$');
    trim_in_place(s);
  }
  if (config.strip_trailing_period && !s.empty() && s.back() == '.') {
    s.pop_back();
    trim_in_place(s);
  }
  if (config.canonical_number)
    if (auto number = canonical_decimal(s)) s = std::move(*number);
  return s;
}

}  // namespace tpt::prune
