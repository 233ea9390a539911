// The quick demo cut down for the runner's tests that compare it run two ways (samples drawn
// through `tpt serve`, Train through `tpt sft`): its model, problems, prompt and settings, on
// a slice of its problems. The whole quick demo draws some 6,000 samples and trains on
// thousands of traces: a minute or more each way, and through a server enough samples to meet
// a near-tie that a batch of another shape rounds the other way (docs/serve.md).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "check.h"
#include "cli_process.h"
#include "demo/demo.h"
#include "io/json_fields.h"
#include "run_snapshot.h"

namespace tpt::testing {

// The quick demo's base model, built once per test process by `tpt base-model --quick`, as
// `tpt demo --quick` builds it.
inline const std::string& quick_demo_base_model() {
  static const std::string folder = [] {
    const std::string out = temp_dir() + "/quick-base-model";
    const CliResult r = tpt_run("-q base-model --quick --out '" + out + "'");
    if (r.status != 0) TPT_FAIL("tpt base-model --quick failed (" + std::to_string(r.status) + "): " + r.err);
    return out;
  }();
  return folder;
}

// A new folder holding the quick demo of `options` (its experiment.json, train.jsonl and
// test.jsonl, as `tpt demo` writes them) cut to 2 rounds of 16 problems x 2 samples, scored
// on 16 test problems x 2 samples. `tpt run` runs it.
inline std::string write_small_quick_demo(demo::DemoOptions options) {
  options.quick = true;
  const std::string dir = demo::prepare_demo(options, temp_dir() + "/demo", quick_demo_base_model());
  nlohmann::json config = io::read_json_file(dir + "/experiment.json");
  config["rounds"] = 2;
  config["think"]["pool_size"] = 16;
  config["think"]["samples_per_problem"] = 2;
  config["eval"]["subset_size"] = 16;
  config["eval"]["samples"] = 2;
  config["eval"]["pass_at_k"] = {1, 2};
  io::write_json_file(dir + "/experiment.json", config);
  return dir;
}

// Runs the small quick demo without pruning (so every round trains) twice, once as the engine
// runs it and once with `other_way` applied to its options, and fails unless both store the same
// samples, decisions, losses and metrics. Returns the other way's folder.
template <typename OtherWay>
std::string expect_small_quick_demo_same_both_ways(OtherWay other_way) {
  demo::DemoOptions options;
  options.pruning = false;
  const std::string engine_dir = write_small_quick_demo(options);
  other_way(options);
  const std::string other_dir = write_small_quick_demo(options);
  for (const std::string& dir : {engine_dir, other_dir}) {
    const CliResult r = tpt_run("-q run " + dir);
    if (r.status != 0) TPT_FAIL("tpt run " + dir + " failed: " + r.err);
  }
  compare_snapshots(snapshot(other_dir), snapshot(engine_dir));
  return other_dir;
}

}  // namespace tpt::testing
