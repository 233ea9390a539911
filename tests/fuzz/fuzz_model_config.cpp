// config.json of a model folder (model/config.h; its reader is torch-free and built here on its
// own). A config the reader accepts must be one the decoder can be built from: positive sizes,
// heads that group evenly, an even head_dim, one sliding flag per layer; the derived numbers the
// decoder and benchmarks use are computed too.
#include <cmath>

#include "core/error.h"
#include "fuzz_support.h"
#include "io/json_parse.h"
#include "model/config.h"

using namespace tpt;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  nlohmann::json doc;
  try {
    doc = io::parse_json_bounded(fuzz::as_text(data, size));
  } catch (const nlohmann::json::parse_error&) {
    return 0;
  }
  model::ModelConfig c;
  try {
    c = model::parse_model_config(doc, "config.json");
  } catch (const Error&) {
    return 0;
  }
  FUZZ_EXPECT(c.vocab_size > 0 && c.hidden_size > 0 && c.intermediate_size > 0 && c.num_layers > 0,
              "a size below 1 accepted");
  FUZZ_EXPECT(c.num_heads > 0 && c.num_kv_heads > 0 && c.num_heads % c.num_kv_heads == 0,
              "heads that do not group evenly accepted");
  FUZZ_EXPECT(c.head_dim > 0 && c.head_dim % 2 == 0, "an odd or empty head_dim accepted");
  FUZZ_EXPECT(c.sliding_layers.size() == static_cast<size_t>(c.num_layers), "sliding flags do not match the layers");
  FUZZ_EXPECT(c.rms_norm_eps > 0 && c.rope.theta > 0, "a non-positive eps or rope theta accepted");
  FUZZ_EXPECT(c.kv_groups() >= 1, "kv_groups below 1");
  FUZZ_EXPECT(!std::isnan(c.attention_scale()), "attention scale is NaN");
  (void)model::matmul_weights(c);
  const auto inverse = model::rope_inverse_frequencies(c.rope, c.head_dim);
  FUZZ_EXPECT(inverse.size() == static_cast<size_t>(c.head_dim / 2), "one RoPE frequency per pair");

  // The raw document is kept for saving: read again it gives the same config.
  const model::ModelConfig again = model::parse_model_config(c.raw, "config.json");
  FUZZ_EXPECT(again.raw == c.raw && again.num_layers == c.num_layers && again.head_dim == c.head_dim &&
                  again.sliding_layers == c.sliding_layers,
              "config.json read twice differs");
  return 0;
}
