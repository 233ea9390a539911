// `tpt sft --config FILE.yaml` as the runner runs it: a real process on the files the runner
// writes, its exit status and the HF-shaped lines it prints (parsed here with patterns of
// their own, not the printer's code), Ctrl-C, and the weights against the in-process trainer.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <regex>
#include <sstream>
#include <thread>

#include "check.h"
#include "cli_process.h"
#include "io/json_fields.h"
#include "sft_test_support.h"
#include "test_model_support.h"
#include "train/engine_trainer.h"

using namespace tpt;
using namespace tpt::train;
using namespace tpt::sft_testing;
using tpt::testing::slurp;
using tpt::testing::tpt_run;
namespace fs = std::filesystem;

namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// HF's on_log line: {'loss': L, 'grad_norm': G, 'learning_rate': R, 'epoch': E}.
const std::regex kStepLine(
    R"(\{'loss': ([^,]+), 'grad_norm': ([^,]+), 'learning_rate': ([^,]+), 'num_tokens': ([^,]+), 'epoch': ([^,}]+)\})");
// tqdm's line: " 50%|#####     | 2/4 [00:01<00:01,  2.10it/s]".
const std::regex kProgressLine(R"( *\d+%\|[# ]{10}\| (\d+)/(\d+) \[\d\d:\d\d<\d\d:\d\d, +[0-9.]+(it/s|s/it)\])");

struct Steps {
  std::vector<double> losses, rates, epochs, tokens;  // tokens: TRL's running num_tokens
  std::vector<int64_t> progress;
};

Steps parse_steps(const std::string& out) {
  Steps s;
  std::smatch m;
  for (const std::string& line : lines_of(out)) {
    if (std::regex_match(line, m, kStepLine)) {
      s.losses.push_back(std::strtod(m[1].str().c_str(), nullptr));
      s.rates.push_back(std::strtod(m[3].str().c_str(), nullptr));
      s.tokens.push_back(std::strtod(m[4].str().c_str(), nullptr));
      s.epochs.push_back(std::strtod(m[5].str().c_str(), nullptr));
    } else if (std::regex_match(line, m, kProgressLine)) {
      s.progress.push_back(std::stoll(m[1].str()));
    }
  }
  return s;
}

bool has_line(const std::string& out, const std::string& wanted) {
  for (const std::string& line : lines_of(out))
    if (line == wanted) return true;
  return false;
}

}  // namespace

TPT_TEST(sft_command, trains_a_tiny_model_printing_hf_lines_and_matches_the_engine_trainer) {
  const SftCase c = make_case();
  const auto r = tpt_run("-q sft --config " + c.config);
  if (r.status != 0) TPT_FAIL("exit " + std::to_string(r.status) + ": " + r.err);

  const Steps steps = parse_steps(r.out);
  COMPARE(steps.losses.size(), size_t{4});
  COMPARE(steps.progress, (std::vector<int64_t>{1, 2, 3, 4}));
  COMPARE(steps.epochs, (std::vector<double>{2.0 / 3.0, 1.0, 1.0 + 2.0 / 3.0, 2.0}));
  for (size_t i = 1; i < steps.tokens.size(); ++i) VERIFY(steps.tokens[i] > steps.tokens[i - 1]);
  for (const char* line : {"***** Running training *****", "  Num examples = 6", "  Num Epochs = 2",
                           "  Total optimization steps = 4", "  Gradient Accumulation steps = 2"})
    if (!has_line(r.out, line)) TPT_FAIL(std::string("no line \"") + line + "\" in:\n" + r.out);
  const auto lines = lines_of(r.out);
  COMPARE(lines.back(), std::string("Training completed."));
  VERIFY_CONTAINS(lines[lines.size() - 2], "{'train_runtime': ");
  VERIFY_CONTAINS(lines[lines.size() - 2], "'train_loss': ");
  VERIFY(has_line(r.out, "Saving model checkpoint to " + c.out() + "/checkpoint-2"));
  VERIFY(fs::exists(c.out() + "/config.json") && fs::exists(c.out() + "/model.safetensors"));

  // The printed values read back as the very losses the in-process trainer computes, and the
  // default device and dtype (auto: fp32 on a machine without CUDA) give its weights.
  std::vector<double> expected;
  TrainCallbacks callbacks;
  callbacks.on_step = [&](const StepReport& s) { expected.push_back(s.loss); };
  model::LoadOptions load;
  load.device = torch::Device(torch::kCPU);
  EngineTrainer(load).train(c.job, callbacks, WorkControl{});
  if (torch::cuda::is_available()) SKIP("CUDA present: `auto` trains in bf16 on the GPU, not as the CPU reference");
  COMPARE(steps.losses, expected);
  VERIFY(slurp(c.out() + "/model.safetensors") == slurp(c.job.output_dir + "/model.safetensors"));
}

TPT_TEST(sft_command, an_unsupported_key_or_a_missing_option_is_refused) {
  const SftCase c = make_case();
  std::ofstream(c.config, std::ios::app) << "packing: true\nuse_liger_kernel: true\n";
  const auto r = tpt_run("-q sft --config " + c.config);
  COMPARE(r.status, 1);
  VERIFY_CONTAINS(r.err, "tpt sft: " + c.config + ": keys this trainer does not support: packing (line ");
  VERIFY_CONTAINS(r.err, "use_liger_kernel (line ");
  VERIFY(!fs::exists(c.out()));
  COMPARE(tpt_run("-q sft").status, 2);
  COMPARE(tpt_run("-q sft --config " + c.config + " --dtype int8").status, 2);
}

TPT_TEST(sft_command, a_nan_loss_exits_1_naming_the_step) {
  const SftCase c = make_case(small_settings(), false, true);
  const auto r = tpt_run("-q sft --config " + c.config);
  COMPARE(r.status, 1);
  VERIFY_CONTAINS(r.err, "tpt sft: training stopped at step 1: the loss of micro-batch 1 of 2 is nan");
  VERIFY(!fs::exists(c.out() + "/config.json"));
}

TPT_TEST(sft_command, ctrl_c_stops_after_the_step_saves_a_checkpoint_and_exits_130_and_the_run_resumes) {
  TrainSettings settings = small_settings();
  settings.max_steps = 200;  // long enough to be interrupted
  settings.checkpoint_steps = 0;
  const SftCase c = make_case(settings);
  const std::string config = c.config;

  const std::string out = c.dir + "/out.txt", err = c.dir + "/err.txt";
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644), STDOUT_FILENO);
    dup2(open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644), STDERR_FILENO);
    execl(TPT_CLI_PATH, "tpt", "-q", "sft", "--config", config.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (parse_steps(slurp(out)).progress.size() < 2 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  kill(pid, SIGINT);
  int status = 0;
  waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 130) TPT_FAIL("status " + std::to_string(status) + ": " + slurp(err));
  std::smatch m;
  const std::string message = slurp(err);
  const std::regex stopped(R"(tpt sft: stopped at step (\d+) of 200; resume with resume_from_checkpoint: (\S+))");
  if (!std::regex_search(message, m, stopped)) TPT_FAIL("no stop line in: " + message);
  const int64_t step = std::stoll(m[1].str());
  const std::string checkpoint = m[2].str();
  COMPARE(checkpoint, c.out() + "/checkpoint-" + std::to_string(step));
  COMPARE(static_cast<int64_t>(parse_steps(slurp(out)).losses.size()), step);  // stopped after a whole step
  COMPARE(io::read_json_file(checkpoint + "/trainer_state.json").at("global_step").get<int64_t>(), step);
  VERIFY(!fs::exists(c.out() + "/config.json"));

  std::ofstream(config, std::ios::app) << "resume_from_checkpoint: " << checkpoint << "\n";
  const auto resumed = tpt_run("-q sft --config " + config);
  if (resumed.status != 0) TPT_FAIL("resume: exit " + std::to_string(resumed.status) + ": " + resumed.err);
  VERIFY(has_line(resumed.out, "Resuming training from checkpoint: " + checkpoint));
  VERIFY(has_line(resumed.out, "  Continuing training from global step " + std::to_string(step)));
  const Steps rest = parse_steps(resumed.out);
  COMPARE(static_cast<int64_t>(rest.losses.size()), 200 - step);
  COMPARE(rest.progress.front(), step + 1);
  VERIFY(fs::exists(c.out() + "/config.json"));
}
