// Writing files and folders so that a crash (or a kill, or a full disk) at any instant leaves
// either the old version or the complete new one, never half of one: the new version is
// written beside its place, made durable (fsync), then renamed into place, and the folder that
// holds it is made durable too. Torch-free.
#pragma once

#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>

namespace tpt::io {

// Writes `path` through a temporary file beside it: `write` fills the stream, then the file is
// flushed, fsync'ed and renamed over `path`, and the folder is fsync'ed. On any failure the
// temporary file is removed and `path` is untouched; throws FileError naming the file.
void write_file_atomically(const std::string& path, const std::function<void(std::ostream&)>& write);
void write_file_atomically(const std::string& path, std::string_view content);

// Where a command's `--out PATH` may be written, checked before anything is: a symlink is
// written through (its target, resolved, is returned), a FIFO, device or folder is refused, and
// an existing file is replaced only with `force` (its message names --force). A missing PATH is
// returned as is. Throws Error naming the path. (write_file_atomically replaces what is at the
// path itself: a symlink or /dev/full would become a regular file.)
std::string checked_output_path(const std::string& path, bool force);

// Moves the completely written folder `staging` to `target` (which must not exist yet), then
// fsyncs the parent folder: a reader sees either no `target` or a complete one.
void publish_folder(const std::string& staging, const std::string& target);

// Moves the files of the completely written folder `staging` into the folder `target` (created
// if missing; files of the same name are replaced, others left), `last` after all the others,
// then removes `staging`: a reader that takes `last` (a model's config.json) as the sign of a
// complete set never sees part of one. For a folder that holds other things (HF's output_dir
// with its checkpoint-N folders), which publish_folder cannot replace whole.
void publish_files(const std::string& staging, const std::string& target, const std::string& last);

// Replaces folder `target` by `staging` so that a crash at any instant leaves one complete
// folder: target -> target.old, staging -> target, then target.old is removed.
// find_replaced_folder(target) returns target, or target.old when only that one survives
// a crash between the two renames (and holds `marker`), or nullopt.
void replace_folder(const std::string& staging, const std::string& target);
std::optional<std::string> find_replaced_folder(const std::string& target, const std::string& marker);

}  // namespace tpt::io
