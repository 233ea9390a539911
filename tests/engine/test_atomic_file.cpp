// Atomic writes: a file or folder is either the old version or the complete new one, and a
// failed write leaves no temporary file behind.
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "check.h"
#include "core/error.h"
#include "io/atomic_file.h"

namespace fs = std::filesystem;

namespace {

std::string read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

void make_folder(const std::string& path, const std::string& marker, const std::string& text) {
  fs::create_directories(path);
  std::ofstream(fs::path(path) / marker, std::ios::binary) << text;
}

}  // namespace

TPT_TEST(atomic_file, writes_a_new_file_and_replaces_an_existing_one_whole) {
  const std::string path = tpt::testing::temp_dir() + "/a.txt";
  tpt::io::write_file_atomically(path, "first version, longer than the second");
  COMPARE(read(path), std::string("first version, longer than the second"));
  tpt::io::write_file_atomically(path, [](std::ostream& out) { out << "second " << 2; });
  COMPARE(read(path), std::string("second 2"));
  VERIFY(!fs::exists(path + ".tmp"));
}

TPT_TEST(atomic_file, a_write_that_throws_leaves_the_old_file_and_no_temporary_file) {
  const std::string path = tpt::testing::temp_dir() + "/b.txt";
  tpt::io::write_file_atomically(path, "old");
  VERIFY_THROWS_WITH(tpt::io::write_file_atomically(path,
                                                    [](std::ostream& out) {
                                                      out << "half of the new";
                                                      throw tpt::Error("generator failed");
                                                    }),
                     "generator failed");
  COMPARE(read(path), std::string("old"));
  VERIFY(!fs::exists(path + ".tmp"));
}

TPT_TEST(atomic_file, a_file_that_cannot_be_written_is_a_file_error_naming_it) {
  const std::string path = tpt::testing::temp_dir() + "/no/such/folder/c.txt";
  try {
    tpt::io::write_file_atomically(path, "x");
    TPT_FAIL("no error");
  } catch (const tpt::FileError& e) {
    COMPARE(e.where().file, path + ".tmp");
    VERIFY_CONTAINS(std::string(e.what()), "cannot write file");
  }
}

TPT_TEST(atomic_file, a_folder_in_the_way_of_the_rename_leaves_no_temporary_file) {
  const std::string path = tpt::testing::temp_dir() + "/d";
  make_folder(path, "inside", "x");  // a non-empty folder cannot be replaced by a file
  VERIFY_THROWS_WITH(tpt::io::write_file_atomically(path, "x"), "cannot replace file");
  VERIFY(!fs::exists(path + ".tmp"));
  COMPARE(read(path + "/inside"), std::string("x"));
}

TPT_TEST(atomic_file, publish_moves_a_complete_folder_and_refuses_an_existing_target) {
  const std::string dir = tpt::testing::temp_dir();
  make_folder(dir + "/staging", "model.txt", "weights");
  tpt::io::publish_folder(dir + "/staging", dir + "/model");
  COMPARE(read(dir + "/model/model.txt"), std::string("weights"));
  VERIFY(!fs::exists(dir + "/staging"));

  make_folder(dir + "/staging2", "model.txt", "other weights");
  VERIFY_THROWS_WITH(tpt::io::publish_folder(dir + "/staging2", dir + "/model"), dir + "/model: already exists");
  COMPARE(read(dir + "/model/model.txt"), std::string("weights"));
  VERIFY(fs::exists(dir + "/staging2/model.txt"));
}

TPT_TEST(atomic_file, publish_files_moves_files_into_a_folder_that_keeps_its_other_things) {
  const std::string dir = tpt::testing::temp_dir();
  make_folder(dir + "/out/checkpoint-2", "state", "kept");
  std::ofstream(dir + "/out/model.bin") << "old weights";
  make_folder(dir + "/staging", "model.bin", "new weights");
  std::ofstream(dir + "/staging/config.json") << "{}";
  tpt::io::publish_files(dir + "/staging", dir + "/out", "config.json");
  COMPARE(read(dir + "/out/model.bin"), std::string("new weights"));
  COMPARE(read(dir + "/out/config.json"), std::string("{}"));
  COMPARE(read(dir + "/out/checkpoint-2/state"), std::string("kept"));
  VERIFY(!fs::exists(dir + "/staging"));

  // The file that says "complete" must be there, or nothing moves.
  make_folder(dir + "/staging2", "model.bin", "newer weights");
  VERIFY_THROWS_WITH(tpt::io::publish_files(dir + "/staging2", dir + "/out", "config.json"),
                     dir + "/staging2/config.json: missing");
  COMPARE(read(dir + "/out/model.bin"), std::string("new weights"));
}

TPT_TEST(atomic_file, replace_swaps_folders_and_leaves_no_old_copy) {
  const std::string dir = tpt::testing::temp_dir();
  make_folder(dir + "/target", "done", "1");
  make_folder(dir + "/staging", "done", "2");
  tpt::io::replace_folder(dir + "/staging", dir + "/target");
  COMPARE(read(dir + "/target/done"), std::string("2"));
  VERIFY(!fs::exists(dir + "/staging"));
  VERIFY(!fs::exists(dir + "/target.old"));

  // No target yet: the staging folder just becomes it.
  make_folder(dir + "/staging", "done", "3");
  tpt::io::replace_folder(dir + "/staging", dir + "/fresh");
  COMPARE(read(dir + "/fresh/done"), std::string("3"));
}

TPT_TEST(atomic_file, replace_after_a_crash_between_the_renames_uses_the_new_folder) {
  const std::string dir = tpt::testing::temp_dir();
  make_folder(dir + "/target.old", "done", "old");  // target -> target.old happened, then a crash
  make_folder(dir + "/staging", "done", "new");
  tpt::io::replace_folder(dir + "/staging", dir + "/target");
  COMPARE(read(dir + "/target/done"), std::string("new"));
  VERIFY(!fs::exists(dir + "/target.old"));

  // A leftover target.old beside a complete target (a crash before its removal) goes too.
  make_folder(dir + "/target.old", "done", "stale");
  make_folder(dir + "/staging", "done", "newer");
  tpt::io::replace_folder(dir + "/staging", dir + "/target");
  COMPARE(read(dir + "/target/done"), std::string("newer"));
  VERIFY(!fs::exists(dir + "/target.old"));
}

TPT_TEST(atomic_file, find_replaced_folder_prefers_the_target_then_a_marked_old_copy) {
  const std::string dir = tpt::testing::temp_dir();
  COMPARE(tpt::io::find_replaced_folder(dir + "/t", "done").has_value(), false);

  make_folder(dir + "/t.old", "partial", "x");  // no marker: not a complete folder
  COMPARE(tpt::io::find_replaced_folder(dir + "/t", "done").has_value(), false);

  make_folder(dir + "/t.old", "done", "x");  // only the old copy survived the crash
  COMPARE(tpt::io::find_replaced_folder(dir + "/t", "done").value_or(""), dir + "/t.old");

  make_folder(dir + "/t", "done", "y");
  COMPARE(tpt::io::find_replaced_folder(dir + "/t", "done").value_or(""), dir + "/t");
}
