// Exports of an experiment for other tools:
//
//   chat-jsonl               a round's kept traces, one {"messages": [{"role": "user", ...},
//                            {"role": "assistant", ...}]} per line: the conversational format
//                            TRL, Axolotl and most SFT trainers read.
//   prompt-completion-jsonl  one {"prompt": ..., "completion": ...} per line; the prompt is
//                            exactly the text the model read (chat template applied).
//   csv                      the metrics of every round, one row per round.
//
// Files are written atomically (io/atomic_file.h: a temporary file renamed into place). Torch-free.
#pragma once

#include <cstdint>
#include <string>

namespace tpt::report {

enum class ExportFormat { ChatJsonl, PromptCompletionJsonl, Csv };

// "chat-jsonl", "prompt-completion-jsonl", "csv"
const char* to_string(ExportFormat format);
// Throws Error listing the formats when `name` is none of them.
ExportFormat parse_export_format(const std::string& name);

struct ExportResult {
  std::string path;
  int64_t records = 0;  // lines (JSONL) or rows without the header (CSV)
};

// `round` is required for the trace formats (>= 1: round 0 samples nothing) and ignored for
// csv. `out` empty: exports/round-N.<format>.jsonl or exports/metrics.csv in the experiment.
ExportResult export_experiment(const std::string& dir_or_file, ExportFormat format, int round,
                               const std::string& out = "");

}  // namespace tpt::report
