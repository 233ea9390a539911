// bench_store: how fast the experiment store takes a round's samples and decisions, and how
// fast the trace browser's queries answer, at the scale of a real run (4 rounds over GSM8K's
// 7,473 training problems, ~1M samples).
//
//   build/bench_store [--samples N] [--keep]
//
// Writes a store in a temporary directory (removed afterwards unless --keep), then prints one
// table of insert rates and one of query times (median of several runs, read through a
// read_only Store as the GUI would). Speed is reported, not asserted.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include <unistd.h>

#include "core/error.h"
#include "store/store.h"

using namespace tpt::store;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int rounds_count = 4;
constexpr int problems_count = 7473;  // GSM8K train
constexpr int batch_size = 10000;
constexpr int annotations_count = 2000;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// A GSM8K-like chain of thought, 400-800 characters, ending in "#### n".
std::string make_trace(std::mt19937_64& rng) {
  static const char* phrases[] = {
      "First, we find how many apples are left. ", "She buys 3 more boxes, so ",
      "Each box holds 12 pencils. ", "Let's compute the total cost carefully. ",
      "The remaining amount is ", "Therefore the answer is ", "Multiplying, we get ",
      "He walks 4 miles per hour for 2.5 hours. ", "So the price after the discount is $",
      "Half of the students take the bus. ", "Subtracting, we have ", "In total, "};
  std::uniform_int_distribution<int> length(400, 800), phrase(0, 11), number(2, 999);
  const size_t target = static_cast<size_t>(length(rng));
  std::string text;
  text.reserve(target + 32);
  int step = 1;
  while (text.size() < target) {
    text += "Step " + std::to_string(step++) + ": ";
    text += phrases[phrase(rng)];
    text += std::to_string(number(rng)) + " * " + std::to_string(number(rng)) + " = " +
            std::to_string(number(rng)) + ".\n";
  }
  return text + "#### " + std::to_string(number(rng));
}

struct Timing {
  double median_ms = 0;
  double min_ms = 0;
  size_t rows = 0;
};

Timing time_runs(int runs, const std::function<size_t()>& body) {
  std::vector<double> ms;
  Timing timing;
  for (int i = 0; i < runs; ++i) {
    auto start = Clock::now();
    timing.rows = body();
    ms.push_back(seconds_since(start) * 1000.0);
  }
  std::sort(ms.begin(), ms.end());
  timing.median_ms = ms[ms.size() / 2];
  timing.min_ms = ms.front();
  return timing;
}

std::string driver_of(const std::string& plan) {
  // The first line names the scan that drives the page.
  std::string first = plan.substr(0, plan.find('\n'));
  auto using_at = first.find("USING ");
  return using_at == std::string::npos ? first : first.substr(using_at + 6);
}

struct Options {
  long total = 1000000;
  bool keep = false;
};

// False (and the usage on stderr) for arguments it does not know.
bool parse_options(int argc, char** argv, Options& options) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--samples" && i + 1 < argc) {
      options.total = std::atol(argv[++i]);
    } else if (arg == "--keep") {
      options.keep = true;
    } else {
      std::fprintf(stderr, "usage: %s [--samples N] [--keep]\n", argv[0]);
      return false;
    }
  }
  if (options.total < rounds_count) options.total = rounds_count;
  return true;
}

// The experiment, its rounds and the problems the samples belong to.
struct Fixture {
  std::int64_t experiment = 0;
  std::vector<std::int64_t> rounds;
  std::vector<std::int64_t> problems;
};

Fixture create_fixture(Store& store) {
  Fixture fixture;
  fixture.experiment = store.create_experiment({0, "bench", "{}", "", "new", ""});
  for (int r = 0; r < rounds_count; ++r) fixture.rounds.push_back(store.ensure_round(fixture.experiment, r));
  std::vector<ProblemRecord> problem_records;
  for (int p = 0; p < problems_count; ++p) {
    problem_records.push_back({0, fixture.experiment, "train", "gsm8k-train-" + std::to_string(p),
                               "Natalia sold clips to " + std::to_string(p) + " friends...", "",
                               std::to_string(p % 500)});
  }
  fixture.problems = store.upsert_problems(problem_records);
  return fixture;
}

struct SampleWrites {
  long per_round = 0;
  int per_problem = 0;
  std::vector<std::int64_t> ids;
  long inserted = 0;
  double seconds = 0;  // in insert_samples only, not in making the traces
};

// Samples: round by round, problem by problem, as Think writes them.
SampleWrites write_samples(Store& store, const Fixture& fixture, long total, std::mt19937_64& rng) {
  SampleWrites writes;
  writes.per_round = total / rounds_count;
  writes.per_problem = static_cast<int>((writes.per_round + problems_count - 1) / problems_count);
  writes.ids.reserve(static_cast<size_t>(total));
  std::vector<SampleRecord> batch;
  auto flush = [&] {
    auto start = Clock::now();
    auto result = store.insert_samples(batch);
    writes.seconds += seconds_since(start);
    writes.ids.insert(writes.ids.end(), result.ids.begin(), result.ids.end());
    writes.inserted += static_cast<long>(result.inserted);
    batch.clear();
  };
  std::uniform_int_distribution<int> tokens(90, 260);
  for (int r = 0; r < rounds_count; ++r) {
    const long this_round = r + 1 < rounds_count ? writes.per_round : total - writes.per_round * (rounds_count - 1);
    for (long n = 0; n < this_round; ++n) {
      SampleRecord s;
      s.round_id = fixture.rounds[static_cast<size_t>(r)];
      s.problem_id = fixture.problems[static_cast<size_t>(n / writes.per_problem)];
      s.sample_index = static_cast<int>(n % writes.per_problem);
      s.text = make_trace(rng);
      s.token_count = tokens(rng);
      s.finish_reason = s.token_count > 250 ? "length" : "stop";
      s.seed = rng();
      s.sampling = {0.8, 0.95, 0, 512};
      batch.push_back(std::move(s));
      if (static_cast<int>(batch.size()) == batch_size) flush();
    }
  }
  if (!batch.empty()) flush();
  return writes;
}

// One sample's decision: 55% correct, 35% wrong, 10% no answer; some correct ones dropped later.
DecisionRecord make_decision(std::int64_t sample_id, std::mt19937_64& rng) {
  std::uniform_real_distribution<double> unit(0, 1);
  DecisionRecord d;
  d.sample_id = sample_id;
  const double u = unit(rng);
  d.verdict = u < 0.55 ? Verdict::Correct : u < 0.90 ? Verdict::Wrong : Verdict::NoAnswer;
  d.extracted = d.verdict == Verdict::NoAnswer ? std::nullopt : std::optional<std::string>("72");
  const double v = unit(rng);
  if (d.verdict == Verdict::Wrong) {
    d.dropped_by = "answer_match";
  } else if (d.verdict == Verdict::NoAnswer) {
    d.dropped_by = "format";
  } else if (v < 0.08) {
    d.dropped_by = "length";
  } else if (v < 0.13) {
    d.dropped_by = "duplicate";
  } else if (v < 0.16) {
    d.dropped_by = "k_per_problem";
  }
  d.kept = d.dropped_by.empty();
  d.reason = d.kept ? "" : "dropped by " + d.dropped_by;
  d.rules = {{"answer_match", d.verdict == Verdict::Correct ? Outcome::Pass : Outcome::Fail, "72 vs 72"},
             {"format", d.verdict == Verdict::NoAnswer ? Outcome::Fail : Outcome::Pass, "has ####"},
             {"length", d.dropped_by == "length" ? Outcome::Fail : Outcome::Pass, "within 512 tokens"},
             {"duplicate", d.dropped_by == "duplicate" ? Outcome::Fail : Outcome::Pass, "unique"}};
  return d;
}

// Decisions for every sample, in batches as Prune writes them. Returns the seconds spent in
// write_decisions.
double write_decisions(Store& store, const std::vector<std::int64_t>& ids, std::mt19937_64& rng) {
  double seconds = 0;
  std::vector<DecisionRecord> decisions;
  for (size_t n = 0; n < ids.size(); ++n) {
    decisions.push_back(make_decision(ids[n], rng));
    if (static_cast<int>(decisions.size()) == batch_size || n + 1 == ids.size()) {
      auto start = Clock::now();
      store.write_decisions(decisions);
      seconds += seconds_since(start);
      decisions.clear();
    }
  }
  return seconds;
}

// Annotations: a person's few thousand, each its own transaction. Returns the seconds taken.
double add_annotations(Store& store, const std::vector<std::int64_t>& ids, std::mt19937_64& rng) {
  std::uniform_int_distribution<size_t> any_sample(0, ids.size() - 1);
  auto start = Clock::now();
  for (int a = 0; a < annotations_count; ++a) {
    store.add_annotation({0, ids[any_sample(rng)], "ada",
                          a % 3 == 0 ? Label::Accept : a % 3 == 1 ? Label::Reject : Label::Flag,
                          "", ""});
  }
  return seconds_since(start);
}

struct WriteTimes {
  double samples = 0;
  double decisions = 0;
  double annotations = 0;
  double analyze = 0;
};

void print_write_table(const std::string& path, long total, const SampleWrites& writes, const WriteTimes& times,
                       double megabytes) {
  std::printf("\nbench_store: %ld samples, %d rounds, %d problems, %d samples/problem/round\n",
              total, rounds_count, problems_count, writes.per_problem);
  std::printf("file: %s\n\n", path.c_str());
  std::printf("%-44s %14s\n", "write", "rate");
  std::printf("%-44s %14s\n", std::string(44, '-').c_str(), std::string(14, '-').c_str());
  std::printf("%-44s %10.0f /s   (%ld in %.1f s)\n", "samples alone (batches of 10k)",
              writes.inserted / times.samples, writes.inserted, times.samples);
  std::printf("%-44s %10.0f /s   (%.1f s for decisions)\n", "samples + decisions",
              writes.inserted / (times.samples + times.decisions), times.decisions);
  std::printf("%-44s %10.0f /s\n", "annotations (one transaction each)",
              annotations_count / times.annotations);
  std::printf("%-44s %10.1f s\n", "ANALYZE (optimize, analysis_limit=1000)", times.analyze);
  std::printf("%-44s %10.1f MiB  (%.0f bytes/sample)\n\n", "file size", megabytes,
              megabytes * 1024 * 1024 / static_cast<double>(total));
}

struct QueryCase {
  std::string name;
  SampleFilter filter;
  std::int64_t after = 0;
  bool count = false;
};

// The trace browser's typical filters, first pages and deep ones, and its counts.
std::vector<QueryCase> query_cases(const Fixture& fixture, const SampleWrites& writes) {
  const std::int64_t round2 = fixture.rounds[2], round3 = fixture.rounds[3];
  // An id halfway through round 2, for a page deep into a filter's results.
  const std::int64_t deep_after = writes.ids[static_cast<size_t>(writes.per_round * 2 + writes.per_round / 2)];
  const std::int64_t some_problem = fixture.problems[problems_count / 2];

  std::vector<QueryCase> cases;
  auto add = [&](std::string name, std::function<void(SampleFilter&)> set, std::int64_t after = 0,
                 bool count = false) {
    QueryCase c{std::move(name), {}, after, count};
    set(c.filter);
    cases.push_back(std::move(c));
  };
  add("page: round + verdict=wrong", [&](SampleFilter& f) { f.round_id = round2; f.verdict = Verdict::Wrong; });
  add("page: round + dropped_by=length", [&](SampleFilter& f) { f.round_id = round2; f.dropped_by = "length"; });
  add("page: round + dropped_by=k_per_problem", [&](SampleFilter& f) { f.round_id = round3; f.dropped_by = "k_per_problem"; });
  add("page: round + kept + not annotated", [&](SampleFilter& f) { f.round_id = round3; f.kept = true; f.annotated = false; });
  add("page: latest label = flag", [&](SampleFilter& f) { f.latest_label = Label::Flag; });
  add("page: annotated (any label)", [&](SampleFilter& f) { f.annotated = true; });
  add("page: problem", [&](SampleFilter& f) { f.problem_id = some_problem; });
  add("page: problem + round + verdict", [&](SampleFilter& f) { f.problem_id = some_problem; f.round_id = round2; f.verdict = Verdict::Correct; });
  add("page: round only", [&](SampleFilter& f) { f.round_id = round3; });
  add("page: verdict=no_answer, all rounds", [&](SampleFilter& f) { f.verdict = Verdict::NoAnswer; });
  add("page: round + text contains \"discount\"", [&](SampleFilter& f) { f.round_id = round2; f.text_contains = "discount"; });
  add("deep page: round + verdict=wrong, mid-round", [&](SampleFilter& f) { f.round_id = round2; f.verdict = Verdict::Wrong; }, deep_after);
  add("deep page: round + dropped_by=length", [&](SampleFilter& f) { f.round_id = round2; f.dropped_by = "length"; }, deep_after);
  add("count: round + verdict=wrong", [&](SampleFilter& f) { f.round_id = round2; f.verdict = Verdict::Wrong; }, 0, true);
  add("count: round + dropped_by=length", [&](SampleFilter& f) { f.round_id = round2; f.dropped_by = "length"; }, 0, true);
  add("count: round + kept + not annotated", [&](SampleFilter& f) { f.round_id = round3; f.kept = true; f.annotated = false; }, 0, true);
  add("count: all samples", [&](SampleFilter&) {}, 0, true);
  add("count: round + text contains \"discount\"", [&](SampleFilter& f) { f.round_id = round2; f.text_contains = "discount"; }, 0, true);
  return cases;
}

// Queries, through the GUI's kind of connection.
void time_queries(const std::string& path, const std::vector<QueryCase>& cases) {
  Store reader(path, OpenMode::read_only);
  std::printf("%-44s %8s %10s %10s  %s\n", "query (100-row pages, read-only connection)", "rows",
              "median ms", "min ms", "driven by");
  std::printf("%-44s %8s %10s %10s  %s\n", std::string(44, '-').c_str(), "--------", "----------",
              "----------", "---------");
  for (const auto& c : cases) {
    Timing t = time_runs(c.count ? 3 : 9, [&]() -> size_t {
      if (c.count) return static_cast<size_t>(reader.count_samples(c.filter));
      return reader.list_samples(c.filter, c.after, 100).size();
    });
    std::printf("%-44s %8zu %10.3f %10.3f  %s\n", c.name.c_str(), t.rows, t.median_ms, t.min_ms,
                c.count ? "" : driver_of(reader.explain_list_samples(c.filter)).c_str());
  }
  std::printf("\n");
}

// Every write scenario, then every query, on a new store at `path`.
void run_bench(const std::string& path, long total) {
  std::mt19937_64 rng(20240501);
  Store store(path);
  const Fixture fixture = create_fixture(store);
  const SampleWrites writes = write_samples(store, fixture, total, rng);
  WriteTimes times;
  times.samples = writes.seconds;
  times.decisions = write_decisions(store, writes.ids, rng);
  times.annotations = add_annotations(store, writes.ids, rng);
  const auto start = Clock::now();
  store.optimize();
  times.analyze = seconds_since(start);
  store.database().exec("PRAGMA wal_checkpoint(TRUNCATE)", "checkpoint");
  const double megabytes = static_cast<double>(std::filesystem::file_size(path)) / (1024.0 * 1024.0);
  print_write_table(path, total, writes, times, megabytes);
  time_queries(path, query_cases(fixture, writes));
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  if (!parse_options(argc, argv, options)) return 2;

  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("tpt-bench-store-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string path = (dir / Store::file_name).string();

  try {
    run_bench(path, options.total);
  } catch (const tpt::Error& e) {
    std::fprintf(stderr, "bench_store: %s\n", e.what());
    if (!options.keep) fs::remove_all(dir);
    return 1;
  }
  if (options.keep) {
    std::printf("kept %s\n", path.c_str());
  } else {
    fs::remove_all(dir);
  }
  return 0;
}
