#include "text/bpe.h"

#include <cstdio>
#include <queue>

#include "io/json_fields.h"
#include "text/tokenizer.h"
#include "text/utf8.h"

namespace tpt::text {

namespace {

constexpr size_t kCacheCapacity = 200000;
constexpr size_t kMaxCachedWordBytes = 256;

uint64_t pair_key(int32_t left, int32_t right) {
  return (static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32) | static_cast<uint32_t>(right);
}

// One symbol of a word being merged: a doubly linked list over a vector, so a merge is O(1).
struct Symbol {
  int32_t id;
  int prev;
  int next;
  size_t len;  // 0 once merged into its left neighbour
};

struct Candidate {
  int32_t rank;
  int pos;
  int32_t new_id;
  // std::priority_queue pops the largest: lowest rank first, then leftmost.
  bool operator<(const Candidate& other) const {
    if (rank != other.rank) return rank > other.rank;
    return pos > other.pos;
  }
};

}  // namespace

std::unique_ptr<BpeModel> BpeModel::parse(const json& value, const JsonPlace& at) {
  auto model = std::make_unique<BpeModel>();
  const json& vocab = at.required(value, "vocab");
  const JsonPlace vocab_at = at.at("vocab");
  if (!vocab.is_object()) vocab_at.fail("expected an object mapping tokens to ids, got " + io::describe_json(vocab));
  model->vocab_.reserve(vocab.size());
  for (auto it = vocab.begin(); it != vocab.end(); ++it) {
    if (const std::string problem = token_id_problem(*it); !problem.empty()) vocab_at.at(it.key()).fail(problem);
    model->vocab_.emplace(it.key(), static_cast<int32_t>(it->get<int64_t>()));
  }

  if (value.contains("dropout") && !value["dropout"].is_null() && value["dropout"].is_number() &&
      value["dropout"].get<double>() > 0.0)
    at.at("dropout").fail("BPE dropout is a training-time option; this engine does not support it");
  model->fuse_unk_ = at.boolean(value, "fuse_unk", false);
  model->byte_fallback_ = at.boolean(value, "byte_fallback", false);
  model->ignore_merges_ = at.boolean(value, "ignore_merges", false);
  model->continuing_subword_prefix_ = at.string(value, "continuing_subword_prefix", "");
  model->end_of_word_suffix_ = at.string(value, "end_of_word_suffix", "");
  const std::string unk = at.string(value, "unk_token", "");
  if (!unk.empty()) {
    auto id = model->lookup(unk);
    if (!id) at.at("unk_token").fail("\"" + unk + "\" is not in model.vocab");
    model->unk_id_ = *id;
  }
  if (model->byte_fallback_) {
    model->byte_ids_.assign(256, -1);
    for (int b = 0; b < 256; ++b) {
      char name[8];
      std::snprintf(name, sizeof name, "<0x%02X>", b);
      if (auto id = model->lookup(name)) model->byte_ids_[b] = *id;
    }
  }

  const json& merges = at.required(value, "merges");
  const JsonPlace merges_at = at.at("merges");
  if (!merges.is_array()) merges_at.fail("expected an array, got " + io::describe_json(merges));
  model->merges_.reserve(merges.size());
  for (size_t rank = 0; rank < merges.size(); ++rank) {
    const json& entry = merges[rank];
    const JsonPlace entry_at = merges_at.at(rank);
    std::string left, right;
    if (entry.is_string()) {
      const std::string& line = entry.get_ref<const std::string&>();
      const size_t space = line.find(' ');
      if (space == std::string::npos || line.find(' ', space + 1) != std::string::npos)
        entry_at.fail("expected \"a b\" (two tokens and one space), got " + io::describe_json(entry));
      left = line.substr(0, space);
      right = line.substr(space + 1);
    } else if (entry.is_array() && entry.size() == 2 && entry[0].is_string() && entry[1].is_string()) {
      left = entry[0].get<std::string>();
      right = entry[1].get<std::string>();
    } else {
      entry_at.fail("expected \"a b\" or [\"a\", \"b\"], got " + io::describe_json(entry));
    }
    const auto left_id = model->lookup(left), right_id = model->lookup(right);
    if (!left_id) entry_at.fail("token \"" + left + "\" is not in model.vocab");
    if (!right_id) entry_at.fail("token \"" + right + "\" is not in model.vocab");
    // With a continuing-subword prefix the right part carries it and the merged token does
    // not repeat it: "a" + "##b" -> "ab" (HF: a + b[len(prefix):]).
    const size_t prefix_len = model->continuing_subword_prefix_.size();
    if (right.size() < prefix_len) entry_at.fail("token \"" + right + "\" is shorter than continuing_subword_prefix");
    const std::string merged = left + right.substr(prefix_len);
    const auto merged_id = model->lookup(merged);
    if (!merged_id) entry_at.fail("merged token \"" + merged + "\" is not in model.vocab");
    // A repeated pair keeps its first (best) rank, as in HF.
    model->merges_.emplace(pair_key(*left_id, *right_id), Merge{static_cast<int32_t>(rank), *merged_id});
  }
  return model;
}

std::optional<int32_t> BpeModel::lookup(std::string_view token) const {
  auto it = vocab_.find(std::string(token));
  if (it == vocab_.end()) return std::nullopt;
  return it->second;
}

std::optional<int32_t> BpeModel::token_to_id(std::string_view token) const { return lookup(token); }

void BpeModel::tokenize(std::string_view word, std::vector<int32_t>& out) const {
  if (word.empty()) return;
  const bool cacheable = word.size() <= kMaxCachedWordBytes;
  std::string key;
  if (cacheable) {
    key.assign(word);
    std::lock_guard<std::mutex> lock(cache_mutex_);
    auto it = cache_.find(key);
    if (it != cache_.end()) {
      out.insert(out.end(), it->second.begin(), it->second.end());
      return;
    }
  }
  std::vector<int32_t> ids;
  merge_word(word, ids);
  out.insert(out.end(), ids.begin(), ids.end());
  if (cacheable) {
    std::lock_guard<std::mutex> lock(cache_mutex_);
    if (cache_.size() >= kCacheCapacity) cache_.clear();
    cache_.emplace(std::move(key), std::move(ids));
  }
}

void BpeModel::merge_word(std::string_view word, std::vector<int32_t>& out) const {
  // Llama 3: a word that is itself a token is taken whole, even when merges would split it.
  if (ignore_merges_) {
    if (auto id = lookup(word)) {
      out.push_back(*id);
      return;
    }
  }

  std::vector<Symbol> symbols;
  symbols.reserve(word.size());
  auto add = [&](int32_t id, size_t len) {
    const int index = static_cast<int>(symbols.size());
    symbols.push_back({id, index - 1, index + 1, len});
  };
  std::optional<std::pair<int32_t, size_t>> pending_unk;
  auto flush_unk = [&] {
    if (pending_unk) add(pending_unk->first, pending_unk->second);
    pending_unk.reset();
  };

  size_t pos = 0;
  std::string piece;
  while (pos < word.size()) {
    const size_t begin = pos;
    next_code_point(word, pos);
    const size_t byte_len = pos - begin;
    piece.clear();
    if (begin > 0) piece += continuing_subword_prefix_;
    piece.append(word.substr(begin, byte_len));
    if (pos == word.size()) piece += end_of_word_suffix_;

    if (auto id = lookup(piece)) {
      flush_unk();
      add(*id, byte_len);
      continue;
    }
    if (byte_fallback_) {
      bool all = true;
      for (unsigned char b : piece) all = all && byte_ids_[b] >= 0;
      if (all) {
        flush_unk();
        for (unsigned char b : piece) add(byte_ids_[b], 1);
        continue;
      }
    }
    if (unk_id_) {
      if (pending_unk && fuse_unk_) {
        pending_unk->second += byte_len;
      } else {
        flush_unk();
        pending_unk = std::make_pair(*unk_id_, byte_len);
      }
    }
    // Without an unk token a character outside the vocabulary is dropped, as in HF.
  }
  flush_unk();
  if (symbols.empty()) return;
  symbols.back().next = -1;

  std::priority_queue<Candidate> queue;
  auto find_merge = [&](int32_t left, int32_t right) -> const Merge* {
    auto it = merges_.find(pair_key(left, right));
    return it == merges_.end() ? nullptr : &it->second;
  };
  for (size_t i = 0; i + 1 < symbols.size(); ++i)
    if (const Merge* m = find_merge(symbols[i].id, symbols[i + 1].id))
      queue.push({m->rank, static_cast<int>(i), m->new_id});

  while (!queue.empty()) {
    const Candidate top = queue.top();
    queue.pop();
    Symbol& left = symbols[top.pos];
    if (left.len == 0 || left.next < 0) continue;
    const int right_pos = left.next;
    Symbol& right = symbols[right_pos];
    // Entries go stale when a neighbour merged first.
    const Merge* current = find_merge(left.id, right.id);
    if (!current || current->new_id != top.new_id) continue;

    left.id = top.new_id;
    left.len += right.len;
    left.next = right.next;
    right.len = 0;
    if (left.next >= 0) symbols[left.next].prev = top.pos;

    if (left.prev >= 0)
      if (const Merge* m = find_merge(symbols[left.prev].id, left.id)) queue.push({m->rank, left.prev, m->new_id});
    if (left.next >= 0)
      if (const Merge* m = find_merge(left.id, symbols[left.next].id)) queue.push({m->rank, top.pos, m->new_id});
  }
  for (const Symbol& s : symbols)
    if (s.len != 0) out.push_back(s.id);
}

}  // namespace tpt::text
