#include "text/model_tokenizer.h"

#include <algorithm>
#include <filesystem>

#include "core/error.h"
#include "io/json_fields.h"
#include "text/json_place.h"

namespace tpt::text {

namespace fs = std::filesystem;

namespace {

// tokenizer_config.json writes special tokens as "<s>", as {"content": "<s>", ...}, or null.
std::optional<std::string> token_string(const json& config, const char* key, const JsonPlace& at) {
  auto it = config.find(key);
  if (it == config.end() || it->is_null()) return std::nullopt;
  if (it->is_string()) return it->get<std::string>();
  if (it->is_object()) return at.at(key).required_string(*it, "content");
  at.at(key).fail("expected a token string or {\"content\": ...}, got " + io::describe_json(*it));
}

std::optional<int32_t> resolve(const Tokenizer& tok, const std::optional<std::string>& token, const JsonPlace& at) {
  if (!token) return std::nullopt;
  auto id = tok.token_to_id(*token);
  if (!id) at.fail("\"" + *token + "\" is not a token of " + tok.source());
  return id;
}

std::vector<int32_t> id_list(const json& value, const JsonPlace& at, size_t vocab_size) {
  std::vector<int32_t> ids;
  auto add = [&](const json& v, const JsonPlace& where) {
    if (!v.is_number_integer() || v.get<int64_t>() < 0) where.fail("expected a token id, got " + io::describe_json(v));
    if (static_cast<size_t>(v.get<int64_t>()) >= vocab_size)
      where.fail("token id " + std::to_string(v.get<int64_t>()) + " is outside the tokenizer's vocabulary (" +
                 std::to_string(vocab_size) + " ids)");
    ids.push_back(static_cast<int32_t>(v.get<int64_t>()));
  };
  if (value.is_null()) return ids;
  if (value.is_array()) {
    for (size_t i = 0; i < value.size(); ++i) add(value[i], at.at(i));
  } else {
    add(value, at);
  }
  return ids;
}

}  // namespace

bool ModelTokenizer::is_stop(int32_t id) const { return std::binary_search(stop_ids.begin(), stop_ids.end(), id); }

std::vector<int32_t> ModelTokenizer::encode_chat(const std::vector<ChatMessage>& messages, bool add_generation_prompt,
                                                 const ChatOptions& options) const {
  if (!chat_family) throw Error(folder + ": no chat template recognised (tokenizer_config.json chat_template)");
  return tokenizer->encode(format_chat(*chat_family, messages, add_generation_prompt, options), false);
}

std::vector<int32_t> ModelTokenizer::encode_prompt(const std::string& text) const {
  std::vector<int32_t> ids = tokenizer->encode(text, false);
  if (add_bos_token && bos_id && (ids.empty() || ids.front() != *bos_id)) ids.insert(ids.begin(), *bos_id);
  return ids;
}

void check_tokenizer_fits_model(const Tokenizer& tokenizer, int64_t vocab_size, const std::string& vocab_source) {
  const auto beyond = [&](int64_t id, const std::string& what) {
    return FileError({tokenizer.source(), 0},
                     what + " has id " + std::to_string(id) + ", but the model has only " + std::to_string(vocab_size) +
                         " token embeddings (vocab_size in " + vocab_source +
                         "): this tokenizer does not belong to this model");
  };
  // The table runs up to the largest id: its last used entry is the largest id it knows.
  for (int64_t id = static_cast<int64_t>(tokenizer.vocab_size()) - 1; id >= vocab_size; --id) {
    if (const auto token = tokenizer.id_to_token(static_cast<int32_t>(id)))
      throw beyond(id, "token \"" + *token + "\"");
  }
  // The post-processor's special tokens (BOS) carry their own ids.
  for (int32_t id : tokenizer.encode("", /*add_special_tokens=*/true)) {
    if (id < 0 || id >= vocab_size) throw beyond(id, "the post-processor's special token");
  }
}

ModelTokenizer load_model_tokenizer(const std::string& folder) {
  ModelTokenizer out;
  out.folder = folder;
  const fs::path dir(folder);
  const std::string tokenizer_path = (dir / "tokenizer.json").string();
  if (!fs::exists(tokenizer_path)) throw FileError({folder, 0}, "no tokenizer.json in this folder");
  auto tok = std::make_shared<Tokenizer>(Tokenizer::from_file(tokenizer_path));
  out.tokenizer = tok;

  // What the post-processor does to an empty text tells whether it adds BOS.
  const std::vector<int32_t> with_specials = tok->encode("", true);

  const std::string config_path = (dir / "tokenizer_config.json").string();
  std::optional<bool> add_bos;
  if (fs::exists(config_path)) {
    const json config = io::read_json_file(config_path);
    const JsonPlace at(config_path);
    at.object(config);
    out.bos_id = resolve(*tok, token_string(config, "bos_token", at), at.at("bos_token"));
    out.eos_id = resolve(*tok, token_string(config, "eos_token", at), at.at("eos_token"));
    out.pad_id = resolve(*tok, token_string(config, "pad_token", at), at.at("pad_token"));
    if (config.contains("add_bos_token") && !config["add_bos_token"].is_null())
      add_bos = at.boolean(config, "add_bos_token", false);
    if (config.contains("chat_template")) {
      const json& tmpl = config["chat_template"];
      if (tmpl.is_string()) {
        out.chat_family = detect_chat_family(tmpl.get<std::string>());
      } else if (tmpl.is_array()) {
        // [{"name": "default", "template": "..."}, {"name": "tool_use", ...}]
        for (size_t i = 0; i < tmpl.size(); ++i) {
          const JsonPlace item_at = at.at("chat_template").at(i);
          if (item_at.string(tmpl[i], "name", "") == "default")
            out.chat_family = detect_chat_family(item_at.required_string(tmpl[i], "template"));
        }
      } else if (!tmpl.is_null()) {
        at.at("chat_template").fail("expected a string or a list of {\"name\", \"template\"}, got " + io::describe_json(tmpl));
      }
    }
  }

  const std::string generation_path = (dir / "generation_config.json").string();
  std::vector<int32_t> stops;
  if (fs::exists(generation_path)) {
    const json config = io::read_json_file(generation_path);
    const JsonPlace at(generation_path);
    at.object(config);
    if (config.contains("eos_token_id"))
      stops = id_list(config["eos_token_id"], at.at("eos_token_id"), tok->vocab_size());
    if (!out.bos_id && config.contains("bos_token_id")) {
      auto ids = id_list(config["bos_token_id"], at.at("bos_token_id"), tok->vocab_size());
      if (!ids.empty()) out.bos_id = ids.front();
    }
    if (!out.eos_id && !stops.empty()) out.eos_id = stops.front();
    if (!out.pad_id && config.contains("pad_token_id")) {
      auto ids = id_list(config["pad_token_id"], at.at("pad_token_id"), tok->vocab_size());
      if (!ids.empty()) out.pad_id = ids.front();
    }
  }
  if (out.eos_id) stops.push_back(*out.eos_id);
  if (out.chat_family)
    if (auto id = tok->token_to_id(end_of_turn_token(*out.chat_family))) stops.push_back(*id);
  std::sort(stops.begin(), stops.end());
  stops.erase(std::unique(stops.begin(), stops.end()), stops.end());
  out.stop_ids = std::move(stops);

  out.add_bos_token = add_bos.value_or(out.bos_id && !with_specials.empty() && with_specials.front() == *out.bos_id);
  return out;
}

}  // namespace tpt::text
