#include "train/sft_recipe.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <map>
#include <set>

#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include "core/error.h"
#include "io/atomic_file.h"
#include "io/jsonl.h"
#include "io/regular_file.h"
#include "text/chat_template.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace tpt::train {

namespace {

// The scheduler names of HF's get_scheduler for the engine's decays. A floor above zero needs
// the cosine variant that takes one; the linear and constant decays have none in HF.
std::string hf_scheduler(LrDecay decay, double min_lr) {
  switch (decay) {
    case LrDecay::Cosine: return min_lr > 0 ? "cosine_with_min_lr" : "cosine";
    case LrDecay::Linear: return "linear";
    case LrDecay::Constant: return "constant_with_warmup";
  }
  return "cosine";
}

// Traces are model output and may hold bytes that are not UTF-8; JSON cannot carry them, so
// they become U+FFFD (the trainer then reads what a tokenizer would have decoded anyway).
std::string json_line(const json& value) { return value.dump(-1, ' ', false, json::error_handler_t::replace); }


// The shortest text that reads back as the same double, spelled so that YAML 1.1 readers
// (PyYAML, which TRL's parser uses) take it as a float: 1e-06 would be a string there, 1.0e-06
// is a float.
std::string yaml_float(double value) {
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  std::string text(buffer, result.ptr);
  const size_t e = text.find('e');
  if (e != std::string::npos) {
    if (text.find('.') == std::string::npos) text.insert(e, ".0");
    const size_t sign = text.find('e') + 1;
    if (text[sign] != '-' && text[sign] != '+') text.insert(sign, "+");
  } else if (text.find('.') == std::string::npos && text.find_first_not_of("-0123456789") == std::string::npos) {
    text += ".0";
  }
  return text;
}

void emit_number(YAML::Emitter& out, const char* key, double value) {
  out << YAML::Key << key << YAML::Value << yaml_float(value);
}

void emit_lora(YAML::Emitter& out, const LoraConfig& lora) {
  out << YAML::Key << "use_peft" << YAML::Value << true;
  out << YAML::Key << "lora_r" << YAML::Value << lora.rank;
  out << YAML::Key << "lora_alpha" << YAML::Value << yaml_float(lora.alpha);
  out << YAML::Key << "lora_dropout" << YAML::Value << yaml_float(lora.dropout);
  out << YAML::Key << "lora_target_modules" << YAML::Value << YAML::Flow << lora.target_modules;
}

std::string join(const std::vector<std::string>& items, const std::string& separator) {
  std::string text;
  for (size_t i = 0; i < items.size(); ++i) text += (i ? separator : "") + items[i];
  return text;
}

// TRL's truncation: the first `max_length` tokens of prompt + completion. The first token of a
// sequence is never predicted, so a completion needs a token after it to teach anything.
// Returns whether `e` was cut.
bool truncate_example(TrainingExample& e, int64_t max_length) {
  const auto prompt = static_cast<int64_t>(e.prompt_ids.size());
  const auto completion = static_cast<int64_t>(e.completion_ids.size());
  if (prompt + completion <= max_length) return false;
  const int64_t kept = std::max<int64_t>(0, max_length - prompt);
  if (kept - (prompt == 0 ? 1 : 0) < 1)
    throw io::RecordError("max_length " + std::to_string(max_length) + " leaves no completion token to learn (the prompt has " +
                          std::to_string(prompt) + " tokens, the completion " + std::to_string(completion) + ")");
  e.prompt_ids.resize(static_cast<size_t>(std::min(prompt, max_length)));
  e.completion_ids.resize(static_cast<size_t>(kept));
  return true;
}

}  // namespace

TrainSettings SftRecipe::settings() const {
  TrainSettings s;
  s.epochs = num_train_epochs;
  s.max_steps = max_steps;
  s.micro_batch_size = per_device_train_batch_size;
  s.grad_accum_steps = gradient_accumulation_steps;
  s.learning_rate = learning_rate;
  s.min_learning_rate = lr_scheduler_type == "cosine_with_min_lr" ? min_lr : 0.0;
  s.warmup_ratio = warmup_ratio;
  s.decay = lr_scheduler_type == "linear"                 ? LrDecay::Linear
            : lr_scheduler_type == "constant_with_warmup" ? LrDecay::Constant
                                                          : LrDecay::Cosine;
  s.max_grad_norm = max_grad_norm;
  s.weight_decay = weight_decay;
  s.seed = seed;
  s.checkpoint_steps = save_steps;
  s.lora = lora;
  return s;
}

int64_t longest_example(const std::vector<TrainingExample>& examples) {
  int64_t longest = 0;
  for (const auto& e : examples)
    longest = std::max<int64_t>(longest, static_cast<int64_t>(e.prompt_ids.size() + e.completion_ids.size()));
  return longest;
}

SftRecipe recipe_for(const TrainJob& job, const std::string& data_file, const std::string& output_dir, bool bf16) {
  const TrainSettings& s = job.settings;
  SftRecipe r;
  r.model_name_or_path = job.init_dir;
  r.data_file = data_file;
  r.output_dir = output_dir;
  r.learning_rate = s.learning_rate;
  r.num_train_epochs = s.epochs;
  r.max_steps = s.max_steps;
  r.per_device_train_batch_size = s.micro_batch_size;
  r.gradient_accumulation_steps = s.grad_accum_steps;
  r.lr_scheduler_type = hf_scheduler(s.decay, s.min_learning_rate);
  r.min_lr = s.min_learning_rate;
  r.warmup_ratio = s.warmup_ratio;
  r.max_grad_norm = s.max_grad_norm;
  r.weight_decay = s.weight_decay;
  r.seed = s.seed;
  r.bf16 = bf16;
  r.max_length = longest_example(job.examples);
  r.save_steps = s.checkpoint_steps;
  r.lora = s.lora;
  return r;
}

void write_sft_data(const std::string& path, const std::vector<TrainingExample>& examples) {
  io::write_file_atomically(path, [&](std::ostream& out) {
    for (const auto& e : examples) {
      json line;
      if (!e.user_text.empty()) {
        line["prompt"] = json::array({{{"role", "user"}, {"content", e.user_text}}});
        line["completion"] = json::array({{{"role", "assistant"}, {"content", e.completion}}});
      } else {
        line["prompt"] = e.prompt;
        line["completion"] = e.completion;
      }
      out << json_line(line) << '\n';
    }
  });
}

void write_llama_factory_data(const std::string& path, const std::vector<TrainingExample>& examples) {
  io::write_file_atomically(path, [&](std::ostream& out) {
    for (const auto& e : examples) {
      json line;
      if (!e.user_text.empty())
        line["messages"] = json::array(
            {{{"role", "user"}, {"content", e.user_text}}, {{"role", "assistant"}, {"content", e.completion}}});
      else
        line = {{"prompt", e.prompt}, {"completion", e.completion}};
      out << json_line(line) << '\n';
    }
  });
}

std::vector<TrainingExample> read_sft_data(const std::string& path, const text::ModelTokenizer& tokenizer,
                                           int64_t max_length, int64_t* truncated) {
  // The token that ends a completion, as text::PromptFormat chooses it.
  std::optional<int32_t> end_of_turn;
  if (tokenizer.chat_family) end_of_turn = tokenizer.tokenizer->token_to_id(text::end_of_turn_token(*tokenizer.chat_family));

  std::vector<TrainingExample> examples;
  io::read_jsonl(path, io::OnMalformed::Fail, [&](long, const json& record) {
    if (!record.is_object()) throw io::RecordError("expected an object with \"prompt\" and \"completion\"");
    for (const auto& [key, value] : record.items())
      if (key != "prompt" && key != "completion")
        throw io::RecordError("field \"" + key + "\" is not read (this trainer reads prompt-completion data only)");
    if (!record.contains("prompt")) throw io::RecordError("missing field \"prompt\"");
    if (!record.contains("completion")) throw io::RecordError("missing field \"completion\"");
    const json& prompt = record["prompt"];
    const json& completion = record["completion"];
    TrainingExample e;
    if (prompt.is_string() && completion.is_string()) {
      if (!tokenizer.eos_id)
        throw io::RecordError("the tokenizer names no EOS token, so a plain completion could not be ended");
      e.prompt = prompt.get<std::string>();
      e.completion = completion.get<std::string>();
      e.prompt_ids = tokenizer.encode_prompt(e.prompt);
      e.completion_ids = tokenizer.tokenizer->encode(e.completion, false);
      e.completion_ids.push_back(*tokenizer.eos_id);
    } else if (prompt.is_array() && completion.is_array()) {
      if (!tokenizer.chat_family)
        throw io::RecordError("conversational \"prompt\" but the model has no chat template this engine knows");
      if (!end_of_turn)
        throw io::RecordError("the chat template ends turns with " + text::end_of_turn_token(*tokenizer.chat_family) +
                              ", which tokenizer.json does not have");
      std::vector<text::ChatMessage> messages;
      for (size_t i = 0; i < prompt.size(); ++i) {
        const json& m = prompt[i];
        const std::string where = "prompt[" + std::to_string(i) + "]";
        if (!m.is_object() || !m.contains("role") || !m["role"].is_string() || !m.contains("content") ||
            !m["content"].is_string())
          throw io::RecordError(where + ": expected {\"role\": ..., \"content\": ...} with string values");
        const std::string role = m["role"].get<std::string>();
        if (role != "system" && role != "user")
          throw io::RecordError(where + ": role \"" + role + "\" (a prompt holds system and user turns)");
        messages.push_back({role, m["content"].get<std::string>()});
      }
      if (messages.empty() || messages.back().role != "user")
        throw io::RecordError("\"prompt\" must end with a user turn");
      if (completion.size() != 1 || !completion[0].is_object() || completion[0].value("role", "") != "assistant" ||
          !completion[0].contains("content") || !completion[0]["content"].is_string())
        throw io::RecordError("\"completion\" must be one {\"role\": \"assistant\", \"content\": string} turn");
      e.user_text = messages.back().content;
      e.completion = completion[0]["content"].get<std::string>();
      try {
        e.prompt = text::format_chat(*tokenizer.chat_family, messages, true);
        e.prompt_ids = tokenizer.encode_chat(messages);
      } catch (const Error& error) {
        throw io::RecordError(std::string("\"prompt\": ") + error.what());
      }
      e.completion_ids = tokenizer.tokenizer->encode(e.completion, false);
      e.completion_ids.push_back(*end_of_turn);
    } else {
      throw io::RecordError(
          "\"prompt\" and \"completion\" must both be strings (plain) or both lists of messages (conversational)");
    }
    if (max_length > 0 && truncate_example(e, max_length) && truncated) ++*truncated;
    examples.push_back(std::move(e));
  });
  if (examples.empty()) throw FileError({path, 0}, "no examples");
  return examples;
}

void write_trl_config(const std::string& path, const SftRecipe& r) {
  YAML::Emitter out;
  out << YAML::Comment("TRL SFT config written by TPT Workbench for one round's Train (`trl sft --config FILE`)");
  out << YAML::BeginMap;
  out << YAML::Key << "model_name_or_path" << YAML::Value << r.model_name_or_path;
  if (r.bf16) out << YAML::Key << "dtype" << YAML::Value << "bfloat16";
  out << YAML::Key << "datasets" << YAML::Value << YAML::BeginSeq << YAML::BeginMap;
  out << YAML::Key << "path" << YAML::Value << "json";
  out << YAML::Key << "data_files" << YAML::Value << r.data_file;
  out << YAML::Key << "split" << YAML::Value << "train";
  out << YAML::EndMap << YAML::EndSeq;
  out << YAML::Key << "output_dir" << YAML::Value << r.output_dir;
  emit_number(out, "learning_rate", r.learning_rate);
  out << YAML::Key << "num_train_epochs" << YAML::Value << r.num_train_epochs;
  out << YAML::Key << "max_steps" << YAML::Value << (r.max_steps > 0 ? r.max_steps : -1);
  out << YAML::Key << "per_device_train_batch_size" << YAML::Value << r.per_device_train_batch_size;
  out << YAML::Key << "gradient_accumulation_steps" << YAML::Value << r.gradient_accumulation_steps;
  out << YAML::Key << "lr_scheduler_type" << YAML::Value << r.lr_scheduler_type;
  if (r.lr_scheduler_type == "cosine_with_min_lr") {
    out << YAML::Key << "lr_scheduler_kwargs" << YAML::Value << YAML::BeginMap;
    emit_number(out, "min_lr", r.min_lr);
    out << YAML::EndMap;
  }
  emit_number(out, "warmup_ratio", r.warmup_ratio);
  emit_number(out, "max_grad_norm", r.max_grad_norm);
  emit_number(out, "weight_decay", r.weight_decay);
  emit_number(out, "adam_beta1", r.adam_beta1);
  emit_number(out, "adam_beta2", r.adam_beta2);
  emit_number(out, "adam_epsilon", r.adam_epsilon);
  out << YAML::Key << "seed" << YAML::Value << r.seed;
  out << YAML::Key << "bf16" << YAML::Value << r.bf16;
  out << YAML::Key << "completion_only_loss" << YAML::Value << r.completion_only_loss;
  out << YAML::Key << "max_length" << YAML::Value;
  if (r.max_length > 0) out << r.max_length;
  else out << YAML::Null;
  out << YAML::Key << "logging_steps" << YAML::Value << r.logging_steps;
  out << YAML::Key << "report_to" << YAML::Value << "none";
  out << YAML::Key << "save_strategy" << YAML::Value << (r.save_steps > 0 ? "steps" : "no");
  if (r.save_steps > 0) out << YAML::Key << "save_steps" << YAML::Value << r.save_steps;
  if (r.lora) emit_lora(out, *r.lora);
  if (!r.resume_from_checkpoint.empty())
    out << YAML::Key << "resume_from_checkpoint" << YAML::Value << r.resume_from_checkpoint;
  out << YAML::EndMap;
  io::write_file_atomically(path, std::string(out.c_str()) + "\n");
}

namespace {

// Reads a YAML scalar as T, with the file, line and key in the error.
template <typename T>
T scalar(const std::string& path, const std::string& key, const YAML::Node& node) {
  try {
    return node.as<T>();
  } catch (const YAML::Exception&) {
    throw FileError({path, node.Mark().line + 1}, "\"" + key + "\": not a valid value (" + YAML::Dump(node) + ")");
  }
}

}  // namespace

SftRecipe read_trl_config(const std::string& path) {
  YAML::Node doc;
  try {
    doc = YAML::Load(io::read_regular_file(path));
  } catch (const YAML::Exception& e) {
    throw FileError({path, e.mark.line + 1}, e.msg);
  }
  if (!doc.IsMap()) throw FileError({path, 0}, "expected a mapping of TRL SFT settings");

  // Keys that change nothing in how the engine trains (where logs go, how outputs are kept).
  static const std::set<std::string> no_effect = {
      "report_to", "logging_steps", "logging_strategy", "save_strategy", "save_total_limit", "save_only_model",
      "overwrite_output_dir", "run_name", "logging_dir", "disable_tqdm", "log_level", "do_train", "dataset_text_field",
      "gradient_checkpointing", "push_to_hub", "torch_dtype", "dtype", "attn_implementation", "dataloader_num_workers"};
  SftRecipe r;
  r.adam_beta1 = 0.9;
  std::vector<std::string> refused;
  for (const auto& item : doc) {
    const std::string key = item.first.as<std::string>();
    const YAML::Node& v = item.second;
    const auto number = [&] { return scalar<double>(path, key, v); };
    const auto integer = [&] { return scalar<int64_t>(path, key, v); };
    if (key == "model_name_or_path") r.model_name_or_path = scalar<std::string>(path, key, v);
    else if (key == "datasets") {
      if (!v.IsSequence() || v.size() != 1 || !v[0].IsMap())
        throw FileError({path, v.Mark().line + 1}, "\"datasets\": expected one entry {path: json, data_files: FILE, split: train}");
      const YAML::Node& d = v[0];
      for (const auto& field : d) {
        const std::string name = field.first.as<std::string>();
        if (name != "path" && name != "data_files" && name != "split")
          throw FileError({path, field.first.Mark().line + 1}, "\"datasets[0]." + name + "\" is not supported");
      }
      if (!d["path"] || d["path"].as<std::string>() != "json")
        throw FileError({path, d.Mark().line + 1}, "\"datasets[0].path\" must be json (a local JSONL file)");
      if (d["split"] && d["split"].as<std::string>() != "train")
        throw FileError({path, d["split"].Mark().line + 1}, "\"datasets[0].split\" must be train");
      if (!d["data_files"] || !d["data_files"].IsScalar())
        throw FileError({path, d.Mark().line + 1}, "\"datasets[0].data_files\" must name one JSONL file");
      r.data_file = d["data_files"].as<std::string>();
    } else if (key == "output_dir") r.output_dir = scalar<std::string>(path, key, v);
    else if (key == "learning_rate") r.learning_rate = number();
    else if (key == "num_train_epochs") {
      const double epochs = number();
      if (epochs < 1 || epochs != std::floor(epochs))
        throw FileError({path, v.Mark().line + 1}, "\"num_train_epochs\": whole epochs only (got " + YAML::Dump(v) + ")");
      r.num_train_epochs = static_cast<int64_t>(epochs);
    } else if (key == "max_steps") r.max_steps = std::max<int64_t>(0, integer());
    else if (key == "per_device_train_batch_size") r.per_device_train_batch_size = static_cast<int>(integer());
    else if (key == "gradient_accumulation_steps") r.gradient_accumulation_steps = static_cast<int>(integer());
    else if (key == "lr_scheduler_type") {
      r.lr_scheduler_type = scalar<std::string>(path, key, v);
      static const std::set<std::string> known = {"cosine", "linear", "constant_with_warmup", "cosine_with_min_lr"};
      if (!known.count(r.lr_scheduler_type))
        throw FileError({path, v.Mark().line + 1}, "\"lr_scheduler_type\": " + r.lr_scheduler_type +
                                                        " is not supported (cosine, linear, constant_with_warmup, "
                                                        "cosine_with_min_lr)");
    } else if (key == "lr_scheduler_kwargs") {
      for (const auto& kw : v) {
        const std::string name = kw.first.as<std::string>();
        if (name != "min_lr")
          throw FileError({path, kw.first.Mark().line + 1}, "\"lr_scheduler_kwargs." + name + "\" is not supported (min_lr)");
        r.min_lr = scalar<double>(path, "lr_scheduler_kwargs.min_lr", kw.second);
      }
    } else if (key == "warmup_ratio") r.warmup_ratio = number();
    else if (key == "max_grad_norm") r.max_grad_norm = number();
    else if (key == "weight_decay") r.weight_decay = number();
    else if (key == "adam_beta1") r.adam_beta1 = number();
    else if (key == "adam_beta2") r.adam_beta2 = number();
    else if (key == "adam_epsilon") r.adam_epsilon = number();
    else if (key == "seed") r.seed = scalar<uint64_t>(path, key, v);
    else if (key == "bf16") r.bf16 = scalar<bool>(path, key, v);
    else if (key == "completion_only_loss") r.completion_only_loss = v.IsNull() || scalar<bool>(path, key, v);
    else if (key == "max_length") r.max_length = v.IsNull() ? 0 : integer();
    else if (key == "save_steps") r.save_steps = integer();
    else if (key == "use_peft") {
      if (scalar<bool>(path, key, v) && !r.lora) r.lora = LoraConfig{};
    } else if (key == "lora_r" || key == "lora_alpha" || key == "lora_dropout" || key == "lora_target_modules") {
      if (!r.lora) r.lora = LoraConfig{};
      if (key == "lora_r") r.lora->rank = integer();
      else if (key == "lora_alpha") r.lora->alpha = number();
      else if (key == "lora_dropout") r.lora->dropout = number();
      else r.lora->target_modules = scalar<std::vector<std::string>>(path, key, v);
    } else if (key == "resume_from_checkpoint") {
      // HF's false means a fresh start; its true (the last checkpoint in output_dir) is not
      // read here: the runner names the folder it resumes from.
      const std::string value = v.IsNull() ? "" : scalar<std::string>(path, key, v);
      if (value == "true" || value == "True")
        throw FileError({path, v.Mark().line + 1}, "\"resume_from_checkpoint\": true is not supported (name the checkpoint-N folder)");
      r.resume_from_checkpoint = value == "false" || value == "False" ? "" : value;
    }
    else if (!no_effect.count(key)) refused.push_back(key + " (line " + std::to_string(item.first.Mark().line + 1) + ")");
  }
  // use_peft: false after LoRA keys still means a full fine-tune, as in TRL.
  if (doc["use_peft"] && !doc["use_peft"].as<bool>()) r.lora.reset();
  if (!refused.empty())
    throw FileError({path, 0}, "keys this trainer does not support: " + join(refused, ", ") +
                                   " (it reads the subset of TRL's SFT config that TPT Workbench writes)");
  if (doc["save_strategy"] && doc["save_strategy"].as<std::string>() == "no") r.save_steps = 0;
  if (r.adam_beta1 != 0.9 || r.adam_beta2 != 0.999 || r.adam_epsilon != 1e-8)
    throw FileError({path, 0}, "adam_beta1/adam_beta2/adam_epsilon: this trainer runs AdamW with 0.9, 0.999, 1e-8 only");
  if (!r.completion_only_loss) throw FileError({path, 0}, "completion_only_loss: false is not supported (the loss is on completions)");
  for (const char* required : {"model_name_or_path", "datasets", "output_dir"})
    if (!doc[required]) throw FileError({path, 0}, std::string("\"") + required + "\" is required");
  // Relative paths are relative to the config file, so a folder of config + data moves as one.
  const fs::path base = fs::path(path).parent_path();
  for (std::string* p : {&r.model_name_or_path, &r.data_file, &r.output_dir, &r.resume_from_checkpoint})
    if (!p->empty() && fs::path(*p).is_relative()) *p = (base / *p).lexically_normal().string();
  return r;
}

void write_llama_factory_config(const std::string& path, const SftRecipe& r, const std::string& chat_family) {
  // LLaMA-Factory finds datasets by name in dataset_info.json of its dataset_dir. The data file
  // is the same JSONL the TRL config names: "prompt"/"completion" columns map onto its alpaca
  // roles for raw prompts; conversations go through its sharegpt reader.
  const fs::path data(r.data_file);
  json info;
  if (chat_family.empty()) {
    info["tpt_round"] = {{"file_name", data.filename().string()},
                         {"formatting", "alpaca"},
                         {"columns", {{"prompt", "prompt"}, {"response", "completion"}}}};
  } else {
    info["tpt_round"] = {{"file_name", data.filename().string()},
                         {"formatting", "sharegpt"},
                         {"columns", {{"messages", "messages"}}},
                         {"tags",
                          {{"role_tag", "role"},
                           {"content_tag", "content"},
                           {"user_tag", "user"},
                           {"assistant_tag", "assistant"},
                           {"system_tag", "system"}}}};
  }
  io::write_file_atomically((data.parent_path() / "dataset_info.json").string(), info.dump(2) + "\n");

  // LLaMA-Factory's template names for the families the engine knows.
  static const std::map<std::string, std::string> templates = {
      {"llama3", "llama3"}, {"llama3.1", "llama3"}, {"qwen2.5", "qwen"}, {"gemma2", "gemma"}};
  const auto found = templates.find(chat_family);
  YAML::Emitter out;
  out << YAML::Comment("LLaMA-Factory train config written by TPT Workbench for one round's Train");
  out << YAML::BeginMap;
  out << YAML::Key << "model_name_or_path" << YAML::Value << r.model_name_or_path;
  out << YAML::Key << "stage" << YAML::Value << "sft";
  out << YAML::Key << "do_train" << YAML::Value << true;
  out << YAML::Key << "finetuning_type" << YAML::Value << (r.lora ? "lora" : "full");
  if (r.lora) {
    out << YAML::Key << "lora_rank" << YAML::Value << r.lora->rank;
    out << YAML::Key << "lora_alpha" << YAML::Value << yaml_float(r.lora->alpha);
    out << YAML::Key << "lora_dropout" << YAML::Value << yaml_float(r.lora->dropout);
    out << YAML::Key << "lora_target" << YAML::Value << join(r.lora->target_modules, ",");
  }
  out << YAML::Key << "dataset" << YAML::Value << "tpt_round";
  out << YAML::Key << "dataset_dir" << YAML::Value << data.parent_path().string();
  out << YAML::Key << "template" << YAML::Value << (found != templates.end() ? found->second : "empty");
  if (r.max_length > 0) out << YAML::Key << "cutoff_len" << YAML::Value << r.max_length;
  out << YAML::Key << "output_dir" << YAML::Value << r.output_dir;
  out << YAML::Key << "logging_steps" << YAML::Value << r.logging_steps;
  out << YAML::Key << "save_strategy" << YAML::Value << (r.save_steps > 0 ? "steps" : "no");
  if (r.save_steps > 0) out << YAML::Key << "save_steps" << YAML::Value << r.save_steps;
  out << YAML::Key << "report_to" << YAML::Value << "none";
  out << YAML::Key << "per_device_train_batch_size" << YAML::Value << r.per_device_train_batch_size;
  out << YAML::Key << "gradient_accumulation_steps" << YAML::Value << r.gradient_accumulation_steps;
  emit_number(out, "learning_rate", r.learning_rate);
  out << YAML::Key << "num_train_epochs" << YAML::Value << yaml_float(static_cast<double>(r.num_train_epochs));
  if (r.max_steps > 0) out << YAML::Key << "max_steps" << YAML::Value << r.max_steps;
  out << YAML::Key << "lr_scheduler_type" << YAML::Value << r.lr_scheduler_type;
  emit_number(out, "warmup_ratio", r.warmup_ratio);
  emit_number(out, "max_grad_norm", r.max_grad_norm);
  emit_number(out, "weight_decay", r.weight_decay);
  out << YAML::Key << "seed" << YAML::Value << r.seed;
  out << YAML::Key << "bf16" << YAML::Value << r.bf16;
  if (!r.resume_from_checkpoint.empty())
    out << YAML::Key << "resume_from_checkpoint" << YAML::Value << r.resume_from_checkpoint;
  out << YAML::EndMap;
  io::write_file_atomically(path, std::string(out.c_str()) + "\n");
}

}  // namespace tpt::train
