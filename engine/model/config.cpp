#include "model/config.h"

#include <cmath>
#include <limits>
#include <optional>

#include "core/error.h"
#include "io/json_fields.h"

namespace tpt::model {

namespace {

constexpr const char* kSupported = "supported: llama, qwen2, gemma2";

// Sizes (vocabulary, widths, layers, heads) are bounded far above any real model (Gemma's 256K
// vocabulary, widths in the tens of thousands, a few hundred layers): a config.json with
// "num_hidden_layers": 1e15 must fail here with its key named, not when a per-layer table or
// the RoPE frequencies are allocated, and products of two sizes must fit in 64 bits.
constexpr int64_t kMaxSize = int64_t{1} << 24;

// config.json carries dozens of keys the decoder does not use (initializer_range, use_cache,
// ...), so unlike our own configs unknown keys are not errors: each reader looks up one key.
// null counts as absent, as in transformers.
class ConfigReader {
 public:
  ConfigReader(const nlohmann::json& doc, std::string source) : doc_(doc), source_(std::move(source)) {}

  FileError error(const std::string& path, const std::string& reason) const {
    return FileError({source_, 0}, path + ": " + reason);
  }

  const nlohmann::json* find(const nlohmann::json& object, const char* key) const {
    const auto it = object.find(key);
    return it == object.end() || it->is_null() ? nullptr : &*it;
  }

  int64_t integer(const char* key, std::optional<int64_t> fallback = std::nullopt, int64_t min = 1,
                  int64_t max = std::numeric_limits<int64_t>::max()) const {
    const nlohmann::json* value = find(doc_, key);
    if (!value) {
      if (fallback) return *fallback;
      throw error(key, "missing");
    }
    if (!value->is_number_integer()) throw error(key, "expected an integer, got " + io::describe_json(*value));
    const bool too_large = value->is_number_unsigned() ? value->get<uint64_t>() > static_cast<uint64_t>(max)
                                                       : value->get<int64_t>() > max;
    if (too_large) throw error(key, "must be at most " + std::to_string(max) + ", got " + io::describe_json(*value));
    const int64_t v = value->get<int64_t>();
    if (v < min) throw error(key, "must be at least " + std::to_string(min) + ", got " + io::describe_json(*value));
    return v;
  }

  double number(const nlohmann::json& object, const std::string& parent, const char* key,
                std::optional<double> fallback) const {
    const std::string path = parent.empty() ? key : parent + "." + key;
    const nlohmann::json* value = find(object, key);
    if (!value) {
      if (fallback) return *fallback;
      throw error(path, "missing");
    }
    if (!value->is_number()) throw error(path, "expected a number, got " + io::describe_json(*value));
    return value->get<double>();
  }
  double number(const char* key, std::optional<double> fallback) const { return number(doc_, "", key, fallback); }

  // A soft-cap or other optional feature: null or absent -> 0 (off) unless a default applies.
  double optional_number(const char* key, double fallback) const {
    const auto it = doc_.find(key);
    if (it == doc_.end()) return fallback;
    if (it->is_null()) return 0;
    if (!it->is_number()) throw error(key, "expected a number or null, got " + io::describe_json(*it));
    return it->get<double>();
  }

  bool boolean(const char* key, bool fallback) const {
    const nlohmann::json* value = find(doc_, key);
    if (!value) return fallback;
    if (!value->is_boolean()) throw error(key, "expected true or false, got " + io::describe_json(*value));
    return value->get<bool>();
  }

  std::string string(const nlohmann::json& object, const std::string& path, const char* key) const {
    const nlohmann::json* value = find(object, key);
    if (!value) return "";
    if (!value->is_string()) throw error(path, "expected a string, got " + io::describe_json(*value));
    return value->get<std::string>();
  }

  const nlohmann::json& doc() const { return doc_; }

 private:
  const nlohmann::json& doc_;
  std::string source_;
};

ModelFamily read_family(const ConfigReader& r, std::string& model_type) {
  model_type = r.string(r.doc(), "model_type", "model_type");
  if (model_type.empty()) {
    // Some exported configs name only the class.
    if (const auto* arch = r.find(r.doc(), "architectures"); arch && arch->is_array() && !arch->empty() &&
                                                               (*arch)[0].is_string()) {
      const std::string name = (*arch)[0].get<std::string>();
      if (name == "LlamaForCausalLM") model_type = "llama";
      else if (name == "Qwen2ForCausalLM") model_type = "qwen2";
      else if (name == "Gemma2ForCausalLM") model_type = "gemma2";
      else throw r.error("architectures", "unsupported \"" + name + "\" (" + kSupported + ")");
    } else {
      throw r.error("model_type", std::string("missing (") + kSupported + ")");
    }
  }
  if (model_type == "llama") return ModelFamily::Llama;
  if (model_type == "qwen2") return ModelFamily::Qwen2;
  if (model_type == "gemma2") return ModelFamily::Gemma2;
  throw r.error("model_type", "unsupported \"" + model_type + "\" (" + kSupported + ")");
}

// transformers 5 writes {"rope_parameters": {"rope_theta", "rope_type", ...}}; earlier versions
// a top-level rope_theta and an optional rope_scaling object ("type" or "rope_type").
RopeConfig read_rope(const ConfigReader& r) {
  RopeConfig rope;
  const nlohmann::json* params = r.find(r.doc(), "rope_parameters");
  std::string params_key = "rope_parameters";
  if (params) {
    if (!params->is_object()) throw r.error(params_key, "expected an object, got " + io::describe_json(*params));
    rope.theta = r.number(*params, params_key, "rope_theta", r.number("rope_theta", 10000.0));
  } else {
    rope.theta = r.number("rope_theta", 10000.0);
    params = r.find(r.doc(), "rope_scaling");
    params_key = "rope_scaling";
    if (params && !params->is_object()) throw r.error(params_key, "expected an object, got " + io::describe_json(*params));
  }
  if (!(rope.theta > 0)) throw r.error(params_key == "rope_parameters" ? "rope_parameters.rope_theta" : "rope_theta",
                                       "must be positive");
  if (!params) return rope;

  std::string type_key = "rope_type";
  std::string type = r.string(*params, params_key + ".rope_type", "rope_type");
  if (type.empty() && params->contains("type")) {
    type_key = "type";
    type = r.string(*params, params_key + ".type", "type");
  }
  if (type.empty() || type == "default") return rope;
  if (type != "llama3")
    throw r.error(params_key + "." + type_key, "unsupported \"" + type + "\" (supported: default, llama3)");
  rope.llama3 = true;
  rope.factor = r.number(*params, params_key, "factor", std::nullopt);
  rope.low_freq_factor = r.number(*params, params_key, "low_freq_factor", std::nullopt);
  rope.high_freq_factor = r.number(*params, params_key, "high_freq_factor", std::nullopt);
  rope.original_max_position_embeddings =
      r.number(*params, params_key, "original_max_position_embeddings", std::nullopt);
  if (!(rope.factor > 0) || !(rope.low_freq_factor > 0) || !(rope.high_freq_factor > rope.low_freq_factor) ||
      !(rope.original_max_position_embeddings > 0))
    throw r.error(params_key, "llama3 needs factor > 0, 0 < low_freq_factor < high_freq_factor and "
                              "original_max_position_embeddings > 0");
  return rope;
}

Activation read_activation(const ConfigReader& r, ModelFamily family) {
  // Gemma 2 reads hidden_activation (hidden_act is a Gemma 1 leftover that HF ignores there).
  const char* key = family == ModelFamily::Gemma2 && r.find(r.doc(), "hidden_activation") ? "hidden_activation"
                                                                                         : "hidden_act";
  std::string name = r.string(r.doc(), key, key);
  if (family == ModelFamily::Gemma2 && std::string(key) == "hidden_act") name = "gelu_pytorch_tanh";
  if (name.empty()) name = "silu";
  if (name == "silu" || name == "swish") return Activation::Silu;
  if (name == "gelu_pytorch_tanh" || name == "gelu_new") return Activation::GeluTanh;
  if (name == "gelu") return Activation::Gelu;
  throw r.error(key, "unsupported \"" + name + "\" (supported: silu, gelu_pytorch_tanh, gelu_new, gelu)");
}

}  // namespace

std::string family_name(ModelFamily family) {
  switch (family) {
    case ModelFamily::Llama: return "llama";
    case ModelFamily::Qwen2: return "qwen2";
    case ModelFamily::Gemma2: return "gemma2";
  }
  return "?";
}

double ModelConfig::attention_scale() const {
  return 1.0 / std::sqrt(query_pre_attn_scalar > 0 ? query_pre_attn_scalar : static_cast<double>(head_dim));
}

ModelConfig parse_model_config(const nlohmann::json& doc, const std::string& source) {
  if (!doc.is_object()) throw FileError({source, 0}, "expected a JSON object");
  const ConfigReader r(doc, source);
  ModelConfig c;
  c.raw = doc;
  c.family = read_family(r, c.model_type);
  const bool gemma = c.family == ModelFamily::Gemma2;

  // Sizes are bounded before anything is sized by them (the per-layer tables below, the model):
  // token ids are 32-bit, and the other bounds are far beyond any published model while keeping
  // every product of them within 64 bits. Whether they describe the weights is checked against
  // the safetensors headers when the model is loaded.
  constexpr int64_t kMaxDim = int64_t{1} << 24;
  c.vocab_size = r.integer("vocab_size", std::nullopt, 1, std::numeric_limits<int32_t>::max());
  c.hidden_size = r.integer("hidden_size", std::nullopt, 1, kMaxDim);
  c.intermediate_size = r.integer("intermediate_size", std::nullopt, 1, kMaxDim);
  c.num_layers = r.integer("num_hidden_layers", std::nullopt, 1, 100'000);
  c.num_heads = r.integer("num_attention_heads", std::nullopt, 1, kMaxDim);
  c.num_kv_heads = r.integer("num_key_value_heads", c.num_heads, 1, kMaxDim);
  if (c.num_heads % c.num_kv_heads != 0)
    throw r.error("num_key_value_heads", std::to_string(c.num_kv_heads) + " does not divide num_attention_heads " +
                                             std::to_string(c.num_heads));
  if (!r.find(doc, "head_dim") && c.hidden_size % c.num_heads != 0)
    throw r.error("head_dim", "missing, and hidden_size is not a multiple of num_attention_heads");
  c.head_dim = r.integer("head_dim", c.hidden_size / c.num_heads, 1, kMaxDim);
  if (c.head_dim % 2 != 0) throw r.error("head_dim", "must be even for rotary embeddings");
  c.max_position_embeddings = r.integer("max_position_embeddings", int64_t{0}, 0);
  c.rms_norm_eps = r.number("rms_norm_eps", 1e-6);
  if (!(c.rms_norm_eps > 0)) throw r.error("rms_norm_eps", "must be positive");
  c.rope = read_rope(r);
  c.activation = read_activation(r, c.family);

  switch (c.family) {
    case ModelFamily::Llama:
      c.tie_word_embeddings = r.boolean("tie_word_embeddings", false);
      c.qkv_bias = c.o_bias = r.boolean("attention_bias", false);
      c.mlp_bias = r.boolean("mlp_bias", false);
      break;
    case ModelFamily::Qwen2:
      c.tie_word_embeddings = r.boolean("tie_word_embeddings", false);
      c.qkv_bias = true;  // Qwen 2 always has q/k/v bias and never an o bias
      if (r.boolean("use_sliding_window", false)) c.sliding_window = r.integer("sliding_window");
      break;
    case ModelFamily::Gemma2:
      c.tie_word_embeddings = r.boolean("tie_word_embeddings", true);
      c.qkv_bias = c.o_bias = r.boolean("attention_bias", false);
      c.gemma_norms = true;
      // Defaults are transformers' Gemma2Config defaults.
      c.query_pre_attn_scalar = r.number("query_pre_attn_scalar", 256.0);
      if (!(c.query_pre_attn_scalar > 0)) throw r.error("query_pre_attn_scalar", "must be positive");
      c.attn_logit_softcap = r.optional_number("attn_logit_softcapping", 50.0);
      c.final_logit_softcap = r.optional_number("final_logit_softcapping", 30.0);
      if (c.attn_logit_softcap < 0) throw r.error("attn_logit_softcapping", "must be positive or null");
      if (c.final_logit_softcap < 0) throw r.error("final_logit_softcapping", "must be positive or null");
      c.sliding_window = r.integer("sliding_window", int64_t{4096});
      break;
  }

  c.sliding_layers.assign(static_cast<size_t>(c.num_layers), false);
  if (c.sliding_window > 0) {
    if (const nlohmann::json* types = r.find(doc, "layer_types")) {
      if (!types->is_array() || static_cast<int64_t>(types->size()) != c.num_layers)
        throw r.error("layer_types", "expected one entry per layer (" + std::to_string(c.num_layers) + ")");
      for (size_t i = 0; i < types->size(); ++i) {
        const auto& t = (*types)[i];
        const std::string path = "layer_types[" + std::to_string(i) + "]";
        if (!t.is_string()) throw r.error(path, "expected a string, got " + io::describe_json(t));
        if (t == "sliding_attention") c.sliding_layers[i] = true;
        else if (t != "full_attention")
          throw r.error(path, "unsupported \"" + t.get<std::string>() + "\" (supported: full_attention, sliding_attention)");
      }
    } else if (gemma) {
      for (size_t i = 0; i < c.sliding_layers.size(); i += 2) c.sliding_layers[i] = true;  // even layers slide
    } else {
      const int64_t first = r.integer("max_window_layers", int64_t{28}, 0);
      for (int64_t i = first; i < c.num_layers; ++i) c.sliding_layers[static_cast<size_t>(i)] = true;
    }
  }
  return c;
}

ModelConfig read_model_config(const std::string& path) { return parse_model_config(io::read_json_file(path), path); }

double matmul_weights(const ModelConfig& c) {
  const double q_out = static_cast<double>(c.num_heads) * static_cast<double>(c.head_dim);
  const double kv_out = static_cast<double>(c.num_kv_heads) * static_cast<double>(c.head_dim);
  const double h = static_cast<double>(c.hidden_size);
  const double per_layer = h * q_out + 2 * h * kv_out + q_out * h + 3 * h * static_cast<double>(c.intermediate_size);
  return static_cast<double>(c.num_layers) * per_layer + h * static_cast<double>(c.vocab_size);
}

std::vector<double> rope_inverse_frequencies(const RopeConfig& rope, int64_t head_dim) {
  constexpr double kPi = 3.14159265358979323846;
  std::vector<double> inv(static_cast<size_t>(head_dim / 2));
  for (size_t i = 0; i < inv.size(); ++i) {
    double f = 1.0 / std::pow(rope.theta, static_cast<double>(2 * i) / static_cast<double>(head_dim));
    if (rope.llama3) {
      // Wavelengths shorter than L0/high_ff keep their frequency, longer than L0/low_ff are
      // slowed by `factor`, and those between blend linearly in L0/wavelength.
      const double wavelength = 2 * kPi / f;
      const double low_freq_wavelength = rope.original_max_position_embeddings / rope.low_freq_factor;
      const double high_freq_wavelength = rope.original_max_position_embeddings / rope.high_freq_factor;
      if (wavelength > low_freq_wavelength) {
        f = f / rope.factor;
      } else if (wavelength >= high_freq_wavelength) {
        const double smooth = (rope.original_max_position_embeddings / wavelength - rope.low_freq_factor) /
                              (rope.high_freq_factor - rope.low_freq_factor);
        f = (1 - smooth) * f / rope.factor + smooth * f;
      }
    }
    inv[i] = f;
  }
  return inv;
}

}  // namespace tpt::model
