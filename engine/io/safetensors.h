// Reading and writing safetensors files, the weight format of Hugging Face model folders.
//
// Layout: an 8-byte little-endian header length N, N bytes of JSON, then one data buffer. The
// JSON maps each tensor name to {dtype, shape, data_offsets [begin, end)} relative to the buffer,
// plus an optional "__metadata__" object of string -> string.
//
// The reader maps the file and hands out views into it; it checks everything the reference
// implementation checks (header within the file, valid JSON, offsets in range, contiguous and
// non-overlapping, sizes matching shape x dtype, buffer fully covered), so a truncated download
// or a hand-edited header fails here with the file and tensor named, not later as garbage
// weights. Torch-free: the model code turns views into tensors.
//
//   SafetensorsFile file("model.safetensors");
//   const TensorView& w = file.at("model.norm.weight");   // w.dtype, w.shape, w.data
//
// Sharded checkpoints ("model.safetensors.index.json") are read with read_safetensors_index.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace tpt::io {

// The element types of the format. Names as they appear in headers ("F32", "BF16", ...).
enum class Dtype { Bool, U8, I8, I16, U16, F16, BF16, I32, U32, F32, F64, I64, U64, F8_E4M3, F8_E5M2 };

size_t dtype_size(Dtype dtype);
std::string dtype_name(Dtype dtype);
std::optional<Dtype> parse_dtype(const std::string& name);

// One tensor inside a mapped file. `data` stays valid while the SafetensorsFile lives.
struct TensorView {
  std::string name;
  Dtype dtype = Dtype::F32;
  std::vector<int64_t> shape;
  const std::byte* data = nullptr;
  size_t size_bytes = 0;

  int64_t numel() const;
};

// "F32 [2, 48, 320]": for messages.
std::string describe_tensor(Dtype dtype, const std::vector<int64_t>& shape);
std::string describe_shape(const std::vector<int64_t>& shape);  // "[2, 48, 320]"

// A memory-mapped safetensors file. Throws FileError naming the file (and the tensor, where
// one is at fault) when the file cannot be read or is malformed. Move-only.
class SafetensorsFile {
 public:
  explicit SafetensorsFile(const std::string& path);
  ~SafetensorsFile();
  SafetensorsFile(SafetensorsFile&& other) noexcept;
  SafetensorsFile& operator=(SafetensorsFile&& other) noexcept;
  SafetensorsFile(const SafetensorsFile&) = delete;
  SafetensorsFile& operator=(const SafetensorsFile&) = delete;

  const std::string& path() const { return path_; }
  // In header order as parsed (alphabetical for files the reference writes).
  const std::vector<TensorView>& tensors() const { return tensors_; }
  const std::map<std::string, std::string>& metadata() const { return metadata_; }

  const TensorView* find(const std::string& name) const;
  // Throws FileError "file: no tensor \"name\"" when absent.
  const TensorView& at(const std::string& name) const;

 private:
  void unmap();

  std::string path_;
  void* mapping_ = nullptr;
  size_t mapped_size_ = 0;
  std::vector<TensorView> tensors_;
  std::map<std::string, size_t> index_;
  std::map<std::string, std::string> metadata_;
};

// model.safetensors.index.json: which shard file holds each tensor (file names are relative to
// the index's folder). Throws FileError on a malformed index.
struct SafetensorsIndex {
  std::map<std::string, std::string> weight_map;  // tensor name -> shard file name
  std::vector<std::string> shard_files() const;   // distinct, sorted
};
SafetensorsIndex read_safetensors_index(const std::string& path);

// One tensor to write. Either `data` points at size_bytes of row-major data, or `fetch` is
// called just before the tensor is written and returns such a pointer, valid until the next
// call: a model on a GPU is then copied to host memory one tensor at a time.
struct TensorToWrite {
  std::string name;
  Dtype dtype = Dtype::F32;
  std::vector<int64_t> shape;
  const void* data = nullptr;
  std::function<const void*()> fetch;
};

// Writes tensors in the given order, the header padded with spaces to a multiple of 8 bytes as
// the reference writer does (so the data buffer starts 8-byte aligned). Atomic: written to a
// temporary file beside `path`, then renamed over it. Throws FileError.
void write_safetensors(const std::string& path, const std::vector<TensorToWrite>& tensors,
                       const std::map<std::string, std::string>& metadata = {});

}  // namespace tpt::io
