// Named starting points for experiment.json: `tpt config init --preset NAME` and the Setup
// panel's preset menu. A preset fills every setting; the caller then sets the files (dataset,
// model) that only the user knows.
//
//   default      the documented defaults (docs/experiment-config.md)
//   paper-gsm8k  the TPT paper's GSM8K recipe (Costello et al. 2025, Gemma2-2B-it): zero-shot
//                prompt, 10 samples per problem at T 0.8 up to 1500 tokens, first correct per
//                problem (strict checker), 2000 traces, full fine-tune at lr 1e-6, 1 epoch, 10%
//                warmup, cosine, micro-batch 2 x 4, 4 rounds each continuing from the last;
//                scored on 500 random test problems, 20 samples at T 0.7 (Pass@1, pass@20).
//   paper-codecontests  the paper's CodeContests recipe: hard pruning on unit tests (all pass),
//                first per problem, 1,000 traces per round, Pass@1 and pass@50 over 50 samples;
//                prompt and sampling assumed (docs/code-domain.md). Bring the data (--train,
//                --test, codecontests format).
#pragma once

#include <string>
#include <vector>

#include "config/experiment_config.h"

namespace tpt::config {

std::vector<std::string> preset_names();
// Throws Error listing the names when `name` is not one of them.
ExperimentConfig preset(const std::string& name);

// The folder of the data bundled with TPT Workbench (GSM8K train/test): $TPT_DATA_DIR when set,
// else <executable>/../share/tpt-workbench/data (an installed package), else the source tree's
// resources/data (a build folder). Empty when none exists.
std::string bundled_data_dir();

}  // namespace tpt::config
