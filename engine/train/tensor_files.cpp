#include "train/tensor_files.h"

#include <cstring>
#include <memory>
#include <vector>

#include "core/error.h"
#include "io/safetensors.h"

namespace tpt::train {

void write_tensor_file(const std::string& path, const std::map<std::string, torch::Tensor>& tensors) {
  std::vector<torch::Tensor> host;  // keeps the converted copies alive until written
  std::vector<io::TensorToWrite> out;
  host.reserve(tensors.size());
  for (const auto& [name, t] : tensors) {
    host.push_back(t.detach().to(torch::kCPU, torch::kFloat32).contiguous());
    io::TensorToWrite w;
    w.name = name;
    w.dtype = io::Dtype::F32;
    w.shape = host.back().sizes().vec();
    w.data = host.back().data_ptr();
    out.push_back(std::move(w));
  }
  io::write_safetensors(path, out, {{"format", "pt"}});
}

std::map<std::string, torch::Tensor> read_tensor_file(const std::string& path) {
  io::SafetensorsFile file(path);
  std::map<std::string, torch::Tensor> out;
  for (const io::TensorView& view : file.tensors()) {
    torch::Dtype dtype;
    switch (view.dtype) {
      case io::Dtype::F32: dtype = torch::kFloat32; break;
      case io::Dtype::BF16: dtype = torch::kBFloat16; break;
      case io::Dtype::F16: dtype = torch::kFloat16; break;
      default:
        throw FileError({path, 0}, "tensor \"" + view.name + "\": " + io::describe_tensor(view.dtype, view.shape) +
                                       ", expected F32, BF16 or F16");
    }
    auto t = torch::empty(view.shape, dtype);
    if (view.size_bytes) std::memcpy(t.data_ptr(), view.data, view.size_bytes);
    out[view.name] = t.to(torch::kFloat32);
  }
  return out;
}

}  // namespace tpt::train
