#include "report/export.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "config/experiment_config.h"
#include "core/error.h"
#include "io/atomic_file.h"
#include "run/paths.h"
#include "run/plan.h"
#include "store/store.h"
#include "text/model_tokenizer.h"
#include "text/prompt_format.h"

namespace fs = std::filesystem;

namespace tpt::report {

const char* to_string(ExportFormat format) {
  switch (format) {
    case ExportFormat::ChatJsonl: return "chat-jsonl";
    case ExportFormat::PromptCompletionJsonl: return "prompt-completion-jsonl";
    case ExportFormat::Csv: return "csv";
  }
  return "";
}

ExportFormat parse_export_format(const std::string& name) {
  if (name == "chat-jsonl") return ExportFormat::ChatJsonl;
  if (name == "prompt-completion-jsonl") return ExportFormat::PromptCompletionJsonl;
  if (name == "csv") return ExportFormat::Csv;
  throw Error("unknown export format \"" + name + "\": expected chat-jsonl, prompt-completion-jsonl or csv");
}

namespace {

void write_atomically(const std::string& path, const std::string& content) {
  const fs::path target(path);
  std::error_code ec;
  if (target.has_parent_path()) fs::create_directories(target.parent_path(), ec);
  io::write_file_atomically(path, content);
}

std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\n") == std::string::npos) return text;
  std::string out = "\"";
  for (char c : text) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string number(double v) {
  if (std::isnan(v)) return "";
  char text[40];
  std::snprintf(text, sizeof text, "%.10g", v);
  return text;
}

}  // namespace

ExportResult export_experiment(const std::string& dir_or_file, ExportFormat format, int round, const std::string& out) {
  const run::ExperimentPaths paths = run::ExperimentPaths::locate(dir_or_file);
  if (!fs::exists(paths.store_file)) throw Error(paths.dir + ": no experiment database here (run it first: tpt run)");
  store::Store store(paths.store_file, store::OpenMode::read_only);
  const auto experiments = store.list_experiments();
  if (experiments.empty()) throw Error(paths.store_file + ": holds no experiment yet");
  const auto& experiment = experiments.front();
  const auto rounds = store.list_rounds(experiment.id);
  ExportResult result;

  if (format == ExportFormat::Csv) {
    std::set<std::string> names;
    std::vector<std::map<std::string, double>> metrics;
    for (const auto& r : rounds) {
      metrics.push_back(store.get_metrics(r.id));
      for (const auto& entry : metrics.back()) names.insert(entry.first);
    }
    std::string text = "round,state";
    for (const auto& n : names) text += "," + csv_field(n);
    text += "\n";
    for (size_t i = 0; i < rounds.size(); ++i) {
      text += std::to_string(rounds[i].round_index) + "," + csv_field(store::to_string(rounds[i].state));
      for (const auto& n : names) {
        const auto it = metrics[i].find(n);
        text += "," + (it == metrics[i].end() ? std::string() : number(it->second));
      }
      text += "\n";
      ++result.records;
    }
    result.path = out.empty() ? (fs::path(paths.exports_dir) / "metrics.csv").string() : out;
    write_atomically(result.path, text);
    return result;
  }

  const store::RoundRecord* record = nullptr;
  for (const auto& r : rounds)
    if (r.round_index == round) record = &r;
  if (round < 1) throw Error("--round must be >= 1: round 0 scores the base model and samples no traces");
  if (!record) throw Error(paths.dir + ": round " + std::to_string(round) + " has not been run");
  if (record->state == store::RoundState::Think || record->state == store::RoundState::Prune ||
      record->state == store::RoundState::Pending)
    throw Error(paths.dir + ": round " + std::to_string(round) + " has not been pruned yet (state \"" +
                store::to_string(record->state) + "\")");

  // The prompts the round used: its own settings (the prompt format cannot change within an
  // experiment) and the base model's tokenizer (fine-tuning keeps the tokenizer).
  config::ExperimentConfig config = config::ExperimentConfig::from_json(nlohmann::json::parse(experiment.config_json),
                                                                        paths.store_file + " (stored settings)");
  config.base_dir = paths.dir;
  const text::ModelTokenizer tokenizer = text::load_model_tokenizer(config.resolve(config.model.path));
  const run::TrainingPool pool = run::split_training_pool(config, store.list_problems(experiment.id, "train"));
  const text::PromptFormat prompt(tokenizer, *text::parse_prompt_style(config.think.prompt_format), pool.examples,
                                  text::prompt_domain_for(config.dataset.format));

  std::string text;
  for (const auto& trace : store.kept_traces({record->id})) {
    nlohmann::json line;
    if (format == ExportFormat::ChatJsonl) {
      line = {{"messages",
               {{{"role", "user"}, {"content", prompt.user_text(trace.question)}},
                {{"role", "assistant"}, {"content", trace.text}}}}};
    } else {
      line = {{"prompt", prompt.prompt_text(trace.question)}, {"completion", trace.text}};
    }
    // Model text may hold invalid UTF-8 (a byte-level model can emit any byte): replaced, not fatal.
    text += line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    ++result.records;
  }
  const std::string suffix = format == ExportFormat::ChatJsonl ? ".chat.jsonl" : ".prompt-completion.jsonl";
  result.path = out.empty() ? (fs::path(paths.exports_dir) / ("round-" + std::to_string(round) + suffix)).string() : out;
  write_atomically(result.path, text);
  return result;
}

}  // namespace tpt::report
