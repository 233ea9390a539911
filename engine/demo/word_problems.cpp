#include "demo/word_problems.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <tuple>
#include <unordered_set>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/hash.h"
#include "core/text.h"
#include "demo/word_problem_tables.h"
#include "io/atomic_file.h"

namespace tpt::demo {

namespace {

// ---------------------------------------------------------------------------------------------
// Randomness. SplitMix64 plus a rejection-sampled bounded draw: the same numbers on every
// standard library (std::uniform_int_distribution is implementation-defined).

class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}

  uint64_t next() {
    state_ += 0x9e3779b97f4a7c15ULL;
    return mix64(state_);
  }

  // Uniform in [lo, hi]; requires lo <= hi.
  int64_t range(int64_t lo, int64_t hi) {
    const uint64_t span = static_cast<uint64_t>(hi - lo) + 1;
    if (span == 0) return static_cast<int64_t>(next());  // the whole 64-bit range
    // Reject the top partial block so every value is equally likely.
    const uint64_t limit = UINT64_MAX - UINT64_MAX % span;
    uint64_t x;
    do x = next();
    while (x >= limit);
    return lo + static_cast<int64_t>(x % span);
  }

  size_t below(size_t n) { return static_cast<size_t>(range(0, static_cast<int64_t>(n) - 1)); }

 private:
  uint64_t state_;
};

// ---------------------------------------------------------------------------------------------
// Templates, vocabularies and names: demo/word_problem_tables.h.

using word_problem_tables::Family;
using word_problem_tables::Person;
using word_problem_tables::Template;
using word_problem_tables::Vocab;
using word_problem_tables::comparison_steps;
using word_problem_tables::families;
using word_problem_tables::people;

// ---------------------------------------------------------------------------------------------
// Drawing a problem's structure: family, templates and numbers. Names and vocabulary are drawn
// afterwards, so the content key (and the split) never depends on them.

struct Step {
  const Template* tmpl = nullptr;
  std::string tag;  // "s2", "t4" or "c1": which list and index, for the content key
  int64_t left = 0, right = 0, result = 0;
};

struct Draft {
  const Family* family = nullptr;
  std::vector<Step> steps;
  std::string key;
};

int64_t apply(char op, int64_t x, int64_t y) {
  switch (op) {
    case '+': return x + y;
    case '-': return x - y;
    case '*': return x * y;
    default: return x / y;
  }
}

// Bounds for one family: an age of 400 does not read like a word problem.
struct Bounds {
  int64_t operand, factor, result;
};

// Can `op` start a chain (x == 0) or continue one at x, within the bounds? Every number, in the
// question or as a result, is at least 2: "1 pens" and "1 minutes" would need singular forms
// of every noun, and a step that yields 1 or 0 makes the story fall apart.
bool feasible(char op, int64_t x, const Bounds& b) {
  if (x == 0) {
    switch (op) {
      case '+': return b.operand >= 2 && std::min(b.operand, b.result - 2) >= 2;
      case '-': return b.operand >= 4;
      case '*': return std::min(b.operand, b.result / 2) >= 2 && b.factor >= 2;
      default: return std::min(b.factor, b.operand / 2) >= 2;
    }
  }
  switch (op) {
    case '+': return b.result - x >= 2;
    case '-': return x >= 4;
    case '*': return b.factor >= 2 && x <= b.result / 2;
    default:
      for (int64_t d = 2; d <= std::min(b.factor, x / 2); ++d)
        if (x % d == 0) return true;
      return false;
  }
}

// The numbers of a first step: a op b.
std::pair<int64_t, int64_t> draw_start(char op, const Bounds& b, Rng& rng) {
  switch (op) {
    case '+': {
      const int64_t a = rng.range(2, std::min(b.operand, b.result - 2));
      return {a, rng.range(2, std::min(b.operand, b.result - a))};
    }
    case '-': {
      const int64_t a = rng.range(4, b.operand);
      return {a, rng.range(2, a - 2)};
    }
    case '*': {
      const int64_t a = rng.range(2, std::min(b.operand, b.result / 2));
      return {a, rng.range(2, std::min(b.factor, b.result / a))};
    }
    default: {
      const int64_t divisor = rng.range(2, std::min(b.factor, b.operand / 2));
      const int64_t quotient = rng.range(2, b.operand / divisor);
      return {divisor * quotient, divisor};
    }
  }
}

// The number a later step combines with the running value x.
int64_t draw_next(char op, int64_t x, const Bounds& b, Rng& rng) {
  switch (op) {
    case '+': return rng.range(2, std::min(b.operand, b.result - x));
    case '-': return rng.range(2, std::min(b.operand, x - 2));
    case '*': return rng.range(2, std::min(b.factor, b.result / x));
    default: {
      std::vector<int64_t> divisors;
      for (int64_t d = 2; d <= std::min(b.factor, x / 2); ++d)
        if (x % d == 0) divisors.push_back(d);
      return divisors[rng.below(divisors.size())];
    }
  }
}

struct Candidate {
  const Template* tmpl;
  std::string tag;
};

std::vector<Candidate> candidates(const Family& family, bool first, char op, bool last) {
  std::vector<Candidate> out;
  auto add = [&](const std::vector<Template>& list, char prefix) {
    for (size_t i = 0; i < list.size(); ++i)
      if (list[i].op == op && (last || !list[i].last)) out.push_back({&list[i], prefix + std::to_string(i)});
  };
  if (first) {
    add(family.starts, 's');
  } else {
    add(family.steps, 't');
    if (family.comparisons) add(comparison_steps(), 'c');
  }
  return out;
}

std::string unique_operations(const std::string& operations) {
  std::string out;
  for (char op : std::string("+-*/"))
    if (operations.find(op) != std::string::npos) out += op;
  return out;
}

std::optional<Draft> draw_structure(const WordProblemOptions& options, const std::string& operations, Rng& rng) {
  Draft draft;
  draft.family = &families()[rng.below(families().size())];
  const Family& family = *draft.family;
  Bounds bounds{options.max_operand, options.max_factor, options.max_result};
  if (family.cap > 0) {
    bounds.result = std::min(bounds.result, family.cap);
    bounds.operand = std::min(bounds.operand, family.cap);
  }
  const int steps = static_cast<int>(rng.range(options.min_steps, options.max_steps));
  int64_t x = 0;
  std::vector<const Template*> used;
  for (int s = 0; s < steps; ++s) {
    const bool first = s == 0, last = s == steps - 1;
    std::vector<char> ops;
    for (char op : operations)
      if (feasible(op, x, bounds) && !candidates(family, first, op, last).empty()) ops.push_back(op);
    if (ops.empty()) return std::nullopt;  // a dead end: the stream moves on to its next draw
    const char op = ops[rng.below(ops.size())];
    std::vector<Candidate> options_for_op = candidates(family, first, op, last);
    // The same sentence twice in one problem reads like a glitch; repeat only when forced.
    std::vector<Candidate> fresh;
    for (const auto& c : options_for_op)
      if (std::find(used.begin(), used.end(), c.tmpl) == used.end()) fresh.push_back(c);
    const auto& pool = fresh.empty() ? options_for_op : fresh;
    const Candidate& chosen = pool[rng.below(pool.size())];
    used.push_back(chosen.tmpl);

    Step step;
    step.tmpl = chosen.tmpl;
    step.tag = chosen.tag;
    if (first) {
      std::tie(step.left, step.right) = draw_start(op, bounds, rng);
    } else {
      step.left = x;
      step.right = draw_next(op, x, bounds, rng);
    }
    step.result = apply(op, step.left, step.right);
    x = step.result;
    draft.steps.push_back(std::move(step));
  }
  draft.key = family.name;
  for (const auto& step : draft.steps) {
    draft.key += "|" + step.tag + ":";
    if (&step == &draft.steps.front()) draft.key += std::to_string(step.left) + ",";
    draft.key += std::to_string(step.right);
  }
  return draft;
}

// ---------------------------------------------------------------------------------------------
// Rendering: names, vocabulary and the placeholders.

struct Cast {
  const Person* subject;
  const Person* previous;
  const Person* friend_;
  const Vocab* vocab;
  bool use_names;  // pronouns would be ambiguous: another person is (or was just) in the story
};

std::string calc(char op, int64_t x, int64_t y, int64_t r) {
  const std::string expr = std::to_string(x) + op + std::to_string(y);
  return expr + "=<<" + expr + "=" + std::to_string(r) + ">>" + std::to_string(r);
}

std::string render(const char* text, const Cast& cast, const Step& step, bool first) {
  const Person& p = *cast.subject;
  auto pronoun = [&](const char* female, const char* male) -> std::string {
    return p.female ? female : male;
  };
  std::string out;
  for (const char* c = text; *c;) {
    if (*c != '{') {
      out += *c++;
      continue;
    }
    const char* end = std::strchr(c, '}');
    const std::string slot(c + 1, end);
    c = end + 1;
    const char op = step.tmpl->op;
    if (slot == "name") out += p.name;
    else if (slot == "prev") out += cast.previous->name;
    else if (slot == "friend") out += cast.friend_->name;
    else if (slot == "He") out += cast.use_names ? p.name : pronoun("She", "He");
    else if (slot == "he") out += cast.use_names ? p.name : pronoun("she", "he");
    else if (slot == "him") out += cast.use_names ? p.name : pronoun("her", "him");
    else if (slot == "His") out += cast.use_names ? std::string(p.name) + "'s" : pronoun("Her", "His");
    else if (slot == "his") out += cast.use_names ? std::string(p.name) + "'s" : pronoun("her", "his");
    else if (slot == "item") out += cast.vocab->item;
    else if (slot == "item1") out += cast.vocab->item1;
    else if (slot == "has") out += cast.vocab->has;
    else if (slot == "have") out += cast.vocab->have;
    else if (slot == "extra") out += cast.vocab->extra;
    else if (slot == "extra1") out += cast.vocab->extra1;
    else if (slot == "a" && first) out += std::to_string(step.left);
    else if (slot == "b" && first) out += std::to_string(step.right);
    else if (slot == "n" && !first) out += std::to_string(step.right);
    else if (slot == "calc") out += calc(op, step.left, step.right, step.result);
    else throw std::logic_error("word problem template has an unknown slot {" + slot + "}: " + text);
  }
  return out;
}

bool mentions_someone_else(const Template& t) {
  return t.new_subject || std::strstr(t.question, "{friend}") || std::strstr(t.question, "{prev}");
}

const Person* draw_person(Rng& rng, const std::vector<const Person*>& taken) {
  for (;;) {
    const Person* p = &people()[rng.below(people().size())];
    if (std::find(taken.begin(), taken.end(), p) == taken.end()) return p;
  }
}

std::pair<std::string, std::string> render_problem(const Draft& draft, Rng& rng) {
  const Family& family = *draft.family;
  std::vector<const Person*> cast_list;
  Cast cast{};
  cast.vocab = &family.vocab[rng.below(family.vocab.size())];
  cast.subject = draw_person(rng, cast_list);
  cast_list.push_back(cast.subject);
  cast.friend_ = draw_person(rng, cast_list);
  cast_list.push_back(cast.friend_);

  std::string question, solution;
  bool others_before = false;
  for (size_t i = 0; i < draft.steps.size(); ++i) {
    const Step& step = draft.steps[i];
    const Template& t = *step.tmpl;
    cast.previous = cast.subject;
    if (t.new_subject) {
      cast.subject = draw_person(rng, cast_list);
      cast_list.push_back(cast.subject);
    }
    const bool others_now = mentions_someone_else(t);
    cast.use_names = others_now || others_before;
    others_before = others_now;
    if (!question.empty()) question += ' ';
    question += render(t.question, cast, step, i == 0);
    solution += render(t.solution, cast, step, i == 0) + "\n";
    if (i + 1 == draft.steps.size()) question += " " + render(t.ask, cast, step, i == 0);
  }
  // Sentences start with a capital even when a slot ("{n} of ...") opens them.
  if (!question.empty()) question[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(question[0])));
  solution += "#### " + std::to_string(draft.steps.back().result);
  return {question, solution};
}

std::string lowercase(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string level_list() {
  std::vector<std::string> names;
  for (const auto& level : word_problem_levels())
    names.push_back(std::to_string(level.number) + " (" + level.name + ")");
  return join(names, ", ");
}

}  // namespace

// ---------------------------------------------------------------------------------------------

void WordProblemOptions::validate() const {
  auto fail = [](const std::string& message) { throw Error("word problems: " + message); };
  if (min_steps < 1 || min_steps > 6) fail("min_steps must be in [1, 6], got " + std::to_string(min_steps));
  if (max_steps < min_steps || max_steps > 6)
    fail("max_steps must be in [min_steps, 6] = [" + std::to_string(min_steps) + ", 6], got " +
         std::to_string(max_steps));
  if (operations.empty()) fail("operations is empty (use any of \"+-*/\")");
  for (char op : operations)
    if (std::string("+-*/").find(op) == std::string::npos)
      fail(std::string("operations may hold only '+', '-', '*', '/', got '") + op + "'");
  constexpr int64_t kLimit = 1'000'000'000'000LL;  // far from overflow in a product
  // Every number is at least 2 (see feasible()), so a difference needs room: 4-2.
  if (max_operand < 4 || max_operand > kLimit)
    fail("max_operand must be in [4, 10^12], got " + std::to_string(max_operand));
  if (max_result < max_operand || max_result > kLimit)
    fail("max_result must be in [max_operand, 10^12] = [" + std::to_string(max_operand) + ", 10^12], got " +
         std::to_string(max_result));
  const bool groups = operations.find_first_of("*/") != std::string::npos;
  if (groups && (max_factor < 2 || max_factor > kLimit))
    fail("max_factor must be in [2, 10^12] when operations include '*' or '/', got " + std::to_string(max_factor));
}

std::string WordProblemOptions::describe() const {
  std::string ops;
  for (char op : unique_operations(operations)) ops += ops.empty() ? std::string(1, op) : std::string(" ") + op;
  std::string text = std::to_string(min_steps);
  if (max_steps != min_steps) text += "-" + std::to_string(max_steps);
  text += max_steps == 1 ? " step" : " steps";
  text += ", " + ops + ", numbers up to " + std::to_string(max_operand);
  if (operations.find_first_of("*/") != std::string::npos) text += ", factors up to " + std::to_string(max_factor);
  return text + ", answers up to " + std::to_string(max_result);
}

const std::vector<WordProblemLevel>& word_problem_levels() {
  // Each level lengthens the chain or widens the numbers; the lowest stays within what a
  // byte-level model on a laptop CPU can learn in a few rounds (1-2 digit sums and differences).
  static const std::vector<WordProblemLevel> levels = [] {
    auto level = [](int number, const char* name, int min_steps, int max_steps, int64_t operand, int64_t factor,
                    int64_t result, const char* ops) {
      WordProblemLevel l;
      l.number = number;
      l.name = name;
      l.options.min_steps = min_steps;
      l.options.max_steps = max_steps;
      l.options.max_operand = operand;
      l.options.max_factor = factor;
      l.options.max_result = result;
      l.options.operations = ops;
      return l;
    };
    return std::vector<WordProblemLevel>{
        level(1, "easy", 1, 1, 20, 10, 40, "+-"),
        level(2, "medium", 1, 2, 20, 5, 100, "+-*/"),
        level(3, "hard", 2, 3, 50, 10, 500, "+-*/"),
        level(4, "harder", 3, 4, 100, 12, 2000, "+-*/"),
        level(5, "hardest", 4, 6, 500, 20, 10000, "+-*/"),
    };
  }();
  return levels;
}

const WordProblemLevel& parse_word_problem_level(std::string_view text) {
  std::string wanted = lowercase(trim(text));
  if (starts_with(wanted, "level-")) wanted = wanted.substr(6);
  else if (starts_with(wanted, "level")) wanted = wanted.substr(5);
  for (const auto& level : word_problem_levels())
    if (wanted == level.name || wanted == std::to_string(level.number)) return level;
  throw Error("unknown word-problem level \"" + std::string(text) + "\": expected one of " + level_list());
}

const char* to_string(WordProblemSplit split) { return split == WordProblemSplit::Test ? "test" : "train"; }

WordProblemSplit word_problem_split_of(std::string_view key) {
  // A fixed salt, never the seed: a key's split must be the same for every seed, or a problem
  // drawn for one seed's test set could turn up in another seed's train set.
  const uint64_t h = mix64(fnv1a64(key, fnv1a64("tpt word problems: split")));
  return h % 5 == 0 ? WordProblemSplit::Test : WordProblemSplit::Train;
}

std::vector<std::string> word_problem_families() {
  std::vector<std::string> names;
  for (const auto& family : families()) names.push_back(family.name);
  return names;
}

std::vector<WordProblem> generate_word_problems(const WordProblemOptions& options, WordProblemSplit split,
                                                int64_t count) {
  options.validate();
  if (count < 0) throw Error("word problems: count must be >= 0, got " + std::to_string(count));
  const std::string operations = unique_operations(options.operations);
  std::vector<WordProblem> out;
  out.reserve(static_cast<size_t>(count));
  std::unordered_set<std::string> seen;
  // The stream can run dry: a small level has a few thousand distinct problems. Giving up after
  // a long run without a new one turns an endless loop into an error a person can act on.
  constexpr uint64_t kMaxMisses = 200000;
  uint64_t misses = 0;
  for (uint64_t draw = 0; static_cast<int64_t>(out.size()) < count; ++draw) {
    if (misses > kMaxMisses)
      throw Error("word problems: only " + std::to_string(out.size()) + " distinct " + to_string(split) +
                  " problems exist for " + options.describe() + "; asked for " + std::to_string(count) +
                  " (ask for fewer, or use a harder level)");
    Rng rng(seeded_key(options.seed, draw));
    std::optional<Draft> draft = draw_structure(options, operations, rng);
    if (!draft || word_problem_split_of(draft->key) != split || !seen.insert(draft->key).second) {
      ++misses;
      continue;
    }
    misses = 0;
    auto [question, solution] = render_problem(*draft, rng);
    WordProblem wp;
    wp.family = draft->family->name;
    wp.key = draft->key;
    wp.steps = static_cast<int>(draft->steps.size());
    wp.problem.id = data::problem_id(to_string(split), question, solution);
    wp.problem.line = static_cast<long>(out.size()) + 1;
    wp.problem.gold = std::to_string(draft->steps.back().result);
    wp.problem.question = std::move(question);
    wp.problem.solution = std::move(solution);
    out.push_back(std::move(wp));
  }
  return out;
}

void write_gsm8k(const std::string& path, const std::vector<data::Problem>& problems) {
  io::write_file_atomically(path, [&](std::ostream& out) {
    for (const auto& p : problems) {
      // GSM8K's own key order, so the files read like the real dataset.
      nlohmann::ordered_json line;
      line["question"] = p.question;
      line["answer"] = p.solution;
      out << line.dump() << "\n";
    }
  });
}

void write_gsm8k(const std::string& path, const std::vector<WordProblem>& problems) {
  std::vector<data::Problem> plain;
  plain.reserve(problems.size());
  for (const auto& wp : problems) plain.push_back(wp.problem);
  write_gsm8k(path, plain);
}

}  // namespace tpt::demo
