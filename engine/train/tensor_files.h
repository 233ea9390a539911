// Named fp32 tensors to and from safetensors files, for the trainer's own files (adapters,
// optimizer state). Model weights go through model/checkpoint.h instead.
#pragma once

#include <map>
#include <string>

#include <torch/torch.h>

namespace tpt::train {

// Writes the tensors (any device, converted to fp32) in name order, atomically.
void write_tensor_file(const std::string& path, const std::map<std::string, torch::Tensor>& tensors);
// Reads every tensor of a safetensors file as fp32 (F32, BF16 and F16 accepted), on the CPU.
// Throws FileError naming the file and tensor.
std::map<std::string, torch::Tensor> read_tensor_file(const std::string& path);

}  // namespace tpt::train
