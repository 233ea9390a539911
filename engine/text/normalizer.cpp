#include "text/normalizer.h"

#include <vector>

#include <unicode/normalizer2.h>
#include <unicode/unistr.h>

#include "text/regex.h"

namespace tpt::text {

namespace {

enum class Form { nfc, nfd, nfkc, nfkd };

const icu::Normalizer2& icu_normalizer(Form form) {
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* n = nullptr;
  switch (form) {
    case Form::nfc: n = icu::Normalizer2::getNFCInstance(status); break;
    case Form::nfd: n = icu::Normalizer2::getNFDInstance(status); break;
    case Form::nfkc: n = icu::Normalizer2::getNFKCInstance(status); break;
    case Form::nfkd: n = icu::Normalizer2::getNFKDInstance(status); break;
  }
  if (U_FAILURE(status) || !n) throw std::runtime_error(std::string("ICU normalizer unavailable: ") + u_errorName(status));
  return *n;
}

std::string unicode_normalize(std::string_view text, Form form) {
  // ASCII is invariant under every form; most text is ASCII, so skip ICU's UTF-16 round trip.
  bool ascii = true;
  for (char c : text) {
    if (static_cast<unsigned char>(c) >= 0x80) {
      ascii = false;
      break;
    }
  }
  if (ascii) return std::string(text);
  const icu::Normalizer2& n = icu_normalizer(form);
  UErrorCode status = U_ZERO_ERROR;
  const icu::UnicodeString source = icu::UnicodeString::fromUTF8(icu::StringPiece(text.data(), static_cast<int32_t>(text.size())));
  const icu::UnicodeString result = n.normalize(source, status);
  if (U_FAILURE(status)) throw std::runtime_error(std::string("Unicode normalization failed: ") + u_errorName(status));
  std::string out;
  result.toUTF8String(out);
  return out;
}

class UnicodeNormalizer : public Normalizer {
 public:
  explicit UnicodeNormalizer(Form form) : form_(form) {}
  std::string normalize(std::string_view text) const override { return unicode_normalize(text, form_); }

 private:
  Form form_;
};

// Every match of a pattern replaced by fixed content (HF's Replace: no group references).
class ReplaceNormalizer : public Normalizer {
 public:
  ReplaceNormalizer(Regex pattern, std::string content) : pattern_(std::move(pattern)), content_(std::move(content)) {}
  std::string normalize(std::string_view text) const override {
    std::string out;
    size_t last = 0;
    for (auto [begin, end] : pattern_.find_all(text)) {
      out.append(text.substr(last, begin - last));
      out += content_;
      last = end;
    }
    out.append(text.substr(last));
    return out;
  }

 private:
  Regex pattern_;
  std::string content_;
};

class PrependNormalizer : public Normalizer {
 public:
  explicit PrependNormalizer(std::string prefix) : prefix_(std::move(prefix)) {}
  std::string normalize(std::string_view text) const override {
    // HF leaves empty text empty: nothing to attach the prefix to.
    return text.empty() ? std::string() : prefix_ + std::string(text);
  }

 private:
  std::string prefix_;
};

class SequenceNormalizer : public Normalizer {
 public:
  explicit SequenceNormalizer(std::vector<std::unique_ptr<Normalizer>> steps) : steps_(std::move(steps)) {}
  std::string normalize(std::string_view text) const override {
    std::string current(text);
    for (const auto& step : steps_) current = step->normalize(current);
    return current;
  }

 private:
  std::vector<std::unique_ptr<Normalizer>> steps_;
};

}  // namespace

std::string nfc(std::string_view text) { return unicode_normalize(text, Form::nfc); }

Regex parse_pattern(const json& value, const JsonPlace& at) {
  at.object(value);
  if (value.contains("String")) return Regex::literal(at.required_string(value, "String"));
  if (value.contains("Regex")) {
    const std::string pattern = at.required_string(value, "Regex");
    try {
      return Regex(pattern);
    } catch (const std::invalid_argument& e) {
      at.at("Regex").fail(e.what());
    }
  }
  at.fail("expected {\"String\": ...} or {\"Regex\": ...}");
}

std::unique_ptr<Normalizer> parse_normalizer(const json& value, const JsonPlace& at) {
  if (value.is_null()) return nullptr;
  const std::string type = at.type(value);
  if (type == "NFC") return std::make_unique<UnicodeNormalizer>(Form::nfc);
  if (type == "NFD") return std::make_unique<UnicodeNormalizer>(Form::nfd);
  if (type == "NFKC") return std::make_unique<UnicodeNormalizer>(Form::nfkc);
  if (type == "NFKD") return std::make_unique<UnicodeNormalizer>(Form::nfkd);
  if (type == "Replace")
    return std::make_unique<ReplaceNormalizer>(parse_pattern(at.required(value, "pattern"), at.at("pattern")),
                                               at.required_string(value, "content"));
  if (type == "Prepend") return std::make_unique<PrependNormalizer>(at.required_string(value, "prepend"));
  if (type == "Sequence") {
    const json& list = at.required(value, "normalizers");
    if (!list.is_array()) at.at("normalizers").fail("expected an array");
    std::vector<std::unique_ptr<Normalizer>> steps;
    for (size_t i = 0; i < list.size(); ++i) {
      auto step = parse_normalizer(list[i], at.at("normalizers").at(i));
      if (step) steps.push_back(std::move(step));
    }
    return std::make_unique<SequenceNormalizer>(std::move(steps));
  }
  at.unsupported_type(value, "normalizer");
}

}  // namespace tpt::text
