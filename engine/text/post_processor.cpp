#include "text/post_processor.h"

#include <cstdint>
#include <map>
#include <string>

#include "io/json_fields.h"

namespace tpt::text {

namespace {

class NoOpProcessor : public PostProcessor {
 public:
  std::vector<std::vector<int32_t>> process(std::vector<std::vector<int32_t>> sequences) const override {
    return sequences;
  }
};

// One item of a template: special token ids to emit, or a reference to sequence A (0) or B (1).
struct TemplateItem {
  int sequence = -1;  // -1: special tokens
  std::vector<int32_t> ids;
};

class TemplateProcessor : public PostProcessor {
 public:
  TemplateProcessor(std::vector<TemplateItem> single, std::vector<TemplateItem> pair)
      : single_(std::move(single)), pair_(std::move(pair)) {}
  std::vector<std::vector<int32_t>> process(std::vector<std::vector<int32_t>> sequences) const override {
    if (sequences.size() >= 2 && pair_.empty()) {
      // No pair template: each sequence gets the single one.
      std::vector<std::vector<int32_t>> out;
      for (auto& seq : sequences) out.push_back(process({std::move(seq)}).front());
      return out;
    }
    const auto& items = sequences.size() >= 2 ? pair_ : single_;
    std::vector<int32_t> out;
    for (const auto& item : items) {
      if (item.sequence < 0) {
        out.insert(out.end(), item.ids.begin(), item.ids.end());
      } else if (static_cast<size_t>(item.sequence) < sequences.size()) {
        const auto& seq = sequences[item.sequence];
        out.insert(out.end(), seq.begin(), seq.end());
      }
    }
    return {out};
  }
  std::vector<int32_t> added_ids() const override {
    std::vector<int32_t> ids;
    for (const auto* items : {&single_, &pair_})
      for (const auto& item : *items) ids.insert(ids.end(), item.ids.begin(), item.ids.end());
    return ids;
  }

 private:
  std::vector<TemplateItem> single_, pair_;
};

class SequenceProcessor : public PostProcessor {
 public:
  explicit SequenceProcessor(std::vector<std::unique_ptr<PostProcessor>> steps) : steps_(std::move(steps)) {}
  std::vector<std::vector<int32_t>> process(std::vector<std::vector<int32_t>> sequences) const override {
    for (const auto& step : steps_) sequences = step->process(std::move(sequences));
    return sequences;
  }
  std::vector<int32_t> added_ids() const override {
    std::vector<int32_t> ids;
    for (const auto& step : steps_) {
      const auto more = step->added_ids();
      ids.insert(ids.end(), more.begin(), more.end());
    }
    return ids;
  }

 private:
  std::vector<std::unique_ptr<PostProcessor>> steps_;
};

std::vector<TemplateItem> parse_template(const json& list, const JsonPlace& at,
                                         const std::map<std::string, std::vector<int32_t>>& specials) {
  if (!list.is_array()) at.fail("expected an array of {\"SpecialToken\": ...} and {\"Sequence\": ...} items, got " + io::describe_json(list));
  std::vector<TemplateItem> items;
  for (size_t i = 0; i < list.size(); ++i) {
    const JsonPlace item_at = at.at(i);
    const json& item = item_at.object(list[i]);
    TemplateItem out;
    if (item.contains("SpecialToken")) {
      const JsonPlace special_at = item_at.at("SpecialToken");
      const std::string name = special_at.required_string(item["SpecialToken"], "id");
      auto it = specials.find(name);
      if (it == specials.end()) special_at.at("id").fail("\"" + name + "\" is not listed in post_processor.special_tokens");
      out.ids = it->second;
    } else if (item.contains("Sequence")) {
      const JsonPlace seq_at = item_at.at("Sequence");
      const std::string name = seq_at.required_string(item["Sequence"], "id");
      if (name == "A") out.sequence = 0;
      else if (name == "B") out.sequence = 1;
      else seq_at.at("id").fail("expected \"A\" or \"B\", got \"" + name + "\"");
    } else {
      item_at.fail("expected {\"SpecialToken\": ...} or {\"Sequence\": ...}, got " + io::describe_json(item));
    }
    items.push_back(std::move(out));
  }
  return items;
}

}  // namespace

std::unique_ptr<PostProcessor> parse_post_processor(const json& value, const JsonPlace& at) {
  if (value.is_null()) return nullptr;
  const std::string type = at.type(value);
  if (type == "ByteLevel") return std::make_unique<NoOpProcessor>();
  if (type == "TemplateProcessing") {
    std::map<std::string, std::vector<int32_t>> specials;
    if (value.contains("special_tokens")) {
      const JsonPlace specials_at = at.at("special_tokens");
      const json& table = specials_at.object(value["special_tokens"]);
      for (auto it = table.begin(); it != table.end(); ++it) {
        const JsonPlace entry_at = specials_at.at(it.key());
        const json& ids = entry_at.required(*it, "ids");
        std::vector<int32_t> list;
        if (!ids.is_array()) entry_at.at("ids").fail("expected an array of token ids");
        for (size_t i = 0; i < ids.size(); ++i) {
          if (!ids[i].is_number_integer() || ids[i].get<int64_t>() < 0 || ids[i].get<int64_t>() > INT32_MAX)
            entry_at.at("ids").at(i).fail("expected a token id, got " + io::describe_json(ids[i]));
          list.push_back(static_cast<int32_t>(ids[i].get<int64_t>()));
        }
        specials[it.key()] = std::move(list);
      }
    }
    auto single = parse_template(at.required(value, "single"), at.at("single"), specials);
    std::vector<TemplateItem> pair;
    if (value.contains("pair") && !value["pair"].is_null()) pair = parse_template(value["pair"], at.at("pair"), specials);
    return std::make_unique<TemplateProcessor>(std::move(single), std::move(pair));
  }
  if (type == "Sequence") {
    const json& list = at.required(value, "processors");
    if (!list.is_array()) at.at("processors").fail("expected an array");
    std::vector<std::unique_ptr<PostProcessor>> steps;
    for (size_t i = 0; i < list.size(); ++i) {
      auto step = parse_post_processor(list[i], at.at("processors").at(i));
      if (step) steps.push_back(std::move(step));
    }
    return std::make_unique<SequenceProcessor>(std::move(steps));
  }
  at.unsupported_type(value, "post-processor");
}

}  // namespace tpt::text
