// tpt eval: Improve's scoring for any model folder and problem file, outside an experiment.
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <fstream>
#include <sstream>

#include "cli/arguments.h"
#include "cli/commands.h"
#include "cli/progress_printer.h"
#include "data/code_problems.h"
#include "eval/metrics.h"
#include "model/checkpoint.h"
#include "run/improve.h"
#include "run/meter.h"
#include "run/options.h"
#include "run/plan.h"
#include "runtime/torch_runtime.h"
#include "text/model_tokenizer.h"
#include "text/prompt_format.h"
#include "think/engine_sampler.h"

namespace tpt::cli {

namespace {

std::vector<int64_t> parse_ks(const std::string& text) {
  std::vector<int64_t> ks;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    try {
      size_t used = 0;
      const long long k = std::stoll(item, &used);
      if (used != item.size() || k < 1) throw std::invalid_argument("k");
      ks.push_back(k);
    } catch (const std::exception&) {
      throw UsageError("--k must be a comma-separated list of integers >= 1, got \"" + text + "\"");
    }
  }
  return ks;
}

// The scores as tpt status prints a round's: a table for people, or JSON (--json).
void print_scores(const eval::Scores& scores, int samples, double seconds, bool as_json) {
  if (as_json) {
    nlohmann::json out = eval::to_metrics(scores);
    out["seconds"] = seconds;
    std::cout << out.dump(2) << "\n";
    return;
  }
  std::printf("%lld problems x %d sample(s) in %s\n", static_cast<long long>(scores.problems), samples,
              format_duration(seconds).c_str());
  std::printf("Pass@1   strict %6.2f%%   flexible %6.2f%%\n", 100 * scores.pass1_strict, 100 * scores.pass1_flexible);
  for (const auto& [k, v] : scores.pass_at_k_strict) {
    if (k == 1) continue;
    std::printf("pass@%-3lld strict %6.2f%%   flexible %6.2f%%   (correct@%lld %6.2f%% / %6.2f%%)\n",
                static_cast<long long>(k), 100 * v, 100 * scores.pass_at_k_flexible.at(k), static_cast<long long>(k),
                100 * scores.correct_at_k_strict.at(k), 100 * scores.correct_at_k_flexible.at(k));
  }
}

}  // namespace

int run_eval(const Args& raw) {
  Arguments args(raw,
                 {"model", "dataset", "samples", "temperature", "top-p", "k", "subset", "seed", "max-new-tokens",
                  "batch-size", "prompt-format", "examples", "few-shot-examples", "device", "out", "format", "workers"},
                 {"json", "help", "unsandboxed"});
  if (args.flag("help")) {
    std::printf(
        "usage: tpt eval --model DIR --dataset FILE [--format gsm8k|codecontests|apps|code]\n"
        "                [--samples N] [--temperature T] [--top-p P]\n"
        "                [--k 1,4,...] [--subset N] [--seed S] [--max-new-tokens M] [--batch-size B]\n"
        "                [--prompt-format zero-shot|few-shot|plain] [--examples FILE]\n"
        "                [--few-shot-examples N] [--device auto|cpu|cuda] [--out FILE] [--json]\n"
        "                [--workers N] [--unsandboxed]\n\n"
        "Scores a model folder on a JSONL problem file (GSM8K's format unless --format names another,\n"
        "as dataset.format does) as Improve does: Pass@1 (greedy with the\n"
        "default --samples 1 --temperature 0; the mean over N samples otherwise), unbiased pass@k and\n"
        "correct@k for each --k <= N, under the strict (paper) and flexible checkers. --subset takes a\n"
        "seeded random subset. few-shot takes its worked examples from --examples FILE. --out writes\n"
        "every answer as JSONL. Code problems (--format codecontests|apps|code) are judged by running\n"
        "the answer's program on their tests in the bubblewrap sandbox (strict: every test passes;\n"
        "flexible: the public tests pass); --workers programs at once, --unsandboxed without\n"
        "bubblewrap (rlimits and timeouts only).\n");
    return 0;
  }
  const std::string folder = args.required("model");
  const std::string dataset = args.required("dataset");
  const int samples = static_cast<int>(args.integer("samples", 1));
  const double temperature = args.number("temperature", samples > 1 ? 0.7 : 0.0);
  if (samples < 1) throw UsageError("--samples must be >= 1");
  if (samples > 1 && temperature == 0.0)
    throw UsageError("--temperature must be > 0 with --samples > 1 (greedy answers are all the same)");
  std::vector<int64_t> ks = parse_ks(args.value_or("k", "1"));
  for (int64_t k : ks)
    if (k > samples) throw UsageError("--k " + std::to_string(k) + " needs --samples >= " + std::to_string(k));
  const int64_t seed = args.integer("seed", 0);
  code::SandboxConfig sandbox;
  if (args.value("workers")) {
    const long long workers = args.integer("workers", 0);
    if (workers < 1 || workers > 1024) throw UsageError("--workers: must be 1 to 1024, got " + std::to_string(workers));
    sandbox.workers = static_cast<int>(workers);
  }
  if (args.flag("unsandboxed")) sandbox.mode = code::SandboxMode::Unsandboxed;

  data::ProblemSetOptions options;
  options.format = args.choice("format", data::problem_set_formats(), "gsm8k");
  data::ProblemSet set = data::load_problem_set(dataset, options);
  std::vector<data::Problem> problems = run::seeded_subset(set.problems, run::eval_subset_seed(seed), args.integer("subset", 0),
                                                     [](const data::Problem& p) { return p.id; });
  if (problems.empty()) throw Error(dataset + ": no problems");

  const std::string style_name = args.choice("prompt-format", {"zero-shot", "few-shot", "plain"}, "zero-shot");
  std::vector<text::WorkedExample> examples;
  if (style_name == "few-shot") {
    const std::string file = args.required("examples");
    const data::ProblemSet shots = data::load_problem_set(file, options);
    const long long n = args.integer("few-shot-examples", 5);
    for (long long i = 0; i < n && i < static_cast<long long>(shots.problems.size()); ++i)
      examples.push_back({shots.problems[i].question, shots.problems[i].solution});
  }

  config::ModelSource source;
  source.device = args.choice("device", {"auto", "cpu", "cuda"}, "auto");
  runtime::require_device(source.device, "--device");
  model::CausalLm model = model::load_model(folder, run::load_options(source));
  model->eval();
  const text::ModelTokenizer tokenizer = text::load_model_tokenizer(folder);
  const text::PromptFormat format(tokenizer, *text::parse_prompt_style(style_name), examples,
                                  text::prompt_domain_for(options.format));
  std::fprintf(stderr, "%s\n", model::summarize(*model).to_string().c_str());

  think::SamplingSettings settings;
  settings.temperature = temperature;
  settings.top_p = args.number("top-p", 1.0);
  settings.max_new_tokens = static_cast<int>(args.integer("max-new-tokens", 512));
  settings.batch_size = static_cast<int>(args.integer("batch-size", 32));
  settings.stop_strings = format.stop_strings();
  if (settings.max_new_tokens < 1 || settings.batch_size < 1)
    throw UsageError("--max-new-tokens and --batch-size must be >= 1");

  // Improve's own draw: the same seeds, prompts, sampler and checkers as a round's.
  std::vector<store::ProblemRecord> records;
  for (size_t i = 0; i < problems.size(); ++i)
    records.push_back({static_cast<int64_t>(i), 0, "test", problems[i].id, problems[i].question,
                       problems[i].solution, problems[i].gold});
  const run::DrawPlan plan = run::plan_draws(
      records, samples, {},
      [&](const store::ProblemRecord& p, int s) { return run::eval_sample_seed(seed, p.problem_key, s); },
      [&](const std::string& question) { return run::prompt_for(format, question); });

  ProgressPrinter printer;
  run::Meter meter(&printer, 0, run::Phase::Eval, "answers", 0, plan.total);
  think::EngineSampler sampler(model, tokenizer);
  std::vector<store::ProblemResult> per_problem(problems.size());
  std::vector<std::string> answer_lines(plan.draws.size());
  run::answer_draws(
      plan.draws, sampler, settings,
      [&](const std::vector<run::Answer>& answers) {
        for (const auto& a : answers) {
          const auto& problem = problems[static_cast<size_t>(a.draw->problem_id)];
          store::ProblemResult& r = per_problem[static_cast<size_t>(a.draw->problem_id)];
          r.problem_key = problem.id;
          eval::tally(r, a.draw->sample_index, a.judged);
          answer_lines[static_cast<size_t>(a.draw - plan.draws.data())] =
              nlohmann::json{{"problem", problem.id},
                             {"sample", a.draw->sample_index},
                             {"gold", problem.gold},
                             {"text", a.sample.text},
                             {"extracted_strict", a.judged.extracted_strict.value_or("")},
                             {"correct_strict", a.judged.correct_strict},
                             {"correct_flexible", a.judged.correct_flexible},
                             {"finish_reason", think::to_string(a.sample.finish_reason)}}
                  .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
        }
      },
      [&](const think::SamplingProgress& p) { meter.update(p.samples_done, p.tokens); }, WorkControl{}, sandbox);
  const double seconds = meter.elapsed();
  printer.on_round_done(0, {});
  if (auto out = args.value("out")) {
    std::ofstream file(*out, std::ios::trunc);
    for (const auto& line : answer_lines) file << line << "\n";
    if (!file) throw Error(*out + ": cannot write the answers");
  }
  print_scores(eval::score(per_problem, ks), samples, seconds, args.flag("json"));
  return 0;
}

}  // namespace tpt::cli
