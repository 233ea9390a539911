// safetensors files (io/safetensors.h): the reader's checks of the 8-byte length, the JSON
// header and the data offsets, on a file holding the input. A file it accepts is written back
// with write_safetensors and read again: the same tensors (dtype, shape, bytes) and metadata.
#include <cstring>
#include <filesystem>

#include <optional>

#include "core/error.h"
#include "fuzz_support.h"
#include "io/safetensors.h"

using namespace tpt;

namespace {

std::string scratch_dir() {
  // Written files go to memory where there is a tmpfs for it.
  const char* base = std::filesystem::is_directory("/dev/shm") ? "/dev/shm" : "/tmp";
  std::string pattern = std::string(base) + "/tpt-fuzz-safetensors-XXXXXX";
  if (!::mkdtemp(pattern.data())) {
    std::perror("mkdtemp");
    std::abort();
  }
  return pattern;
}

void check_views(const io::SafetensorsFile& file, size_t size) {
  for (const io::TensorView& t : file.tensors()) {
    FUZZ_EXPECT(file.find(t.name) == &t, "tensor " + fuzz::show(t.name) + " not found by name");
    uint64_t bytes = io::dtype_size(t.dtype);
    for (int64_t d : t.shape) {
      FUZZ_EXPECT(d >= 0, "negative dimension in " + fuzz::show(t.name));
      bytes *= static_cast<uint64_t>(d);
    }
    FUZZ_EXPECT(t.size_bytes == bytes, "size of " + fuzz::show(t.name) + " is not shape x dtype");
    FUZZ_EXPECT(t.size_bytes <= size, "tensor " + fuzz::show(t.name) + " larger than the file");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static fuzz::InputFile input;
  static const std::string dir = scratch_dir();

  std::optional<io::SafetensorsFile> file;
  try {
    file.emplace(input.write(fuzz::as_text(data, size)));
  } catch (const FileError&) {
    return 0;
  }
  check_views(*file, size);

  // Written back and read again.
  std::vector<io::TensorToWrite> out;
  for (const io::TensorView& t : file->tensors()) out.push_back({t.name, t.dtype, t.shape, t.data, {}});
  const std::string copy = dir + "/copy.safetensors";
  io::write_safetensors(copy, out, file->metadata());
  const io::SafetensorsFile back(copy);
  FUZZ_EXPECT(back.tensors().size() == file->tensors().size(), "tensor count changed by a write and read");
  FUZZ_EXPECT(back.metadata() == file->metadata(), "metadata changed by a write and read");
  for (const io::TensorView& t : file->tensors()) {
    const io::TensorView* u = back.find(t.name);
    FUZZ_EXPECT(u, "tensor " + fuzz::show(t.name) + " lost by a write and read");
    FUZZ_EXPECT(u->dtype == t.dtype && u->shape == t.shape && u->size_bytes == t.size_bytes,
                "tensor " + fuzz::show(t.name) + " changed by a write and read");
    FUZZ_EXPECT(t.size_bytes == 0 || std::memcmp(u->data, t.data, t.size_bytes) == 0,
                "data of " + fuzz::show(t.name) + " changed by a write and read");
  }
  return 0;
}
