// The BPE trainer of the built-in base model: merges checked by hand on small corpora, then the
// tokenizer it learns from word problems encoding them losslessly and much shorter than bytes.
#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "check.h"
#include "demo/word_problems.h"
#include "text/bpe_trainer.h"
#include "text/tokenizer.h"

using namespace tpt::text;
using nlohmann::json;

namespace {

Tokenizer load(const json& doc) { return Tokenizer::from_json(doc, "trained tokenizer.json"); }

json merges_of(const json& doc) { return doc.at("model").at("merges"); }

json ids(const std::vector<int32_t>& v) { return json(v); }

}  // namespace

TPT_TEST(bpe_trainer, merges_the_most_frequent_pair_and_stops_below_min_frequency) {
  // "abab" + "ab": (a,b) occurs 3 times, (b,a) once. After "a b", (ab,ab) occurs once: below 2.
  BpeTrainerOptions options;
  options.vocab_size = 300;
  const json doc = train_byte_level_bpe({"abab", "ab"}, options);
  COMPARE(merges_of(doc), json::array({"a b"}));
  const Tokenizer tokenizer = load(doc);
  COMPARE(tokenizer.vocab_size(), size_t{258});  // 256 bytes, <|endoftext|>, "ab"
  COMPARE(ids(tokenizer.encode("abab")), json::array({257, 257}));
  COMPARE(ids(tokenizer.encode("ba")), json::array({'b', 'a'}));
  COMPARE(ids(tokenizer.encode("<|endoftext|>")), json::array({256}));

  options.min_frequency = 1;
  COMPARE(merges_of(train_byte_level_bpe({"abab", "ab"}, options)), json::array({"a b", "ab ab"}));
}

TPT_TEST(bpe_trainer, breaks_ties_by_token_order_and_stops_at_vocab_size) {
  BpeTrainerOptions options;
  options.min_frequency = 1;
  options.vocab_size = 259;  // room for two merges
  COMPARE(merges_of(train_byte_level_bpe({"xy", "uvw"}, options)), json::array({"u v", "uv w"}));
  options.vocab_size = 258;
  COMPARE(merges_of(train_byte_level_bpe({"xy", "uvw"}, options)), json::array({"u v"}));
  options.vocab_size = 256;
  VERIFY_THROWS_WITH(train_byte_level_bpe({"xy"}, options), "vocab_size 256");
}

TPT_TEST(bpe_trainer, keeps_digits_one_per_token_with_the_space_before_them) {
  BpeTrainerOptions options;
  options.min_frequency = 1;
  const json doc = train_byte_level_bpe({"He has 12 apples and 12 pears: 12+12=24."}, options);
  for (const auto& entry : merges_of(doc)) {
    const std::string merge = entry.get<std::string>();
    const auto space = merge.find(' ');
    const bool digit_left = std::isdigit(static_cast<unsigned char>(merge[space - 1]));
    const bool digit_right = std::isdigit(static_cast<unsigned char>(merge[space + 1]));
    if (digit_left && digit_right) TPT_FAIL("digits merged: " + merge);
  }
  const Tokenizer tokenizer = load(doc);
  // " 12" is the space-and-first-digit token, then "2".
  const auto twelve = tokenizer.encode(" 12");
  COMPARE(twelve.size(), size_t{2});
  COMPARE(tokenizer.decode(twelve), std::string(" 12"));
}

TPT_TEST(bpe_trainer, word_problems_round_trip_in_under_half_the_tokens_of_bytes) {
  tpt::demo::WordProblemOptions task;
  task.min_steps = 1;
  task.max_steps = 2;
  std::vector<std::string> corpus;
  for (const auto& p : generate_word_problems(task, tpt::demo::WordProblemSplit::Train, 500)) {
    corpus.push_back("Question: " + p.problem.question + "\nSolution:");
    corpus.push_back(" " + p.problem.solution);
  }
  const json doc = train_byte_level_bpe(corpus);
  const Tokenizer tokenizer = load(doc);
  COMPARE(tokenizer.vocab_size(), size_t{512});

  // Unseen problems (the test split, harder levels) and arbitrary text come back byte for byte.
  task.max_steps = 4;
  task.operations = "+-*/";
  size_t bytes = 0, tokens = 0;
  for (const auto& p : generate_word_problems(task, tpt::demo::WordProblemSplit::Test, 200)) {
    const std::string text = "Question: " + p.problem.question + "\nSolution: " + p.problem.solution;
    const auto encoded = tokenizer.encode(text);
    COMPARE(tokenizer.decode(encoded), text);
    bytes += text.size();
    tokens += encoded.size();
  }
  VERIFY(tokens * 2 < bytes);
  for (const std::string text : {"Zoë paid €3,50 \t for 🍎🍎\r\n", "", "  leading spaces", "12345678901234567890"})
    COMPARE(tokenizer.decode(tokenizer.encode(text)), text);

  // The corpus order does not matter: the same file.
  std::mt19937 rng(7);
  std::shuffle(corpus.begin(), corpus.end(), rng);
  COMPARE(train_byte_level_bpe(corpus), doc);
}
