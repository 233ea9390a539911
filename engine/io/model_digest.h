// A content digest of a model folder, recorded when a round's Train writes the folder and
// compared whenever the folder is used again, so that a folder the experiment did not write (a
// leftover of a deleted database, a link to another model, a copy edited by hand) is never
// taken for the round's model. Torch-free.
#pragma once

#include <string>

namespace tpt::io {

// Digest of what defines the model in `folder`: its top-level files (config.json, weights,
// tokenizer and generation files) and its adapter/ folder, by relative name, size and content.
// Other sub-folders (an external trainer's checkpoint-N folders) are left out: they do not
// change the model and may be large. "v1:<16 hex digits>:<bytes hashed>". Not cryptographic:
// it detects a different or changed folder, not a forgery. Throws FileError naming a file that
// cannot be read; a folder that is a symlink, or holds a file that is not regular, is refused.
std::string model_digest(const std::string& folder);

}  // namespace tpt::io
