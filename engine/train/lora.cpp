#include "train/lora.h"

#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <set>

#include "core/error.h"
#include "io/json_fields.h"
#include "io/safetensors.h"
#include "train/tensor_files.h"

namespace tpt::train {

namespace fs = std::filesystem;

namespace {

constexpr const char* kConfigFile = "adapter_config.json";
constexpr const char* kWeightsFile = "adapter_model.safetensors";
constexpr const char* kKeyPrefix = "base_model.model.";

const std::vector<std::string>& known_targets() {
  static const std::vector<std::string> names = {"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"};
  return names;
}

std::string last_component(const std::string& name) {
  const auto dot = name.rfind('.');
  return dot == std::string::npos ? name : name.substr(dot + 1);
}

// The model's Linear modules whose last name component is a target, in model order.
std::vector<std::pair<std::string, model::LinearImpl*>> find_targets(model::CausalLmImpl& model, const std::vector<std::string>& targets,
                                                                     const std::string& where) {
  if (targets.empty()) throw Error(where + ": target_modules is empty");
  for (const auto& t : targets) {
    if (std::find(known_targets().begin(), known_targets().end(), t) == known_targets().end())
      throw Error(where + ": target module \"" + t +
                  "\" is not a projection of this model (q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj)");
  }
  std::vector<std::pair<std::string, model::LinearImpl*>> out;
  for (const auto& item : model.named_modules("", /*include_self=*/false)) {
    if (std::find(targets.begin(), targets.end(), last_component(item.key())) == targets.end()) continue;
    if (auto* linear = item.value()->as<model::LinearImpl>()) out.emplace_back(item.key(), linear);
  }
  if (out.empty()) throw Error(where + ": no module of the model matches the targets");
  return out;
}

}  // namespace

std::string peft_key(const std::string& module, char which) {
  return std::string(kKeyPrefix) + module + ".lora_" + which + ".weight";
}

struct LoraAdapters::Module {
  std::string name;
  model::LinearImpl* linear = nullptr;  // owned by the model, which outlives the hook it holds
  torch::Tensor a, b;            // [r, in], [out, r] fp32
};

LoraAdapters::LoraAdapters(model::CausalLm model, LoraConfig config) : model_(std::move(model)), config_(std::move(config)) {
  if (config_.rank < 1) throw Error("LoRA rank must be at least 1, got " + std::to_string(config_.rank));
  if (config_.dropout < 0 || config_.dropout >= 1)
    throw Error("LoRA dropout must be in [0, 1), got " + std::to_string(config_.dropout));
  dropout_rng_ = std::make_shared<at::Generator>(at::detail::createCPUGenerator(0));
}

LoraAdapters::LoraAdapters(model::CausalLm model, LoraConfig config, uint64_t seed)
    : LoraAdapters(std::move(model), std::move(config)) {
  auto rng = at::detail::createCPUGenerator(seed);
  const auto options = torch::TensorOptions().dtype(torch::kFloat32).device(model_->device());
  for (const auto& [name, linear] : find_targets(*model_, config_.target_modules, "LoRA")) {
    auto m = std::make_shared<Module>();
    m->name = name;
    m->linear = linear;
    const int64_t in = linear->weight.size(1), out = linear->weight.size(0);
    // kaiming_uniform_(a=√5) on [r, in]: gain √(2/(1+5)), bound gain·√(3/fan_in) = 1/√in.
    const double bound = 1.0 / std::sqrt(static_cast<double>(in));
    m->a = torch::empty({config_.rank, in}, torch::kFloat32).uniform_(-bound, bound, rng).to(options);
    m->b = torch::zeros({out, config_.rank}, options);
    modules_.push_back(std::move(m));
  }
  attach_all();
}

LoraAdapters::~LoraAdapters() { detach(); }

void LoraAdapters::attach_all() {
  params_.clear();
  for (auto& p : model_->parameters()) p.set_requires_grad(false);
  const double scale = config_.scale(), p_drop = config_.dropout;
  for (const auto& m : modules_) {
    m->a.set_requires_grad(true);
    m->b.set_requires_grad(true);
    params_.emplace_back(peft_key(m->name, 'A'), m->a);
    params_.emplace_back(peft_key(m->name, 'B'), m->b);
    model::LinearImpl* self = m->linear;
    auto rng = dropout_rng_;
    std::shared_ptr<Module> mod = m;
    m->linear->adapter = [mod, self, rng, scale, p_drop](const torch::Tensor& x) {  // [..., in] -> [..., out]
      auto h = x.to(torch::kFloat32);
      if (p_drop > 0 && self->is_training()) {
        // Drawn on the CPU from our own generator: reproducible from the seed on any device.
        auto keep = torch::empty(h.sizes(), torch::kFloat32).bernoulli_(1.0 - p_drop, *rng).to(h.device());
        h = h * keep / (1.0 - p_drop);
      }
      return (torch::linear(torch::linear(h, mod->a), mod->b) * scale).to(x.scalar_type());
    };
  }
  attached_ = true;
}

void LoraAdapters::detach() {
  if (!attached_) return;
  for (const auto& m : modules_) m->linear->adapter = nullptr;
  for (auto& p : model_->parameters()) p.set_requires_grad(true);
  attached_ = false;
}

void LoraAdapters::merge_and_detach() {
  if (!attached_) throw Error("LoRA merge: the adapters are no longer attached");
  {
    torch::NoGradGuard no_grad;
    for (const auto& m : modules_) {
      auto& w = m->linear->weight;  // [out, in]
      const auto delta = torch::matmul(m->b.detach(), m->a.detach()) * config_.scale();  // [out, in] fp32
      w.copy_((w.to(torch::kFloat32) + delta).to(w.scalar_type()));
    }
  }
  detach();
}

int64_t LoraAdapters::parameter_count() const {
  int64_t n = 0;
  for (const auto& [name, p] : params_) n += p.numel();
  return n;
}

void LoraAdapters::reseed_dropout(uint64_t seed) {
  std::lock_guard<std::mutex> lock(dropout_rng_->mutex());
  dropout_rng_->set_current_seed(seed);
}

void LoraAdapters::save(const std::string& folder) const {
  std::error_code ec;
  fs::create_directories(folder, ec);
  if (ec) throw FileError({folder, 0}, "cannot create folder: " + ec.message());
  std::map<std::string, torch::Tensor> tensors(params_.begin(), params_.end());
  write_tensor_file((fs::path(folder) / kWeightsFile).string(), tensors);
  nlohmann::json targets = config_.target_modules;
  const nlohmann::json doc = {{"peft_type", "LORA"},
                              {"task_type", "CAUSAL_LM"},
                              {"r", config_.rank},
                              {"lora_alpha", config_.alpha},
                              {"lora_dropout", config_.dropout},
                              {"target_modules", targets},
                              {"base_model_name_or_path", config_.base_model_name_or_path},
                              {"bias", "none"},
                              {"fan_in_fan_out", false},
                              {"inference_mode", true},
                              {"init_lora_weights", true},
                              {"use_rslora", false},
                              {"use_dora", false},
                              {"modules_to_save", nullptr}};
  io::write_json_file((fs::path(folder) / kConfigFile).string(), doc);
}

std::unique_ptr<LoraAdapters> LoraAdapters::load(model::CausalLm model, const std::string& folder) {
  const std::string config_path = (fs::path(folder) / kConfigFile).string();
  const std::string weights_path = (fs::path(folder) / kWeightsFile).string();
  const nlohmann::json doc = io::read_json_file(config_path);
  auto fail = [&](const std::string& key, const std::string& reason) {
    throw FileError({config_path, 0}, key + ": " + reason);
  };
  if (doc.value("peft_type", std::string()) != "LORA")
    fail("peft_type", "expected \"LORA\", got " + (doc.contains("peft_type") ? io::describe_json(doc["peft_type"]) : "nothing"));
  if (doc.value("fan_in_fan_out", false)) fail("fan_in_fan_out", "true is not supported (weights stored [in, out])");
  if (doc.value("bias", std::string("none")) != "none") fail("bias", "only \"none\" is supported");
  if (doc.value("use_rslora", false)) fail("use_rslora", "rank-stabilised scaling is not supported");
  if (doc.value("use_dora", false)) fail("use_dora", "DoRA adapters are not supported");
  if (!doc.contains("r") || !doc["r"].is_number_integer()) fail("r", "missing or not an integer");
  LoraConfig config;
  for (const char* key : {"lora_alpha", "lora_dropout"})
    if (doc.contains(key) && !doc[key].is_number()) fail(key, "expected a number, got " + io::describe_json(doc[key]));
  const int64_t rank = doc["r"].get<int64_t>();
  if (rank < 1 || rank > 65536) fail("r", "expected 1 to 65536, got " + io::describe_json(doc["r"]));
  config.rank = rank;
  config.alpha = doc.contains("lora_alpha") ? doc["lora_alpha"].get<double>() : 8.0;  // PEFT's default
  config.dropout = doc.value("lora_dropout", 0.0);
  config.base_model_name_or_path = doc.contains("base_model_name_or_path") && doc["base_model_name_or_path"].is_string()
                                       ? doc["base_model_name_or_path"].get<std::string>()
                                       : std::string();

  std::map<std::string, torch::Tensor> tensors = read_tensor_file(weights_path);
  const auto& targets_json = doc.contains("target_modules") ? doc["target_modules"] : nlohmann::json();
  if (targets_json.is_array()) {
    config.target_modules = targets_json.get<std::vector<std::string>>();
  } else {
    // A regex in PEFT: the tensors themselves say which modules are adapted.
    std::set<std::string> names;
    for (const auto& [key, t] : tensors) {
      const auto end = key.rfind(".lora_");
      if (end != std::string::npos) names.insert(last_component(key.substr(0, end)));
    }
    config.target_modules.assign(names.begin(), names.end());
  }

  std::unique_ptr<LoraAdapters> adapters(new LoraAdapters(model, config));
  std::set<std::string> used;
  for (const auto& [name, linear] : find_targets(*model, config.target_modules, config_path)) {
    auto m = std::make_shared<Module>();
    m->name = name;
    m->linear = linear;
    const int64_t in = linear->weight.size(1), out = linear->weight.size(0);
    auto take = [&](char which, std::vector<int64_t> shape) {
      const std::string key = peft_key(name, which);
      const auto it = tensors.find(key);
      if (it == tensors.end()) throw FileError({weights_path, 0}, "tensor \"" + key + "\" is missing");
      if (it->second.sizes().vec() != shape)
        throw FileError({weights_path, 0}, "tensor \"" + key + "\": shape " + io::describe_shape(it->second.sizes().vec()) +
                                               ", expected " + io::describe_shape(shape) + " (r = " +
                                               std::to_string(config.rank) + ")");
      used.insert(key);
      return it->second.to(model->device());
    };
    m->a = take('A', {config.rank, in});
    m->b = take('B', {out, config.rank});
    adapters->modules_.push_back(std::move(m));
  }
  for (const auto& [key, t] : tensors) {
    if (!used.count(key))
      throw FileError({weights_path, 0}, "tensor \"" + key + "\" does not belong to a targeted module of this model");
  }
  adapters->attach_all();
  return adapters;
}

}  // namespace tpt::train
