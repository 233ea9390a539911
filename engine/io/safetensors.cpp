#include "io/safetensors.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <set>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "io/atomic_file.h"
#include "io/json_fields.h"
#include "io/json_parse.h"
#include "io/regular_file.h"

namespace tpt::io {

namespace {

struct DtypeInfo {
  Dtype dtype;
  const char* name;
  size_t size;
};

constexpr DtypeInfo kDtypes[] = {
    {Dtype::Bool, "BOOL", 1}, {Dtype::U8, "U8", 1},       {Dtype::I8, "I8", 1},
    {Dtype::I16, "I16", 2},   {Dtype::U16, "U16", 2},     {Dtype::F16, "F16", 2},
    {Dtype::BF16, "BF16", 2}, {Dtype::I32, "I32", 4},     {Dtype::U32, "U32", 4},
    {Dtype::F32, "F32", 4},   {Dtype::F64, "F64", 8},     {Dtype::I64, "I64", 8},
    {Dtype::U64, "U64", 8},   {Dtype::F8_E4M3, "F8_E4M3", 1}, {Dtype::F8_E5M2, "F8_E5M2", 1},
};

const DtypeInfo& info_of(Dtype dtype) {
  for (const auto& info : kDtypes)
    if (info.dtype == dtype) return info;
  return kDtypes[0];
}

std::string system_error(int error) { return std::strerror(error); }

std::string in_quotes(const std::string& name) { return "\"" + name + "\""; }

// Reads a non-negative integer that fits in uint64 (JSON numbers may come as signed, unsigned
// or, for a hand-edited file, floating point).
std::optional<uint64_t> as_size(const nlohmann::json& value) {
  if (value.is_number_unsigned()) return value.get<uint64_t>();
  if (value.is_number_integer()) {
    const int64_t v = value.get<int64_t>();
    if (v >= 0) return static_cast<uint64_t>(v);
  }
  return std::nullopt;
}

struct Span {
  uint64_t begin, end;
  size_t tensor;
};

struct Mapping {
  void* data = nullptr;
  uint64_t size = 0;
};

// Maps the whole file read-only. Throws FileError.
Mapping map_file(const std::string& path) {
  auto fail = [&](const std::string& reason) -> FileError { return FileError({path, 0}, reason); };
  // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer; it is refused
  // below, as is a device (mapping /dev/zero is no checkpoint). Regular files ignore the flag.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) throw fail("cannot open file: " + system_error(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int error = errno;
    ::close(fd);
    throw fail("cannot stat file: " + system_error(error));
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    throw fail("not a regular file (" + describe_file_kind(static_cast<unsigned>(st.st_mode)) + ")");
  }
  const auto file_size = static_cast<uint64_t>(st.st_size);
  if (file_size < 8) {
    ::close(fd);
    throw fail("file too short (" + std::to_string(file_size) +
               " bytes) to hold the 8-byte header length: truncated file?");
  }
  void* mapping = ::mmap(nullptr, file_size, PROT_READ, MAP_PRIVATE, fd, 0);
  const int map_error = errno;
  ::close(fd);  // the mapping keeps the file alive
  if (mapping == MAP_FAILED) throw fail("cannot map file: " + system_error(map_error));
  return {mapping, file_size};
}

struct Header {
  nlohmann::json json;
  uint64_t length = 0;  // of the JSON text, after the 8 bytes that give it
};

// The JSON header of a mapped file of `file_size` (>= 8) bytes. Throws FileError.
Header parse_header(const std::string& path, const unsigned char* bytes, uint64_t file_size) {
  auto fail = [&](const std::string& reason) -> FileError { return FileError({path, 0}, reason); };
  Header header;
  for (int i = 7; i >= 0; --i) header.length = (header.length << 8) | bytes[i];
  if (header.length > file_size - 8)
    throw fail("header length " + std::to_string(header.length) + " exceeds file size " + std::to_string(file_size));
  const char* header_text = reinterpret_cast<const char*>(bytes + 8);
  try {
    header.json = parse_json_bounded(std::string_view(header_text, header.length));
  } catch (const nlohmann::json::parse_error& e) {
    throw fail("header is not valid JSON (" + std::string(e.what()) + ")");
  }
  if (!header.json.is_object()) throw fail("header is not a JSON object");
  return header;
}

// The "__metadata__" entry: an object of strings. Throws FileError.
void read_metadata(const std::string& path, const nlohmann::json& entry, std::map<std::string, std::string>& metadata) {
  auto fail = [&](const std::string& reason) -> FileError { return FileError({path, 0}, reason); };
  if (!entry.is_object()) throw fail("__metadata__ is not an object of strings");
  for (const auto& [key, value] : entry.items()) {
    if (!value.is_string()) throw fail("__metadata__." + key + ": expected a string, got " + describe_json(value));
    metadata[key] = value.get<std::string>();
  }
}

FileError tensor_error(const std::string& path, const std::string& name, const std::string& reason) {
  return FileError({path, 0}, "tensor " + in_quotes(name) + ": " + reason);
}

// A tensor's dtype, shape and byte count, as its header entry gives them. Throws FileError.
struct TensorLayout {
  Dtype dtype = Dtype::F32;
  std::vector<int64_t> shape;
  uint64_t size_bytes = 0;
};

TensorLayout read_layout(const std::string& path, const std::string& name, const nlohmann::json& entry) {
  auto bad = [&](const std::string& reason) { return tensor_error(path, name, reason); };
  if (!entry.is_object()) throw bad("entry is not an object");
  const auto dtype_it = entry.find("dtype");
  if (dtype_it == entry.end() || !dtype_it->is_string()) throw bad("missing dtype");
  const auto dtype = parse_dtype(dtype_it->get<std::string>());
  if (!dtype) throw bad("unknown dtype " + in_quotes(dtype_it->get<std::string>()));

  const auto shape_it = entry.find("shape");
  if (shape_it == entry.end() || !shape_it->is_array()) throw bad("missing shape");
  TensorLayout layout;
  layout.dtype = *dtype;
  uint64_t numel = 1;
  for (const auto& dim : *shape_it) {
    const auto d = as_size(dim);
    if (!d || *d > static_cast<uint64_t>(INT64_MAX)) throw bad("shape " + shape_it->dump() + " is not a list of sizes");
    layout.shape.push_back(static_cast<int64_t>(*d));
    if (__builtin_mul_overflow(numel, *d, &numel)) throw bad("shape " + shape_it->dump() + " is too large");
  }
  if (__builtin_mul_overflow(numel, dtype_size(*dtype), &layout.size_bytes))
    throw bad("shape " + shape_it->dump() + " is too large");
  return layout;
}

// The entry's data_offsets, checked against the buffer and the layout's byte count. Throws
// FileError.
std::pair<uint64_t, uint64_t> read_offsets(const std::string& path, const std::string& name,
                                           const nlohmann::json& entry, const TensorLayout& layout,
                                           uint64_t buffer_size) {
  auto bad = [&](const std::string& reason) { return tensor_error(path, name, reason); };
  const auto offsets_it = entry.find("data_offsets");
  if (offsets_it == entry.end() || !offsets_it->is_array() || offsets_it->size() != 2 ||
      !as_size((*offsets_it)[0]) || !as_size((*offsets_it)[1]))
    throw bad("data_offsets must be [begin, end] byte offsets");
  const uint64_t begin = *as_size((*offsets_it)[0]);
  const uint64_t end = *as_size((*offsets_it)[1]);
  const std::string offsets = "data_offsets [" + std::to_string(begin) + ", " + std::to_string(end) + "]";
  if (end < begin) throw bad(offsets + " end before begin");
  if (end > buffer_size)
    throw bad(offsets + " exceed the data buffer of " + std::to_string(buffer_size) + " bytes (truncated file?)");
  if (end - begin != layout.size_bytes)
    throw bad(offsets + " hold " + std::to_string(end - begin) + " bytes but " +
              describe_tensor(layout.dtype, layout.shape) + " needs " + std::to_string(layout.size_bytes));
  return {begin, end};
}

// The reference implementation requires the tensors to tile the buffer exactly: no overlap
// (two names sharing bytes), no gap, nothing after the last one. Throws FileError.
void check_tiling(const std::string& path, std::vector<Span> spans, const std::vector<TensorView>& tensors,
                  uint64_t buffer_size) {
  auto fail = [&](const std::string& reason) -> FileError { return FileError({path, 0}, reason); };
  std::sort(spans.begin(), spans.end(), [](const Span& a, const Span& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  uint64_t covered = 0;
  const Span* previous = nullptr;
  for (const Span& span : spans) {
    const std::string& name = tensors[span.tensor].name;
    if (span.begin < covered && previous)
      throw fail("tensor " + in_quotes(name) + ": data_offsets [" + std::to_string(span.begin) + ", " +
                 std::to_string(span.end) + "] overlap tensor " + in_quotes(tensors[previous->tensor].name));
    if (span.begin > covered)
      throw fail("tensor " + in_quotes(name) + ": " + std::to_string(span.begin - covered) +
                 " unused bytes before its data_offsets [" + std::to_string(span.begin) + ", " +
                 std::to_string(span.end) + "]");
    covered = span.end;
    previous = &span;
  }
  if (covered != buffer_size)
    throw fail(std::to_string(buffer_size - covered) + " bytes after the last tensor's data are not " +
               "described by the header");
}

}  // namespace

size_t dtype_size(Dtype dtype) { return info_of(dtype).size; }
std::string dtype_name(Dtype dtype) { return info_of(dtype).name; }

std::optional<Dtype> parse_dtype(const std::string& name) {
  for (const auto& info : kDtypes)
    if (name == info.name) return info.dtype;
  return std::nullopt;
}

int64_t TensorView::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

std::string describe_shape(const std::vector<int64_t>& shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i) text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + "]";
}

std::string describe_tensor(Dtype dtype, const std::vector<int64_t>& shape) {
  return dtype_name(dtype) + " " + describe_shape(shape);
}

SafetensorsFile::SafetensorsFile(const std::string& path) : path_(path) {
  const Mapping mapping = map_file(path_);
  mapping_ = mapping.data;
  mapped_size_ = mapping.size;
  try {
    const auto* bytes = static_cast<const unsigned char*>(mapping_);
    const Header header = parse_header(path_, bytes, mapping.size);
    const std::byte* buffer = reinterpret_cast<const std::byte*>(bytes + 8 + header.length);
    const uint64_t buffer_size = mapping.size - 8 - header.length;
    std::vector<Span> spans;
    for (const auto& [name, entry] : header.json.items()) {
      if (name == "__metadata__") {
        read_metadata(path_, entry, metadata_);
        continue;
      }
      TensorLayout layout = read_layout(path_, name, entry);
      const auto [begin, end] = read_offsets(path_, name, entry, layout, buffer_size);
      TensorView view;
      view.name = name;
      view.dtype = layout.dtype;
      view.shape = std::move(layout.shape);
      view.data = buffer + begin;
      view.size_bytes = layout.size_bytes;
      spans.push_back({begin, end, tensors_.size()});
      index_[name] = tensors_.size();
      tensors_.push_back(std::move(view));
    }
    check_tiling(path_, std::move(spans), tensors_, buffer_size);
  } catch (...) {
    unmap();
    throw;
  }
}

SafetensorsFile::~SafetensorsFile() { unmap(); }

SafetensorsFile::SafetensorsFile(SafetensorsFile&& other) noexcept { *this = std::move(other); }

SafetensorsFile& SafetensorsFile::operator=(SafetensorsFile&& other) noexcept {
  if (this != &other) {
    unmap();
    path_ = std::move(other.path_);
    mapping_ = other.mapping_;
    mapped_size_ = other.mapped_size_;
    tensors_ = std::move(other.tensors_);
    index_ = std::move(other.index_);
    metadata_ = std::move(other.metadata_);
    other.mapping_ = nullptr;
    other.mapped_size_ = 0;
  }
  return *this;
}

void SafetensorsFile::unmap() {
  if (mapping_) ::munmap(mapping_, mapped_size_);
  mapping_ = nullptr;
  mapped_size_ = 0;
}

const TensorView* SafetensorsFile::find(const std::string& name) const {
  const auto it = index_.find(name);
  return it == index_.end() ? nullptr : &tensors_[it->second];
}

const TensorView& SafetensorsFile::at(const std::string& name) const {
  if (const TensorView* view = find(name)) return *view;
  throw FileError({path_, 0}, "no tensor " + in_quotes(name));
}

std::vector<std::string> SafetensorsIndex::shard_files() const {
  std::set<std::string> files;
  for (const auto& [name, file] : weight_map) files.insert(file);
  return {files.begin(), files.end()};
}

SafetensorsIndex read_safetensors_index(const std::string& path) {
  const std::string text = read_regular_file(path);
  nlohmann::json doc;
  try {
    doc = parse_json_bounded(text);
  } catch (const nlohmann::json::parse_error& e) {
    throw FileError({path, 0}, "not valid JSON (" + std::string(e.what()) + ")");
  }
  const auto it = doc.is_object() ? doc.find("weight_map") : doc.end();
  if (it == doc.end() || !it->is_object()) throw FileError({path, 0}, "weight_map: missing or not an object");
  SafetensorsIndex index;
  for (const auto& [name, file] : it->items()) {
    if (!file.is_string() || file.get<std::string>().empty())
      throw FileError({path, 0}, "weight_map." + name + ": expected a file name, got " + describe_json(file));
    const std::string shard = file.get<std::string>();
    // Shards live beside the index; a path that leaves the folder is not a checkpoint layout.
    if (shard.find('/') != std::string::npos || shard == "..")
      throw FileError({path, 0}, "weight_map." + name + ": shard " + in_quotes(shard) + " is not a file name in this folder");
    index.weight_map[name] = shard;
  }
  return index;
}

void write_safetensors(const std::string& path, const std::vector<TensorToWrite>& tensors,
                       const std::map<std::string, std::string>& metadata) {
  nlohmann::json header = nlohmann::json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::vector<uint64_t> sizes;
  uint64_t offset = 0;
  for (const auto& t : tensors) {
    if (t.name == "__metadata__" || header.contains(t.name))
      throw FileError({path, 0}, "tensor " + in_quotes(t.name) + ": name used twice");
    uint64_t size = dtype_size(t.dtype);
    for (int64_t d : t.shape) {
      if (d < 0) throw FileError({path, 0}, "tensor " + in_quotes(t.name) + ": negative size in shape " + describe_shape(t.shape));
      size *= static_cast<uint64_t>(d);
    }
    if (size > 0 && !t.data && !t.fetch)
      throw FileError({path, 0}, "tensor " + in_quotes(t.name) + ": no data to write");
    header[t.name] = {{"dtype", dtype_name(t.dtype)}, {"shape", t.shape}, {"data_offsets", {offset, offset + size}}};
    sizes.push_back(size);
    offset += size;
  }
  std::string header_text = header.dump();
  header_text.append((8 - header_text.size() % 8) % 8, ' ');

  // A half-written file is never left behind; the previous `path`, if any, stays until the new
  // one is complete.
  write_file_atomically(path, [&](std::ostream& out) {
    unsigned char length[8];
    uint64_t n = header_text.size();
    for (int i = 0; i < 8; ++i, n >>= 8) length[i] = static_cast<unsigned char>(n & 0xff);
    out.write(reinterpret_cast<const char*>(length), 8);
    out.write(header_text.data(), static_cast<std::streamsize>(header_text.size()));
    for (size_t i = 0; i < tensors.size(); ++i) {
      if (sizes[i] == 0) continue;
      const void* data = tensors[i].data ? tensors[i].data : tensors[i].fetch();
      if (!data) throw FileError({path, 0}, "tensor " + in_quotes(tensors[i].name) + ": no data to write");
      out.write(static_cast<const char*>(data), static_cast<std::streamsize>(sizes[i]));
    }
  });
}

}  // namespace tpt::io
