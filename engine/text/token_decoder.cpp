#include "text/token_decoder.h"

#include "text/pre_tokenizer.h"
#include "text/regex.h"
#include "text/utf8.h"

namespace tpt::text {

namespace {

// Maps GPT-2's printable stand-ins back to bytes. A token holding any character outside the
// table (an added token such as "<|eot_id|>" is inside it; "你好" as an added token is not)
// is kept as its own UTF-8, as HF does. Bytes are turned into text once, at the end, so a
// character split across tokens comes back whole.
class ByteLevelDecoder : public Decoder {
 public:
  std::vector<std::string> decode_chain(std::vector<std::string> tokens) const override {
    std::string bytes;
    for (const auto& token : tokens) {
      std::string mapped;
      bool all = true;
      size_t pos = 0;
      while (pos < token.size()) {
        const int b = unicode_to_byte(next_code_point(token, pos));
        if (b < 0) {
          all = false;
          break;
        }
        mapped += static_cast<char>(b);
      }
      bytes += all ? mapped : token;
    }
    return {utf8_lossy(bytes)};
  }
};

class ReplaceDecoder : public Decoder {
 public:
  ReplaceDecoder(Regex pattern, std::string content) : pattern_(std::move(pattern)), content_(std::move(content)) {}
  std::vector<std::string> decode_chain(std::vector<std::string> tokens) const override {
    for (auto& token : tokens) {
      std::string out;
      size_t last = 0;
      for (auto [begin, end] : pattern_.find_all(token)) {
        out.append(token, last, begin - last);
        out += content_;
        last = end;
      }
      out.append(token, last, std::string::npos);
      token = std::move(out);
    }
    return tokens;
  }

 private:
  Regex pattern_;
  std::string content_;
};

// Runs of <0xNN> tokens become the text they spell; a run that is not valid UTF-8 becomes one
// U+FFFD per byte (HF's rule, which streaming decoders rely on to spot unfinished text).
class ByteFallbackDecoder : public Decoder {
 public:
  std::vector<std::string> decode_chain(std::vector<std::string> tokens) const override {
    std::vector<std::string> out;
    std::string run;
    size_t run_length = 0;
    auto flush = [&] {
      if (run_length == 0) return;
      if (find_invalid_utf8(run) == std::string::npos) {
        out.push_back(run);
      } else {
        for (size_t i = 0; i < run_length; ++i) out.push_back("\xEF\xBF\xBD");
      }
      run.clear();
      run_length = 0;
    };
    for (auto& token : tokens) {
      int byte = -1;
      if (token.size() == 6 && token.compare(0, 3, "<0x") == 0 && token[5] == '>') byte = parse_hex(token[3], token[4]);
      if (byte >= 0) {
        run += static_cast<char>(byte);
        ++run_length;
      } else {
        flush();
        out.push_back(std::move(token));
      }
    }
    flush();
    return out;
  }

 private:
  static int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  }
  static int parse_hex(char hi, char lo) {
    const int h = hex_digit(hi), l = hex_digit(lo);
    return h < 0 || l < 0 ? -1 : h * 16 + l;
  }
};

class FuseDecoder : public Decoder {
 public:
  std::vector<std::string> decode_chain(std::vector<std::string> tokens) const override {
    std::string all;
    for (const auto& token : tokens) all += token;
    return {all};
  }
};

// Removes up to `start` leading and `stop` trailing copies of one character from every token
// (SentencePiece decoders strip the space a Prepend normalizer added).
class StripDecoder : public Decoder {
 public:
  StripDecoder(std::string content, size_t start, size_t stop) : content_(std::move(content)), start_(start), stop_(stop) {}
  std::vector<std::string> decode_chain(std::vector<std::string> tokens) const override {
    for (auto& token : tokens) {
      size_t begin = 0, end = token.size();
      for (size_t i = 0; i < start_ && token.compare(begin, content_.size(), content_) == 0 && begin < end; ++i)
        begin += content_.size();
      for (size_t i = 0; i < stop_ && end >= begin + content_.size() &&
                         token.compare(end - content_.size(), content_.size(), content_) == 0;
           ++i)
        end -= content_.size();
      token = token.substr(begin, end - begin);
    }
    return tokens;
  }

 private:
  std::string content_;
  size_t start_, stop_;
};

class MetaspaceDecoder : public Decoder {
 public:
  MetaspaceDecoder(std::string replacement, bool strip_first) : replacement_(std::move(replacement)), strip_first_(strip_first) {}
  std::vector<std::string> decode_chain(std::vector<std::string> tokens) const override {
    for (size_t i = 0; i < tokens.size(); ++i) {
      std::string out;
      const std::string& token = tokens[i];
      size_t pos = 0;
      while (pos < token.size()) {
        if (token.compare(pos, replacement_.size(), replacement_) == 0) {
          out += ' ';
          pos += replacement_.size();
        } else {
          out += token[pos++];
        }
      }
      if (i == 0 && strip_first_ && !out.empty() && out[0] == ' ') out.erase(0, 1);
      tokens[i] = std::move(out);
    }
    return tokens;
  }

 private:
  std::string replacement_;
  bool strip_first_;
};

class SequenceDecoder : public Decoder {
 public:
  explicit SequenceDecoder(std::vector<std::unique_ptr<Decoder>> steps) : steps_(std::move(steps)) {}
  std::vector<std::string> decode_chain(std::vector<std::string> tokens) const override {
    for (const auto& step : steps_) tokens = step->decode_chain(std::move(tokens));
    return tokens;
  }

 private:
  std::vector<std::unique_ptr<Decoder>> steps_;
};

}  // namespace

std::unique_ptr<Decoder> parse_decoder(const json& value, const JsonPlace& at) {
  if (value.is_null()) return nullptr;
  const std::string type = at.type(value);
  if (type == "ByteLevel") return std::make_unique<ByteLevelDecoder>();
  if (type == "Replace")
    return std::make_unique<ReplaceDecoder>(parse_pattern(at.required(value, "pattern"), at.at("pattern")),
                                            at.required_string(value, "content"));
  if (type == "ByteFallback") return std::make_unique<ByteFallbackDecoder>();
  if (type == "Fuse") return std::make_unique<FuseDecoder>();
  if (type == "Strip") {
    const int64_t start = at.integer(value, "start", 0), stop = at.integer(value, "stop", 0);
    if (start < 0) at.at("start").fail("must be >= 0");
    if (stop < 0) at.at("stop").fail("must be >= 0");
    // One character, as Hugging Face reads it: an empty content strips nothing, and the loops
    // would spin `start`/`stop` times doing it (a fuzzed stop of 2e19 hung decoding).
    (void)at.required(value, "content");
    return std::make_unique<StripDecoder>(at.character(value, "content", ""), static_cast<size_t>(start),
                                          static_cast<size_t>(stop));
  }
  if (type == "Metaspace") {
    const std::string scheme = at.string(value, "prepend_scheme", at.boolean(value, "add_prefix_space", true) ? "always" : "never");
    // One character: an empty replacement would match at every position without advancing.
    return std::make_unique<MetaspaceDecoder>(at.character(value, "replacement", "\xE2\x96\x81"), scheme != "never");
  }
  if (type == "Sequence") {
    const json& list = at.required(value, "decoders");
    if (!list.is_array()) at.at("decoders").fail("expected an array");
    std::vector<std::unique_ptr<Decoder>> steps;
    for (size_t i = 0; i < list.size(); ++i) {
      auto step = parse_decoder(list[i], at.at("decoders").at(i));
      if (step) steps.push_back(std::move(step));
    }
    return std::make_unique<SequenceDecoder>(std::move(steps));
  }
  at.unsupported_type(value, "decoder");
}

}  // namespace tpt::text
