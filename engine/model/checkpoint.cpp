#include "model/checkpoint.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <vector>

#include "core/error.h"
#include "io/json_fields.h"
#include "io/safetensors.h"

namespace tpt::model {

namespace fs = std::filesystem;

namespace {

constexpr const char* kWeightsFile = "model.safetensors";
constexpr const char* kIndexFile = "model.safetensors.index.json";

// Beside the weights, what a folder needs to be usable: tokenizer and generation defaults.
constexpr const char* kCompanionFiles[] = {
    "tokenizer.json",     "tokenizer_config.json", "special_tokens_map.json", "tokenizer.model",
    "vocab.json",         "merges.txt",            "added_tokens.json",       "chat_template.jinja",
    "chat_template.json", "generation_config.json",
};

std::string in_quotes(const std::string& s) { return "\"" + s + "\""; }

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::optional<torch::Dtype> torch_dtype_of(io::Dtype dtype) {
  switch (dtype) {
    case io::Dtype::F32: return torch::kFloat32;
    case io::Dtype::F16: return torch::kFloat16;
    case io::Dtype::BF16: return torch::kBFloat16;
    default: return std::nullopt;
  }
}

io::Dtype file_dtype_of(torch::Dtype dtype) {
  if (dtype == torch::kFloat32) return io::Dtype::F32;
  if (dtype == torch::kFloat16) return io::Dtype::F16;
  if (dtype == torch::kBFloat16) return io::Dtype::BF16;
  throw Error("cannot save weights as " + std::string(c10::toString(dtype)) + " (float32, bfloat16 or float16)");
}

std::vector<int64_t> sizes_of(const torch::Tensor& t) { return {t.sizes().begin(), t.sizes().end()}; }

// Tensors in a checkpoint; leftovers of other exporters that carry no weights.
bool ignorable(const std::string& name, const ModelConfig& config) {
  if (ends_with(name, "rotary_emb.inv_freq")) return true;
  // Some exporters store the tied output matrix twice; HF ties it to the embeddings on load.
  return config.tie_word_embeddings && name == "lm_head.weight";
}

struct Checkpoint {
  std::string source;  // the file named in errors: model.safetensors or the index
  std::vector<io::SafetensorsFile> files;
  std::map<std::string, const io::TensorView*> tensors;
  std::map<std::string, std::string> file_of;  // tensor -> file name, for sharded messages
};

Checkpoint open_checkpoint(const std::string& folder) {
  Checkpoint ck;
  const fs::path dir(folder);
  if (fs::exists(dir / kWeightsFile)) {
    ck.source = (dir / kWeightsFile).string();
    ck.files.emplace_back(ck.source);
  } else if (fs::exists(dir / kIndexFile)) {
    ck.source = (dir / kIndexFile).string();
    const io::SafetensorsIndex index = io::read_safetensors_index(ck.source);
    const auto shards = index.shard_files();
    ck.files.reserve(shards.size());
    for (const auto& shard : shards) {
      if (!fs::exists(dir / shard))
        throw FileError({ck.source, 0}, "shard " + in_quotes(shard) + " is missing from the folder");
      ck.files.emplace_back((dir / shard).string());
    }
    for (const auto& [name, shard] : index.weight_map) {
      const auto pos = std::find(shards.begin(), shards.end(), shard) - shards.begin();
      if (!ck.files[static_cast<size_t>(pos)].find(name))
        throw FileError({ck.source, 0}, "weight_map puts tensor " + in_quotes(name) + " in " + shard +
                                            ", which does not hold it");
    }
  } else {
    throw FileError({folder, 0}, std::string("no ") + kWeightsFile + " or " + kIndexFile + " in the folder");
  }
  for (const auto& file : ck.files) {
    const std::string file_name = fs::path(file.path()).filename().string();
    for (const auto& view : file.tensors()) {
      if (ck.tensors.count(view.name))
        throw FileError({file.path(), 0}, "tensor " + in_quotes(view.name) + " also appears in " + ck.file_of[view.name]);
      ck.tensors[view.name] = &view;
      ck.file_of[view.name] = file_name;
    }
  }
  return ck;
}

std::string join_problems(const std::vector<std::string>& problems) {
  constexpr size_t kShown = 6;
  std::string text;
  for (size_t i = 0; i < problems.size() && i < kShown; ++i) text += (i ? "; " : "") + problems[i];
  if (problems.size() > kShown) text += "; and " + std::to_string(problems.size() - kShown) + " more";
  return text;
}

std::string format_count(int64_t n) {
  char buffer[32];
  if (n >= 1'000'000'000) std::snprintf(buffer, sizeof buffer, "%.2fB", n / 1e9);
  else if (n >= 1'000'000) std::snprintf(buffer, sizeof buffer, "%.1fM", n / 1e6);
  else if (n >= 1'000) std::snprintf(buffer, sizeof buffer, "%.1fK", n / 1e3);
  else std::snprintf(buffer, sizeof buffer, "%lld", static_cast<long long>(n));
  return buffer;
}

}  // namespace

torch::Device best_device() {
  return torch::cuda::is_available() ? torch::Device(torch::kCUDA, 0) : torch::Device(torch::kCPU);
}

std::string dtype_hf_name(torch::Dtype dtype) {
  if (dtype == torch::kFloat32) return "float32";
  if (dtype == torch::kBFloat16) return "bfloat16";
  if (dtype == torch::kFloat16) return "float16";
  return c10::toString(dtype);
}

namespace {

using WeightPlan = std::vector<std::pair<torch::Tensor, const io::TensorView*>>;

// Matches `model`'s parameters with the checkpoint's tensors, checking names, dtypes and shapes
// from the headers alone. Throws FileError listing every problem: a checkpoint of another size
// or family usually has many.
WeightPlan plan_weights(CausalLmImpl& model, const Checkpoint& ck) {
  const bool sharded = ck.files.size() > 1 || ends_with(ck.source, kIndexFile);
  auto where = [&](const std::string& name) {
    return sharded ? " (in " + ck.file_of.at(name) + ")" : std::string();
  };
  std::vector<std::string> problems;
  WeightPlan plan;
  const auto params = model.named_parameters(/*recurse=*/true);
  for (const auto& item : params) {
    const std::string& name = item.key();
    const auto found = ck.tensors.find(name);
    if (found == ck.tensors.end()) {
      problems.push_back("tensor " + in_quotes(name) + " is missing (the model expects " +
                         io::describe_shape(sizes_of(item.value())) + ")");
      continue;
    }
    const io::TensorView& view = *found->second;
    if (!torch_dtype_of(view.dtype)) {
      problems.push_back("tensor " + in_quotes(name) + where(name) + ": dtype " + io::dtype_name(view.dtype) +
                         " is not a weight type (F32, F16 or BF16)");
      continue;
    }
    if (view.shape != sizes_of(item.value())) {
      problems.push_back("tensor " + in_quotes(name) + where(name) + ": shape " + io::describe_shape(view.shape) +
                         " but the model expects " + io::describe_shape(sizes_of(item.value())));
      continue;
    }
    plan.emplace_back(item.value(), &view);
  }
  for (const auto& [name, view] : ck.tensors) {
    if (params.contains(name) || ignorable(name, model.config())) continue;
    problems.push_back("unexpected tensor " + in_quotes(name) + where(name) + " (not part of a " +
                       model.config().model_type + " model with this config)");
  }
  if (!problems.empty()) throw FileError({ck.source, 0}, join_problems(problems));
  return plan;
}

// Checks config.json's sizes against the weights' headers before any module is built: a
// config claiming a billion layers or a vocabulary of 2^62 would otherwise build (or allocate)
// that many before the first tensor is compared. Only the tensors every family shares are read;
// plan_weights then checks each tensor in detail.
void check_sizes_against_weights(const ModelConfig& config, const Checkpoint& ck, const std::string& config_path) {
  const std::string weights = fs::path(ck.source).filename().string();
  const auto fail = [&](const char* field, int64_t value, const std::string& what) {
    throw FileError({config_path, 0}, std::string(field) + ": " + std::to_string(value) + ", but " + what);
  };
  const auto shape_of = [&](const std::string& name) -> const std::vector<int64_t>* {
    const auto it = ck.tensors.find(name);
    return it == ck.tensors.end() || it->second->shape.size() != 2 ? nullptr : &it->second->shape;
  };
  int64_t layers = 0;
  const std::string prefix = "model.layers.";
  for (const auto& [name, view] : ck.tensors) {
    if (name.rfind(prefix, 0) != 0) continue;
    const size_t end = name.find('.', prefix.size());
    const std::string index = name.substr(prefix.size(), end == std::string::npos ? end : end - prefix.size());
    if (index.empty() || index.size() > 9 || index.find_first_not_of("0123456789") != std::string::npos) continue;
    layers = std::max<int64_t>(layers, std::stoll(index) + 1);
  }
  // More layers in the weights than in the config: plan_weights names the unexpected tensors.
  if (config.num_layers > layers)
    fail("num_hidden_layers", config.num_layers,
         weights + " holds " + (layers ? "layers model.layers.0 to model.layers." + std::to_string(layers - 1)
                                       : std::string("no model.layers.* tensors")));
  if (const auto* embed = shape_of("model.embed_tokens.weight")) {
    if ((*embed)[0] != config.vocab_size)
      fail("vocab_size", config.vocab_size,
           "model.embed_tokens.weight in " + weights + " has " + std::to_string((*embed)[0]) + " rows");
    if ((*embed)[1] != config.hidden_size)
      fail("hidden_size", config.hidden_size,
           "model.embed_tokens.weight in " + weights + " has " + std::to_string((*embed)[1]) + " columns");
  }
  if (const auto* up = shape_of("model.layers.0.mlp.up_proj.weight"); up && (*up)[0] != config.intermediate_size)
    fail("intermediate_size", config.intermediate_size,
         "model.layers.0.mlp.up_proj.weight in " + weights + " has " + std::to_string((*up)[0]) + " rows");
  if (const auto* q = shape_of("model.layers.0.self_attn.q_proj.weight");
      q && (*q)[0] != config.num_heads * config.head_dim)
    fail("num_attention_heads", config.num_heads,
         "with head_dim " + std::to_string(config.head_dim) + " that needs " +
             std::to_string(config.num_heads * config.head_dim) + " rows in model.layers.0.self_attn.q_proj.weight, which has " +
             std::to_string((*q)[0]) + " in " + weights);
  if (const auto* k = shape_of("model.layers.0.self_attn.k_proj.weight");
      k && (*k)[0] != config.num_kv_heads * config.head_dim)
    fail("num_key_value_heads", config.num_kv_heads,
         "with head_dim " + std::to_string(config.head_dim) + " that needs " +
             std::to_string(config.num_kv_heads * config.head_dim) +
             " rows in model.layers.0.self_attn.k_proj.weight, which has " + std::to_string((*k)[0]) + " in " + weights);
}

// Reads config.json and checks it against the weights; the meta-device model of plan_weights is
// built only from a config that passed.
std::pair<ModelConfig, Checkpoint> open_model_folder(const std::string& folder) {
  const std::string config_path = (fs::path(folder) / "config.json").string();
  if (!fs::exists(config_path)) throw FileError({config_path, 0}, "missing: not a Hugging Face model folder?");
  ModelConfig config = read_model_config(config_path);
  Checkpoint ck = open_checkpoint(folder);
  check_sizes_against_weights(config, ck, config_path);
  return {std::move(config), std::move(ck)};
}

}  // namespace

void check_model_folder(const std::string& folder, const std::string& expected_model_type) {
  auto [config, ck] = open_model_folder(folder);
  if (!expected_model_type.empty() && config.model_type != expected_model_type)
    throw FileError({(fs::path(folder) / "config.json").string(), 0},
                    "model_type is \"" + config.model_type + "\" but \"" + expected_model_type + "\" was expected");
  // Parameters on the meta device have shapes and no storage: the check reads headers only,
  // whatever the model's size.
  CausalLm meta(std::move(config), torch::TensorOptions().dtype(torch::kFloat32).device(torch::kMeta));
  plan_weights(*meta, ck);
}

void load_weights(CausalLmImpl& model, const std::string& folder) {
  const Checkpoint ck = open_checkpoint(folder);
  const WeightPlan plan = plan_weights(model, ck);

  torch::NoGradGuard no_grad;
  for (const auto& [param, view] : plan) {
    const torch::Dtype dtype = *torch_dtype_of(view->dtype);
    const auto element = static_cast<uintptr_t>(io::dtype_size(view->dtype));
    torch::Tensor source;
    if (reinterpret_cast<uintptr_t>(view->data) % element == 0) {
      // Reads straight from the mapped file; copy_ converts dtype and moves to the device.
      source = torch::from_blob(const_cast<std::byte*>(view->data), view->shape, dtype);
    } else {
      source = torch::empty(view->shape, dtype);  // a misaligned hand-made file: copy bytes first
      std::memcpy(source.data_ptr(), view->data, view->size_bytes);
    }
    param.copy_(source);
  }
}

CausalLm load_model(const std::string& folder, const LoadOptions& options) {
  // The config is checked against the weights' headers before anything is allocated, so a
  // config.json that does not describe these weights fails with the field and tensor named
  // instead of allocating whatever size it claims.
  auto [config, ck] = open_model_folder(folder);
  {
    CausalLm meta(config, torch::TensorOptions().dtype(torch::kFloat32).device(torch::kMeta));
    plan_weights(*meta, ck);
  }
  const torch::Device device = options.device.value_or(torch::Device(torch::kCPU));
  const torch::Dtype dtype = options.dtype.value_or(device.is_cuda() ? torch::kBFloat16 : torch::kFloat32);
  CausalLm model(std::move(config), torch::TensorOptions().dtype(dtype).device(device));
  load_weights(*model, folder);
  model->set_source_dir(folder);
  model->eval();
  return model;
}

void save_model(CausalLmImpl& model, const std::string& folder, const SaveOptions& options) {
  const fs::path dir(folder);
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw FileError({folder, 0}, "cannot create folder: " + ec.message());
  const torch::Dtype dtype = options.dtype.value_or(model.dtype());
  const io::Dtype file_dtype = file_dtype_of(dtype);

  // Sorted by name, as transformers writes them.
  std::vector<std::pair<std::string, torch::Tensor>> params;
  for (const auto& item : model.named_parameters(true)) params.emplace_back(item.key(), item.value());
  std::sort(params.begin(), params.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  auto holder = std::make_shared<torch::Tensor>();  // the tensor being written, on the host
  std::vector<io::TensorToWrite> tensors;
  for (const auto& [name, param] : params) {
    io::TensorToWrite t;
    t.name = name;
    t.dtype = file_dtype;
    t.shape = sizes_of(param);
    t.fetch = [holder, param = param, dtype]() -> const void* {
      *holder = param.detach().to(torch::kCPU, dtype).contiguous();
      return holder->data_ptr();
    };
    tensors.push_back(std::move(t));
  }
  // transformers refuses safetensors files without format metadata.
  io::write_safetensors((dir / kWeightsFile).string(), tensors, {{"format", "pt"}});

  // Keep every key of the original config; only the storage dtype may have changed.
  nlohmann::json config = model.config().raw;
  if (!config.is_object()) throw Error("save_model: the model's config has no config.json to write");
  const std::string dtype_name = dtype_hf_name(dtype);
  bool updated = false;
  for (const char* key : {"dtype", "torch_dtype"}) {
    if (config.contains(key)) {
      config[key] = dtype_name;
      updated = true;
    }
  }
  if (!updated) config["torch_dtype"] = dtype_name;  // the spelling every transformers version reads
  io::write_json_file((dir / "config.json").string(), config);

  if (options.copy_tokenizer_files && !model.source_dir().empty() && fs::exists(model.source_dir()) &&
      !fs::equivalent(model.source_dir(), dir))
    copy_companion_files(model.source_dir(), folder, /*overwrite=*/true);
}

int copy_companion_files(const std::string& from_folder, const std::string& to_folder, bool overwrite) {
  int copied = 0;
  for (const char* name : kCompanionFiles) {
    const fs::path from = fs::path(from_folder) / name;
    const fs::path to = fs::path(to_folder) / name;
    if (!fs::exists(from) || (!overwrite && fs::exists(to))) continue;
    std::error_code ec;
    fs::copy_file(from, to, fs::copy_options::overwrite_existing, ec);
    if (ec) throw FileError({to.string(), 0}, "cannot copy from " + from.string() + ": " + ec.message());
    ++copied;
  }
  return copied;
}

ModelSummary summarize(const CausalLmImpl& model) {
  const ModelConfig& c = model.config();
  ModelSummary s;
  s.family = family_name(c.family);
  for (const auto& p : model.parameters()) s.parameters += p.numel();
  s.dtype = dtype_hf_name(model.dtype());
  s.device = model.device().str();
  s.layers = c.num_layers;
  s.hidden = c.hidden_size;
  s.intermediate = c.intermediate_size;
  s.heads = c.num_heads;
  s.kv_heads = c.num_kv_heads;
  s.head_dim = c.head_dim;
  s.vocab = c.vocab_size;
  s.tied_embeddings = c.tie_word_embeddings;
  s.sliding_window = c.sliding_window;
  return s;
}

std::string ModelSummary::to_string() const {
  std::string text = family + " · " + format_count(parameters) + " params · " + dtype + " on " + device + " · " +
                     std::to_string(layers) + " layers · hidden " + std::to_string(hidden) + " · " +
                     std::to_string(heads) + "/" + std::to_string(kv_heads) + " heads (dim " +
                     std::to_string(head_dim) + ") · vocab " + std::to_string(vocab);
  if (tied_embeddings) text += " · tied embeddings";
  if (sliding_window > 0) text += " · window " + std::to_string(sliding_window);
  return text;
}

}  // namespace tpt::model
