#include "text/pre_tokenizer.h"

#include <algorithm>
#include <array>

#include "text/regex.h"
#include "text/utf8.h"

namespace tpt::text {

namespace {

struct ByteTable {
  std::array<std::string, 256> to_unicode;
  std::array<int, 512> from_unicode;  // every code point in the table is < 512
  ByteTable() {
    from_unicode.fill(-1);
    int next = 256;
    for (int b = 0; b < 256; ++b) {
      const bool printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || b >= 174;
      const int cp = printable ? b : next++;
      to_unicode[b] = to_utf8(static_cast<char32_t>(cp));
      from_unicode[cp] = b;
    }
  }
};

const ByteTable& byte_table() {
  static const ByteTable table;
  return table;
}

// GPT-2's pre-tokenizer pattern (ByteLevel with use_regex).
const char* const kGpt2Pattern = R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

void split_pieces(std::vector<Piece>& pieces, const Regex& pattern, SplitBehavior behavior, bool invert) {
  std::vector<Piece> out;
  out.reserve(pieces.size() * 2);
  for (auto& piece : pieces) {
    const auto ranges = split_ranges(piece.text.size(), pattern.find_all(piece.text), behavior, invert);
    bool first = true;
    for (auto [begin, end] : ranges) {
      out.push_back({piece.text.substr(begin, end - begin), piece.at_start && first && begin == 0});
      first = false;
    }
  }
  pieces = std::move(out);
}

class SplitPreTokenizer : public PreTokenizer {
 public:
  SplitPreTokenizer(Regex pattern, SplitBehavior behavior, bool invert)
      : pattern_(std::move(pattern)), behavior_(behavior), invert_(invert) {}
  void pre_tokenize(std::vector<Piece>& pieces) const override { split_pieces(pieces, pattern_, behavior_, invert_); }

 private:
  Regex pattern_;
  SplitBehavior behavior_;
  bool invert_;
};

class ByteLevelPreTokenizer : public PreTokenizer {
 public:
  ByteLevelPreTokenizer(bool add_prefix_space, bool use_regex) : add_prefix_space_(add_prefix_space) {
    if (use_regex) regex_ = std::make_unique<Regex>(kGpt2Pattern);
  }
  void pre_tokenize(std::vector<Piece>& pieces) const override {
    if (add_prefix_space_)
      for (auto& piece : pieces)
        if (piece.text.empty() || piece.text[0] != ' ') piece.text.insert(0, " ");
    if (regex_) split_pieces(pieces, *regex_, SplitBehavior::isolated, false);
    const ByteTable& table = byte_table();
    for (auto& piece : pieces) {
      std::string mapped;
      mapped.reserve(piece.text.size() * 2);
      for (char c : piece.text) mapped += table.to_unicode[static_cast<unsigned char>(c)];
      piece.text = std::move(mapped);
    }
  }

 private:
  bool add_prefix_space_;
  std::unique_ptr<Regex> regex_;
};

enum class PrependScheme { first, always, never };

class MetaspacePreTokenizer : public PreTokenizer {
 public:
  MetaspacePreTokenizer(std::string replacement, PrependScheme scheme, bool split)
      : replacement_(std::move(replacement)), scheme_(scheme), split_(split), pattern_(Regex::literal(replacement_)) {}
  void pre_tokenize(std::vector<Piece>& pieces) const override {
    for (auto& piece : pieces) {
      std::string replaced;
      replaced.reserve(piece.text.size() + replacement_.size());
      for (char c : piece.text) {
        if (c == ' ') replaced += replacement_;
        else replaced += c;
      }
      const bool has_prefix = replaced.compare(0, replacement_.size(), replacement_) == 0;
      if (!has_prefix && (scheme_ == PrependScheme::always || (scheme_ == PrependScheme::first && piece.at_start)))
        replaced.insert(0, replacement_);
      piece.text = std::move(replaced);
    }
    if (split_) split_pieces(pieces, pattern_, SplitBehavior::merged_with_next, false);
  }

 private:
  std::string replacement_;
  PrependScheme scheme_;
  bool split_;
  Regex pattern_;
};

class SequencePreTokenizer : public PreTokenizer {
 public:
  explicit SequencePreTokenizer(std::vector<std::unique_ptr<PreTokenizer>> steps) : steps_(std::move(steps)) {}
  void pre_tokenize(std::vector<Piece>& pieces) const override {
    for (const auto& step : steps_) step->pre_tokenize(pieces);
  }

 private:
  std::vector<std::unique_ptr<PreTokenizer>> steps_;
};

}  // namespace

std::vector<std::pair<size_t, size_t>> split_ranges(size_t text_size, const std::vector<std::pair<size_t, size_t>>& matches,
                                                    SplitBehavior behavior, bool invert) {
  // The text as alternating (range, is_match) parts, as HF's Pattern::find_matches gives them.
  std::vector<std::pair<std::pair<size_t, size_t>, bool>> parts;
  size_t prev = 0;
  for (auto [begin, end] : matches) {
    if (begin > prev) parts.push_back({{prev, begin}, false});
    parts.push_back({{begin, end}, true});
    prev = end;
  }
  if (prev < text_size) parts.push_back({{prev, text_size}, false});
  if (invert)
    for (auto& part : parts) part.second = !part.second;

  std::vector<std::pair<size_t, size_t>> out;
  bool previous_match = false;
  switch (behavior) {
    case SplitBehavior::removed:
      for (auto& [range, is_match] : parts)
        if (!is_match) out.push_back(range);
      break;
    case SplitBehavior::isolated:
      for (auto& [range, is_match] : parts) out.push_back(range);
      break;
    case SplitBehavior::merged_with_previous:
      for (auto& [range, is_match] : parts) {
        if (is_match && !previous_match && !out.empty()) out.back().second = range.second;
        else out.push_back(range);
        previous_match = is_match;
      }
      break;
    case SplitBehavior::merged_with_next:
      // Mirror image of merged_with_previous: walk from the end.
      for (auto it = parts.rbegin(); it != parts.rend(); ++it) {
        if (it->second && !previous_match && !out.empty()) out.back().first = it->first.first;
        else out.push_back(it->first);
        previous_match = it->second;
      }
      std::reverse(out.begin(), out.end());
      break;
    case SplitBehavior::contiguous:
      for (auto& [range, is_match] : parts) {
        if (is_match == previous_match && !out.empty()) out.back().second = range.second;
        else out.push_back(range);
        previous_match = is_match;
      }
      break;
  }
  std::vector<std::pair<size_t, size_t>> non_empty;
  for (auto& range : out)
    if (range.second > range.first) non_empty.push_back(range);
  return non_empty;
}

const std::string& byte_to_unicode(unsigned char byte) { return byte_table().to_unicode[byte]; }

int unicode_to_byte(char32_t cp) { return cp < 512 ? byte_table().from_unicode[cp] : -1; }

static SplitBehavior parse_behavior(const json& obj, const JsonPlace& at) {
  const std::string name = at.required_string(obj, "behavior");
  if (name == "Removed") return SplitBehavior::removed;
  if (name == "Isolated") return SplitBehavior::isolated;
  if (name == "MergedWithPrevious") return SplitBehavior::merged_with_previous;
  if (name == "MergedWithNext") return SplitBehavior::merged_with_next;
  if (name == "Contiguous") return SplitBehavior::contiguous;
  at.at("behavior").fail("unsupported split behavior \"" + name +
                         "\" (expected Removed, Isolated, MergedWithPrevious, MergedWithNext or Contiguous)");
}

std::unique_ptr<PreTokenizer> parse_pre_tokenizer(const json& value, const JsonPlace& at) {
  if (value.is_null()) return nullptr;
  const std::string type = at.type(value);
  if (type == "Split")
    return std::make_unique<SplitPreTokenizer>(parse_pattern(at.required(value, "pattern"), at.at("pattern")),
                                               parse_behavior(value, at), at.boolean(value, "invert", false));
  if (type == "ByteLevel")
    return std::make_unique<ByteLevelPreTokenizer>(at.boolean(value, "add_prefix_space", true),
                                                   at.boolean(value, "use_regex", true));
  if (type == "Metaspace") {
    const std::string replacement = at.character(value, "replacement", "\xE2\x96\x81");
    PrependScheme scheme = PrependScheme::always;
    if (value.contains("prepend_scheme") && !value["prepend_scheme"].is_null()) {
      const std::string name = at.string(value, "prepend_scheme", "always");
      if (name == "first") scheme = PrependScheme::first;
      else if (name == "always") scheme = PrependScheme::always;
      else if (name == "never") scheme = PrependScheme::never;
      else at.at("prepend_scheme").fail("expected \"first\", \"always\" or \"never\", got \"" + name + "\"");
    } else if (value.contains("add_prefix_space")) {
      // Files written before prepend_scheme existed.
      scheme = at.boolean(value, "add_prefix_space", true) ? PrependScheme::always : PrependScheme::never;
    }
    return std::make_unique<MetaspacePreTokenizer>(replacement, scheme, at.boolean(value, "split", true));
  }
  if (type == "Sequence") {
    const json& list = at.required(value, "pretokenizers");
    if (!list.is_array()) at.at("pretokenizers").fail("expected an array");
    std::vector<std::unique_ptr<PreTokenizer>> steps;
    for (size_t i = 0; i < list.size(); ++i) {
      auto step = parse_pre_tokenizer(list[i], at.at("pretokenizers").at(i));
      if (step) steps.push_back(std::move(step));
    }
    return std::make_unique<SequencePreTokenizer>(std::move(steps));
  }
  at.unsupported_type(value, "pre-tokenizer");
}

}  // namespace tpt::text
