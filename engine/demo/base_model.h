// The built-in base model: a small Llama-architecture model with a small byte-level BPE tokenizer,
// pre-trained by the project's own code on gold solutions of easy built-in word problems, so
// that a new user can watch TPT work without downloading weights.
//
// It is what the paper's 2B base model is to GSM8K: it knows the layout of a solution and the
// easy arithmetic, and gets a moderate share of the demo's harder problems right, which leaves
// room for Think, Prune, Train to improve it (the easy-to-hard set-up of Lee et al., 2025).
//
// A recipe (architecture, easy task, optimiser settings, seed) fixes the model: the same recipe
// and thread count give the same weights. The model is an ordinary HF folder (config.json,
// model.safetensors, tokenizer.json, tokenizer_config.json, generation_config.json) that loads
// through load_model / load_model_tokenizer like any other, plus base_model.json recording the
// recipe, its hash and how the build went.
//
// Built models are cached in the user's data folder under their recipe hash, so the CLI and the
// GUI build one once and reuse it after. Builds go to a staging folder renamed into place only
// when complete: a killed build never leaves half a model in the cache.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "demo/word_problems.h"
#include "run/control.h"
#include "run/observer.h"

namespace tpt::demo {

// Bump when the builder changes what a recipe produces (data rendering, initialisation,
// training loop): the version is part of the recipe hash, so caches of older builds are not
// mistaken for new ones.
inline constexpr int kBaseModelBuilderVersion = 2;

// The file beside the weights that records the recipe.
inline constexpr const char* kBaseModelRecipeFile = "base_model.json";

struct BaseModelRecipe {
  std::string name = "standard";  // "standard" or "quick" for the built-in recipes; free text otherwise
  uint64_t seed = 1;              // weights' initialisation, the problems drawn, the batch order

  // Architecture (Llama). The vocabulary is a byte-level BPE tokenizer learnt from the
  // recipe's own problems (text/bpe_trainer.h): the 256 bytes, <|endoftext|>, then merges up
  // to tokenizer_vocab_size tokens in all (257: bytes only).
  int64_t tokenizer_vocab_size = 512;
  int64_t hidden_size = 128;
  int64_t intermediate_size = 384;
  int64_t layers = 4;
  int64_t heads = 4;
  int64_t kv_heads = 2;
  int64_t max_positions = 1024;
  double init_stddev = 0.02;

  // What it learns from: for each part, `problems` train-split problems of its options (their
  // seed is replaced by one derived from `seed` and the part's index), as "Question: ...\n
  // Solution:" prompts (the plain prompt format) with the gold solution as completion, the loss
  // on the solution only.
  struct DataPart {
    WordProblemOptions task;
    int64_t problems = 0;
  };
  std::vector<DataPart> data;

  // Optimisation: full fine-tuning with AdamW, linear warm-up then cosine decay to min_lr.
  int64_t steps = 1000;
  int micro_batch_size = 32;
  int grad_accum_steps = 1;
  double learning_rate = 3e-3;
  double min_learning_rate = 3e-4;
  double warmup_ratio = 0.05;
  double weight_decay = 0.0;
  double max_grad_norm = 1.0;

  nlohmann::json to_json() const;
  // Validates every field; throws ValidationError naming `source` and each bad field.
  static BaseModelRecipe from_json(const nlohmann::json& doc, const std::string& source = "recipe");

  // 16 hex digits over the recipe and kBaseModelBuilderVersion.
  std::string hash() const;
  // The config.json of the architecture above, for a tokenizer of `vocab_size` tokens.
  nlohmann::json model_config(int64_t vocab_size) const;
};

// The built-in recipes with `seed`: "standard" for `tpt demo`, and a smaller, shorter "quick"
// one for `tpt demo --quick`, tests and smoke checks.
BaseModelRecipe builtin_base_model_recipe(bool quick, uint64_t seed = 1);

struct BaseModelBuild {
  bool cancelled = false;  // run::RunControl::cancel: nothing was written
  std::string folder;      // the finished model folder
  int64_t parameters = 0;
  int64_t steps = 0;
  double final_loss = 0.0;  // mean over the last 5% of steps: what the model ended with
  double seconds = 0.0;
  bool reused = false;  // ensure_base_model: found in the cache, not built
};

// Trains the recipe's model into `out_dir`, which must not exist yet (or be an empty folder),
// staging it in `out_dir`.partial and renaming at the end. Progress: Phase::Train, round 0,
// unit "steps", with loss and ETA; log lines say what is being built. `observer` and `control`
// may be null. Throws Error naming the folder, or train::TrainingError.
BaseModelBuild build_base_model(const BaseModelRecipe& recipe, const std::string& out_dir,
                                run::Observer* observer = nullptr, run::RunControl* control = nullptr);

// The user's data folder for TPT Workbench: $XDG_DATA_HOME/tpt-workbench, or
// ~/.local/share/tpt-workbench when XDG_DATA_HOME is unset or empty. Throws Error when
// neither XDG_DATA_HOME nor HOME is set.
std::string user_data_dir();

// Where the cache keeps the recipe's model: user_data_dir()/models/base-<hash>.
std::string cached_base_model_dir(const BaseModelRecipe& recipe);

// The cached model folder of `recipe`, built first when the cache does not hold it. Holds a
// lock while it looks and builds, so two processes asking at once build it once. A staging
// folder left by a killed build is discarded. `folder` is empty only when cancelled.
BaseModelBuild ensure_base_model(const BaseModelRecipe& recipe, run::Observer* observer = nullptr,
                                 run::RunControl* control = nullptr);

}  // namespace tpt::demo
