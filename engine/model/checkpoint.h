// Loading and saving Hugging Face model folders (config.json + model.safetensors, or shards
// listed in model.safetensors.index.json), and the one-line summary UIs show.
//
// Loading is strict: every parameter of the decoder must be in the checkpoint with its exact
// shape, and every tensor in the checkpoint must be a parameter (except known leftovers such as
// `rotary_emb.inv_freq`), so a checkpoint of another architecture or a truncated one fails with
// the tensor named instead of running with garbage weights. F32, F16 and BF16 weights are
// converted to the requested dtype.
//
// Saving writes a folder transformers can load: config.json (the original JSON, only `dtype`
// updated), model.safetensors, and the tokenizer files of the folder the model came from.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <torch/torch.h>

#include "model/decoder.h"

namespace tpt::model {

struct LoadOptions {
  // Default: CPU.
  std::optional<torch::Device> device;
  // Default: bf16 on CUDA, fp32 on CPU (CPU bf16 matmul is slow without oneDNN).
  std::optional<torch::Dtype> dtype;
};

// CUDA when libtorch has it and a GPU is present, else CPU.
torch::Device best_device();

// Loads `folder`. Throws FileError naming the file (config.json, a .safetensors file, the index)
// and the key or tensor at fault.
CausalLm load_model(const std::string& folder, const LoadOptions& options = {});

// Copies a checkpoint's tensors into `model`'s parameters with the strict checks above (the
// part of load_model after the config: for models built in code).
void load_weights(CausalLmImpl& model, const std::string& folder);

// Checks that `folder` loads as a model (config.json, and every tensor the config needs, with its
// shape, in the safetensors files) without reading the weights or allocating them; with
// `expected_model_type` ("llama", "qwen2", "gemma2") set, also that it is of that family. For
// folders another program wrote (an external trainer). Throws FileError as load_model does.
void check_model_folder(const std::string& folder, const std::string& expected_model_type = "");

struct SaveOptions {
  std::optional<torch::Dtype> dtype;  // default: the model's dtype
  bool copy_tokenizer_files = true;   // from model.source_dir(), when it has them
};

// Writes `model` into `folder` (created if needed). Each file is written atomically.
void save_model(CausalLmImpl& model, const std::string& folder, const SaveOptions& options = {});

// Copies the files a model folder needs beside its weights (tokenizer, chat template,
// generation defaults) from one folder to another; with `overwrite` false, only those missing
// there. Returns how many were copied.
int copy_companion_files(const std::string& from_folder, const std::string& to_folder, bool overwrite);

struct ModelSummary {
  std::string family;  // "llama", "qwen2", "gemma2"
  int64_t parameters = 0;  // tied embeddings counted once
  std::string dtype;   // "float32", "bfloat16", "float16"
  std::string device;  // "cpu", "cuda:0"
  int64_t layers = 0, hidden = 0, intermediate = 0, heads = 0, kv_heads = 0, head_dim = 0, vocab = 0;
  bool tied_embeddings = false;
  int64_t sliding_window = 0;  // 0: none

  // "gemma2 · 2.61B params · bfloat16 on cuda:0 · 26 layers · hidden 2304 · 8/4 heads (dim 256) · vocab 256000"
  std::string to_string() const;
};

ModelSummary summarize(const CausalLmImpl& model);

// "float32" etc. (HF's names, as in config.json's dtype).
std::string dtype_hf_name(torch::Dtype dtype);

}  // namespace tpt::model
