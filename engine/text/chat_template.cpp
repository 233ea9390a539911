#include "text/chat_template.h"

#include "core/error.h"
#include "text/utf8.h"

namespace tpt::text {

namespace {

[[noreturn]] void reject(ChatFamily family, const std::string& message) {
  throw Error(chat_family_name(family) + " chat template: " + message);
}

void check_role(ChatFamily family, const ChatMessage& m, size_t index, std::initializer_list<const char*> allowed) {
  for (const char* role : allowed)
    if (m.role == role) return;
  std::string list;
  for (const char* role : allowed) list += std::string(list.empty() ? "" : ", ") + "\"" + role + "\"";
  reject(family, "message " + std::to_string(index) + " has role \"" + m.role + "\"; expected one of " + list);
}

std::string llama_turn(const std::string& role, const std::string& content) {
  return "<|start_header_id|>" + role + "<|end_header_id|>\n\n" + content + "<|eot_id|>";
}

std::string format_llama3(const std::vector<ChatMessage>& messages, bool add_generation_prompt) {
  std::string out;
  for (size_t i = 0; i < messages.size(); ++i) {
    check_role(ChatFamily::llama3, messages[i], i, {"system", "user", "assistant"});
    if (i == 0) out += "<|begin_of_text|>";
    out += llama_turn(messages[i].role, python_strip(messages[i].content));
  }
  if (add_generation_prompt) out += "<|start_header_id|>assistant<|end_header_id|>\n\n";
  return out;
}

std::string format_llama3_1(const std::vector<ChatMessage>& messages, bool add_generation_prompt,
                            const ChatOptions& options) {
  std::string out = "<|begin_of_text|>";
  size_t first = 0;
  std::string system;
  if (!messages.empty() && messages[0].role == "system") {
    system = python_strip(messages[0].content);
    first = 1;
  }
  out += "<|start_header_id|>system<|end_header_id|>\n\n";
  out += "Cutting Knowledge Date: December 2023\n";
  out += "Today Date: " + options.date_string + "\n\n";
  out += system + "<|eot_id|>";
  for (size_t i = first; i < messages.size(); ++i) {
    const ChatMessage& m = messages[i];
    check_role(ChatFamily::llama3_1, m, i, {"system", "user", "assistant", "tool", "ipython"});
    // Tool results keep their content as is and always use the "ipython" header.
    if (m.role == "tool" || m.role == "ipython") out += llama_turn("ipython", m.content);
    else out += llama_turn(m.role, python_strip(m.content));
  }
  if (add_generation_prompt) out += "<|start_header_id|>assistant<|end_header_id|>\n\n";
  return out;
}

std::string format_qwen2(const std::vector<ChatMessage>& messages, bool add_generation_prompt) {
  std::string out;
  if (!messages.empty() && messages[0].role == "system")
    out += "<|im_start|>system\n" + messages[0].content + "<|im_end|>\n";
  else
    out += "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n";
  for (size_t i = 0; i < messages.size(); ++i) {
    const ChatMessage& m = messages[i];
    check_role(ChatFamily::qwen2, m, i, {"system", "user", "assistant"});
    if (i == 0 && m.role == "system") continue;  // already written as the system turn
    out += "<|im_start|>" + m.role + "\n" + m.content + "<|im_end|>\n";
  }
  if (add_generation_prompt) out += "<|im_start|>assistant\n";
  return out;
}

std::string format_gemma2(const std::vector<ChatMessage>& messages, bool add_generation_prompt) {
  if (!messages.empty() && messages[0].role == "system")
    reject(ChatFamily::gemma2, "System role not supported (Gemma 2 has no system turn; put the instructions at the "
                               "start of the first user message)");
  std::string out = "<bos>";
  for (size_t i = 0; i < messages.size(); ++i) {
    const ChatMessage& m = messages[i];
    const bool user_turn = i % 2 == 0;
    if (user_turn ? m.role != "user" : m.role != "assistant")
      reject(ChatFamily::gemma2, "Conversation roles must alternate user/assistant/user/assistant/... (message " +
                                     std::to_string(i) + " has role \"" + m.role + "\")");
    out += "<start_of_turn>" + std::string(user_turn ? "user" : "model") + "\n" + python_strip(m.content) +
           "<end_of_turn>\n";
  }
  if (add_generation_prompt) out += "<start_of_turn>model\n";
  return out;
}

}  // namespace

std::string format_chat(ChatFamily family, const std::vector<ChatMessage>& messages, bool add_generation_prompt,
                        const ChatOptions& options) {
  switch (family) {
    case ChatFamily::llama3: return format_llama3(messages, add_generation_prompt);
    case ChatFamily::llama3_1: return format_llama3_1(messages, add_generation_prompt, options);
    case ChatFamily::qwen2: return format_qwen2(messages, add_generation_prompt);
    case ChatFamily::gemma2: return format_gemma2(messages, add_generation_prompt);
  }
  throw Error("unknown chat family");
}

std::string chat_family_name(ChatFamily family) {
  switch (family) {
    case ChatFamily::llama3: return "llama3";
    case ChatFamily::llama3_1: return "llama3.1";
    case ChatFamily::qwen2: return "qwen2.5";
    case ChatFamily::gemma2: return "gemma2";
  }
  return "unknown";
}

std::optional<ChatFamily> parse_chat_family(const std::string& name) {
  if (name == "llama3") return ChatFamily::llama3;
  if (name == "llama3.1" || name == "llama3_1") return ChatFamily::llama3_1;
  if (name == "qwen2.5" || name == "qwen2" || name == "qwen") return ChatFamily::qwen2;
  if (name == "gemma2") return ChatFamily::gemma2;
  return std::nullopt;
}

std::optional<ChatFamily> detect_chat_family(const std::string& chat_template) {
  auto has = [&](const char* marker) { return chat_template.find(marker) != std::string::npos; };
  if (has("<|start_header_id|>")) return has("Cutting Knowledge Date") ? ChatFamily::llama3_1 : ChatFamily::llama3;
  if (has("<|im_start|>")) return ChatFamily::qwen2;
  if (has("<start_of_turn>")) return ChatFamily::gemma2;
  return std::nullopt;
}

std::string end_of_turn_token(ChatFamily family) {
  switch (family) {
    case ChatFamily::llama3:
    case ChatFamily::llama3_1: return "<|eot_id|>";
    case ChatFamily::qwen2: return "<|im_end|>";
    case ChatFamily::gemma2: return "<end_of_turn>";
  }
  return "";
}

}  // namespace tpt::text
