#include "train/hf_trainer_log.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "core/error.h"
#include "io/json_fields.h"

namespace tpt::train {

std::string python_float(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  // The shortest digits that read back as `value` (what repr picks too), then repr's layout:
  // positional notation while the decimal point is within 16 digits, exponent form otherwise.
  char buffer[64];
  const auto [end, error] = std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::scientific);
  const std::string text(buffer, error == std::errc() ? end : buffer);
  const size_t e = text.find('e');
  std::string sign, digits;
  for (size_t i = 0; i < e; ++i) {
    if (text[i] == '-') sign = "-";
    else if (text[i] != '.') digits += text[i];
  }
  const int exponent = std::stoi(text.substr(e + 1));
  const int point = exponent + 1;  // digits d1 d2 ... stand for 0.d1d2... × 10^point
  const int count = static_cast<int>(digits.size());
  if (point <= -4 || point > 16) {
    std::string out = sign + digits.substr(0, 1);
    if (count > 1) out += "." + digits.substr(1);
    const int shown = point - 1;
    std::string power = std::to_string(std::abs(shown));
    if (power.size() < 2) power = "0" + power;
    return out + "e" + (shown < 0 ? "-" : "+") + power;
  }
  if (point <= 0) return sign + "0." + std::string(static_cast<size_t>(-point), '0') + digits;
  if (point >= count) return sign + digits + std::string(static_cast<size_t>(point - count), '0') + ".0";
  return sign + digits.substr(0, static_cast<size_t>(point)) + "." + digits.substr(static_cast<size_t>(point));
}

std::string python_dict(const std::vector<std::pair<std::string, double>>& items) {
  std::string out = "{";
  for (size_t i = 0; i < items.size(); ++i)
    out += (i ? ", '" : "'") + items[i].first + "': " + python_float(items[i].second);
  return out + "}";
}

std::string with_thousands(int64_t n) {
  std::string digits = std::to_string(n < 0 ? -n : n);
  for (int i = static_cast<int>(digits.size()) - 3; i > 0; i -= 3) digits.insert(static_cast<size_t>(i), ",");
  return (n < 0 ? "-" : "") + digits;
}

double hf_epoch(int64_t step, int64_t micro_batches_per_epoch, int grad_accum_steps) {
  const int64_t steps_per_epoch = (micro_batches_per_epoch + grad_accum_steps - 1) / grad_accum_steps;
  const int64_t epoch = (step - 1) / steps_per_epoch, k = (step - 1) % steps_per_epoch;
  const int64_t consumed = std::min<int64_t>((k + 1) * grad_accum_steps, micro_batches_per_epoch);
  return static_cast<double>(epoch) + static_cast<double>(consumed) / static_cast<double>(micro_batches_per_epoch);
}

nlohmann::json HfTrainerState::to_json() const {
  nlohmann::json history = nlohmann::json::array();
  for (const HfLogEntry& e : log_history) {
    history.push_back({{"epoch", e.epoch},
                       {"grad_norm", e.grad_norm},
                       {"learning_rate", e.learning_rate},
                       {"loss", e.loss},
                       {"step", e.step}});
    if (e.num_tokens >= 0) history.back()["num_tokens"] = e.num_tokens;
  }
  return {{"best_global_step", nullptr},
          {"best_metric", nullptr},
          {"best_model_checkpoint", nullptr},
          {"epoch", epoch},
          {"eval_steps", 500},
          {"global_step", global_step},
          {"is_hyper_param_search", false},
          {"is_local_process_zero", true},
          {"is_world_process_zero", true},
          {"log_history", history},
          {"logging_steps", logging_steps},
          {"max_steps", max_steps},
          {"num_input_tokens_seen", 0},
          {"num_train_epochs", num_train_epochs},
          {"save_steps", save_steps},
          {"total_flos", 0.0},
          {"train_batch_size", train_batch_size},
          {"trial_name", nullptr},
          {"trial_params", nullptr}};
}

HfTrainerState HfTrainerState::from_json(const nlohmann::json& doc, const std::string& path) {
  const auto field = [&](const nlohmann::json& object, const std::string& key, const std::string& where) {
    if (!object.is_object() || !object.contains(key) || !object[key].is_number())
      throw FileError({path, 0}, where + key + ": missing or not a number");
    return object[key];
  };
  // A count written as 1e20 or 2.5 (a damaged or hand-edited state file) is refused: converting
  // it to int64_t would be undefined behaviour.
  const auto count = [&](const nlohmann::json& object, const std::string& key, const std::string& where) {
    const nlohmann::json& v = field(object, key, where);
    if (const auto whole = io::whole_number(v)) return *whole;
    throw FileError({path, 0}, where + key + ": expected a whole number, got " + io::describe_json(v));
  };
  const auto optional_count = [&](const std::string& key, int64_t fallback) {
    return doc.contains(key) && !doc[key].is_null() ? count(doc, key, "") : fallback;
  };
  HfTrainerState s;
  s.global_step = count(doc, "global_step", "");
  s.max_steps = count(doc, "max_steps", "");
  s.num_train_epochs = count(doc, "num_train_epochs", "");
  s.epoch = field(doc, "epoch", "").get<double>();
  s.save_steps = optional_count("save_steps", 0);
  s.logging_steps = optional_count("logging_steps", 1);
  s.train_batch_size = optional_count("train_batch_size", 0);
  if (!doc.contains("log_history") || !doc["log_history"].is_array())
    throw FileError({path, 0}, "log_history: missing or not a list");
  const nlohmann::json& history = doc["log_history"];
  for (size_t i = 0; i < history.size(); ++i) {
    const std::string where = "log_history[" + std::to_string(i) + "].";
    // HF also logs entries without a loss (the run's summary, evaluations): not steps.
    if (!history[i].is_object() || !history[i].contains("loss")) continue;
    HfLogEntry e;
    e.step = count(history[i], "step", where);
    e.epoch = field(history[i], "epoch", where).get<double>();
    e.loss = field(history[i], "loss", where).get<double>();
    e.learning_rate = field(history[i], "learning_rate", where).get<double>();
    e.grad_norm = field(history[i], "grad_norm", where).get<double>();
    if (history[i].contains("num_tokens") && history[i]["num_tokens"].is_number())
      e.num_tokens = history[i]["num_tokens"].get<double>();
    s.log_history.push_back(e);
  }
  return s;
}

}  // namespace tpt::train
