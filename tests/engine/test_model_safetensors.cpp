// safetensors files: what we write reads back (and follows the reference layout), and every
// kind of damaged file fails with the file, the tensor and the problem named.
#include <cstring>
#include <filesystem>
#include <fstream>

#include "check.h"
#include "core/error.h"
#include "io/safetensors.h"

using namespace tpt;

namespace {

// A file from a literal header and data buffer; `length` overrides the header length field.
std::string write_raw(const std::string& header, const std::string& data, std::optional<uint64_t> length = {},
                      const std::string& name = "model.safetensors") {
  const std::string path = tpt::testing::temp_dir() + "/" + name;
  std::ofstream out(path, std::ios::binary);
  uint64_t n = length.value_or(header.size());
  for (int i = 0; i < 8; ++i, n >>= 8) out.put(static_cast<char>(n & 0xff));
  out << header << data;
  return path;
}

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

TPT_TEST(safetensors, written_tensors_and_metadata_read_back) {
  const std::vector<float> weights = {1.5f, -2.0f, 3.25f, 0.0f, 7.0f, -1.0f};
  const std::vector<int64_t> ids = {3, 1, 4, 1, 5};
  const std::vector<uint16_t> half = {0x3f80, 0xc000};  // bf16 1.0, -2.0
  const std::string path = tpt::testing::temp_dir() + "/t.safetensors";
  io::write_safetensors(path,
                        {{"w", io::Dtype::F32, {2, 3}, weights.data(), {}},
                         {"ids", io::Dtype::I64, {5}, nullptr, [&] { return static_cast<const void*>(ids.data()); }},
                         {"h", io::Dtype::BF16, {2}, half.data(), {}},
                         {"empty", io::Dtype::F32, {0, 4}, nullptr, {}}},
                    {{"format", "pt"}});
  io::SafetensorsFile file(path);
  COMPARE(file.tensors().size(), size_t{4});
  COMPARE(file.metadata().at("format"), std::string("pt"));
  const io::TensorView& w = file.at("w");
  COMPARE(w.dtype, io::Dtype::F32);
  COMPARE(io::describe_shape(w.shape), std::string("[2, 3]"));
  COMPARE(w.numel(), int64_t{6});
  VERIFY(std::memcmp(w.data, weights.data(), 24) == 0);
  VERIFY(std::memcmp(file.at("ids").data, ids.data(), 40) == 0);
  COMPARE(file.at("h").dtype, io::Dtype::BF16);
  COMPARE(file.at("empty").size_bytes, size_t{0});
  VERIFY(file.find("missing") == nullptr);
  VERIFY_THROWS_WITH(file.at("missing"), "t.safetensors: no tensor \"missing\"");

  // The reference layout: header padded with spaces so the data starts 8-byte aligned.
  const std::string bytes = read_bytes(path);
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<unsigned char>(bytes[i]);
  COMPARE(n % 8, uint64_t{0});
  COMPARE(bytes.size(), 8 + n + 24 + 40 + 4);
  COMPARE(bytes[8 + n - 1], ' ');
  VERIFY(!std::filesystem::exists(path + ".tmp"));
}

TPT_TEST(safetensors, writing_replaces_a_file_atomically) {
  const std::string path = tpt::testing::temp_dir() + "/t.safetensors";
  const float one = 1.0f, two = 2.0f;
  io::write_safetensors(path, {{"x", io::Dtype::F32, {1}, &one, {}}});
  io::SafetensorsFile before(path);  // a reader keeps its mapping of the old file
  io::write_safetensors(path, {{"y", io::Dtype::F32, {1}, &two, {}}});
  COMPARE(*reinterpret_cast<const float*>(before.at("x").data), 1.0f);
  io::SafetensorsFile after(path);
  VERIFY(after.find("x") == nullptr);
  COMPARE(*reinterpret_cast<const float*>(after.at("y").data), 2.0f);

  // A failing tensor leaves the previous file in place and no temporary behind.
  VERIFY_THROWS_WITH(io::write_safetensors(path, {{"z", io::Dtype::F32, {1}, nullptr, [] { throw Error("gpu lost"); return nullptr; }}}),
                     "gpu lost");
  VERIFY(io::SafetensorsFile(path).find("y") != nullptr);
  VERIFY(!std::filesystem::exists(path + ".tmp"));
}

TPT_TEST(safetensors, the_golden_fixture_reads_with_its_dtypes_and_shapes) {
  io::SafetensorsFile file(std::string(TPT_FIXTURES_DIR) + "/hf-golden/llama-gqa-untied/golden.safetensors");
  COMPARE(io::describe_tensor(file.at("input_ids").dtype, file.at("input_ids").shape), std::string("I64 [2, 48]"));
  COMPARE(io::describe_tensor(file.at("logits").dtype, file.at("logits").shape), std::string("F32 [2, 48, 320]"));
}

TPT_TEST(safetensors, a_truncated_file_names_the_tensor_cut_off) {
  const std::string full = read_bytes(std::string(TPT_FIXTURES_DIR) + "/hf-golden/llama-gqa-untied/model.safetensors");
  const std::string path = tpt::testing::temp_dir() + "/model.safetensors";
  std::ofstream(path, std::ios::binary) << full.substr(0, full.size() - 100);
  VERIFY_THROWS_WITH(io::SafetensorsFile{path}, "exceed the data buffer");
  VERIFY_THROWS_WITH(io::SafetensorsFile{path}, "truncated file?");
  VERIFY_THROWS_WITH(io::SafetensorsFile{path}, "model.safetensors: tensor \"model.norm.weight\": data_offsets");

  std::ofstream(path, std::ios::binary) << full.substr(0, 5);
  VERIFY_THROWS_WITH(io::SafetensorsFile{path}, "file too short (5 bytes)");
}

TPT_TEST(safetensors, a_header_length_beyond_the_file_is_reported_with_both_sizes) {
  const std::string path = write_raw("{}", "", uint64_t{9999999});
  VERIFY_THROWS_WITH(io::SafetensorsFile{path}, "model.safetensors: header length 9999999 exceeds file size 10");
}

TPT_TEST(safetensors, a_header_that_is_not_json_is_rejected) {
  VERIFY_THROWS_WITH(io::SafetensorsFile{write_raw("{\"a\": [", "")}, "header is not valid JSON");
  VERIFY_THROWS_WITH(io::SafetensorsFile{write_raw("[1, 2]  ", "")}, "header is not a JSON object");
  // A hostile header nested 100,000 levels deep is refused before anything walks it.
  VERIFY_THROWS_WITH(io::SafetensorsFile{write_raw("{\"a\": " + std::string(100000, '[') + std::string(100000, ']') + "}", "")},
                     "nested more than 512 levels deep");
  // A number too large for a double is malformed JSON too, reported with the file (it escaped as
  // nlohmann's out_of_range).
  VERIFY_THROWS_WITH(io::SafetensorsFile{write_raw(R"({"a":{"dtype":"F32","shape":[1E1111],"data_offsets":[0,0]}})", "")},
                     "header is not valid JSON");
}

TPT_TEST(safetensors, a_size_that_disagrees_with_shape_and_dtype_is_rejected) {
  const std::string path =
      write_raw(R"({"model.norm.weight":{"dtype":"F32","shape":[4],"data_offsets":[0,12]}})", std::string(12, '\0'));
  VERIFY_THROWS_WITH(io::SafetensorsFile{path},
                     "model.safetensors: tensor \"model.norm.weight\": data_offsets [0, 12] hold 12 bytes but F32 [4] needs 16");
}

TPT_TEST(safetensors, offsets_out_of_range_or_overlapping_are_rejected) {
  VERIFY_THROWS_WITH(io::SafetensorsFile{write_raw(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                                                   std::string(8, '\0'))},
                     "tensor \"a\": data_offsets [4, 12] exceed the data buffer of 8 bytes");
  VERIFY_THROWS_WITH(io::SafetensorsFile{write_raw(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}})",
                                                   std::string(8, '\0'))},
                     "end before begin");
  VERIFY_THROWS_WITH(io::SafetensorsFile{write_raw(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                                                   R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                                                   std::string(12, '\0'))},
                     "tensor \"b\": data_offsets [4, 12] overlap tensor \"a\"");
  VERIFY_THROWS_WITH(io::SafetensorsFile{write_raw(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                                                   std::string(8, '\0'))},
                     "4 unused bytes before");
  VERIFY_THROWS_WITH(io::SafetensorsFile{write_raw(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})",
                                                   std::string(8, '\0'))},
                     "4 bytes after the last tensor");
}

TPT_TEST(safetensors, malformed_entries_name_the_tensor_and_field) {
  VERIFY_THROWS_WITH(io::SafetensorsFile{write_raw(R"({"a":{"dtype":"F33","shape":[1],"data_offsets":[0,4]}})",
                                                   std::string(4, '\0'))},
                     "tensor \"a\": unknown dtype \"F33\"");
  VERIFY_THROWS_WITH(io::SafetensorsFile{write_raw(R"({"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}})",
                                                   std::string(4, '\0'))},
                     "tensor \"a\": shape [-1] is not a list of sizes");
  VERIFY_THROWS_WITH(io::SafetensorsFile{write_raw(R"({"a":{"dtype":"F32","shape":[1]}})", std::string(4, '\0'))},
                     "tensor \"a\": data_offsets must be [begin, end]");
  VERIFY_THROWS_WITH(io::SafetensorsFile{write_raw(R"({"__metadata__":{"format":1}})", "")},
                     "__metadata__.format: expected a string");
}

TPT_TEST(safetensors, a_sharded_index_maps_tensors_to_files) {
  const std::string dir = tpt::testing::temp_dir();
  const std::string path = dir + "/model.safetensors.index.json";
  std::ofstream(path) << R"({"metadata":{"total_size":8},"weight_map":{"a":"model-00001-of-00002.safetensors",)"
                         R"("b":"model-00002-of-00002.safetensors","c":"model-00001-of-00002.safetensors"}})";
  const io::SafetensorsIndex index = io::read_safetensors_index(path);
  COMPARE(index.weight_map.at("b"), std::string("model-00002-of-00002.safetensors"));
  COMPARE(index.shard_files().size(), size_t{2});

  std::ofstream(path) << R"({"weight_map":{"a":"../elsewhere.safetensors"}})";
  VERIFY_THROWS_WITH(io::read_safetensors_index(path), "is not a file name in this folder");
  std::ofstream(path) << R"({"metadata":{}})";
  VERIFY_THROWS_WITH(io::read_safetensors_index(path), "model.safetensors.index.json: weight_map: missing");
}
