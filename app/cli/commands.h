// The `tpt` subcommands. Each takes its arguments (after the subcommand name) and returns the
// process exit status: 0 success, 1 the work failed (invalid input, wrong answers reported as
// such are not failures), 2 a usage error.
#pragma once

#include <string>
#include <vector>

namespace tpt::cli {

using Args = std::vector<std::string>;

int run_info(const Args& args);
int run_config(const Args& args);
int run_data(const Args& args);
int run_grade(const Args& args);
int run_generate(const Args& args);
int run_bench(const Args& args);
int run_tokenize(const Args& args);
int run_run(const Args& args);
int run_status(const Args& args);
int run_export(const Args& args);
int run_eval(const Args& args);
int run_base_model(const Args& args);
int run_demo(const Args& args);
int run_serve(const Args& args);
int run_sft(const Args& args);

}  // namespace tpt::cli
