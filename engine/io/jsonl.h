// Streaming JSONL reading with errors that name the file and line.
//
// A record that is not valid JSON, or that the caller rejects (missing field, bad value), is
// handled by the malformed-line policy: Fail stops with "file:line: reason"; Skip counts it,
// keeps the first messages for the report, and goes on.
#pragma once

#include <functional>
#include <istream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/error.h"

namespace tpt::io {

enum class OnMalformed { Fail, Skip };
OnMalformed parse_on_malformed(const std::string& name);  // "fail" | "skip"

// Thrown by a record visitor to reject one record; the reader adds file and line.
class RecordError : public Error {
 public:
  using Error::Error;
};

struct JsonlReport {
  std::string file;
  long lines = 0;    // lines read, blank ones included
  long records = 0;  // records accepted by the visitor
  long skipped = 0;  // malformed records skipped under OnMalformed::Skip
  long first_skipped_line = 0;  // the first of them (0: none)
  std::vector<std::string> problems;  // "file:line: reason", the first kMaxProblems of them

  static constexpr size_t kMaxProblems = 20;
};

// Calls visit(line_number, value) for each non-blank line of `path`. Throws FileError when the
// file cannot be read or is not a regular file (a FIFO, a device: see regular_file.h), when a
// line is longer than io::kMaxLineBytes (whatever the policy), or on the first malformed record
// under OnMalformed::Fail.
JsonlReport read_jsonl(const std::string& path, OnMalformed policy,
                       const std::function<void(long line, const nlohmann::json& value)>& visit);

// The same over a stream read as it comes (stdin); `source` names it in messages. The bound on
// a line's length holds here too.
JsonlReport read_jsonl_stream(std::istream& in, const std::string& source, OnMalformed policy,
                              const std::function<void(long line, const nlohmann::json& value)>& visit);

// The same over text already in memory (stdin, tests); `source` names it in messages.
JsonlReport read_jsonl_text(const std::string& text, const std::string& source, OnMalformed policy,
                            const std::function<void(long line, const nlohmann::json& value)>& visit);

// Field access for visitors: throws RecordError("missing field \"answer\"") and the like.
const std::string& require_string(const nlohmann::json& record, const std::string& field);

}  // namespace tpt::io
