// The chat templates of the supported model families, written out in C++ instead of run
// through a Jinja engine. Each function reproduces, character for character, what HF's
// apply_chat_template renders from the family's tokenizer_config.json for plain text
// messages (no tools):
//
//   llama3    Meta-Llama-3-*-Instruct: BOS, then per message
//             <|start_header_id|>ROLE<|end_header_id|>\n\nCONTENT.strip()<|eot_id|>
//   llama3_1  Llama 3.1 / 3.2 / 3.3 Instruct: the same turns after a system turn that always
//             exists and starts "Cutting Knowledge Date: December 2023\nToday Date: DATE\n\n"
//   qwen2     Qwen 2.5 Instruct (ChatML): <|im_start|>ROLE\nCONTENT<|im_end|>\n, with
//             "You are Qwen, created by Alibaba Cloud. You are a helpful assistant." as the
//             system turn when the messages bring none; content is not stripped
//   gemma2    Gemma 2 it: <bos><start_of_turn>user\nCONTENT.strip()<end_of_turn>\n, assistant
//             turns as "model"; no system role (HF raises "System role not supported"), and
//             user/assistant must alternate starting with user
//
// The result already holds BOS where the family wants it: encode it with
// add_special_tokens = false.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace tpt::text {

enum class ChatFamily { llama3, llama3_1, qwen2, gemma2 };

struct ChatMessage {
  std::string role;  // "system", "user", "assistant"
  std::string content;
};

struct ChatOptions {
  // llama3_1's "Today Date" line. HF fills it from the clock when transformers provides
  // strftime_now; a fixed date keeps prompts (and so results) reproducible. This is the
  // template's own fallback.
  std::string date_string = "26 Jul 2024";
};

// Throws tpt::Error for a conversation the family's template rejects (a system turn for
// Gemma 2, turns out of order, an unknown role).
std::string format_chat(ChatFamily family, const std::vector<ChatMessage>& messages, bool add_generation_prompt,
                        const ChatOptions& options = {});

// "llama3", "llama3.1", "qwen2.5", "gemma2".
std::string chat_family_name(ChatFamily family);
// Accepts the names above (and "llama3_1", "qwen2", "qwen"); nullopt otherwise.
std::optional<ChatFamily> parse_chat_family(const std::string& name);
// Recognises a family from a tokenizer_config.json chat_template by its marker tokens.
std::optional<ChatFamily> detect_chat_family(const std::string& chat_template);

// The token that ends a turn (generation stops there): "<|eot_id|>", "<|im_end|>",
// "<end_of_turn>".
std::string end_of_turn_token(ChatFamily family);

}  // namespace tpt::text
