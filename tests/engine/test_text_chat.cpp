// Chat templates, compared with strings worked out by hand from each family's
// tokenizer_config.json chat_template (Meta-Llama-3-8B-Instruct, Llama-3.1/3.2-Instruct,
// Qwen2.5-Instruct, gemma-2-it).
#include <string>
#include <vector>

#include "check.h"
#include "text/chat_template.h"

using namespace tpt::text;

namespace {
const std::vector<ChatMessage> kUser = {{"user", "  What is 2+2?\n"}};
const std::vector<ChatMessage> kSystemUser = {{"system", "You are an expert mathematician. "}, {"user", "What is 2+2?"}};
const std::vector<ChatMessage> kDialogue = {{"user", "Hi"}, {"assistant", "Hello!"}, {"user", "Bye"}};
}  // namespace

TPT_TEST(text_chat, llama3_wraps_each_stripped_turn_in_headers) {
  COMPARE(format_chat(ChatFamily::llama3, kUser, true),
          std::string("<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nWhat is 2+2?<|eot_id|>"
                      "<|start_header_id|>assistant<|end_header_id|>\n\n"));
  COMPARE(format_chat(ChatFamily::llama3, kSystemUser, false),
          std::string("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou are an expert mathematician.<|eot_id|>"
                      "<|start_header_id|>user<|end_header_id|>\n\nWhat is 2+2?<|eot_id|>"));
}

TPT_TEST(text_chat, llama3_1_always_opens_with_the_dated_system_turn) {
  COMPARE(format_chat(ChatFamily::llama3_1, kUser, true),
          std::string("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n"
                      "Cutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n<|eot_id|>"
                      "<|start_header_id|>user<|end_header_id|>\n\nWhat is 2+2?<|eot_id|>"
                      "<|start_header_id|>assistant<|end_header_id|>\n\n"));
  ChatOptions options;
  options.date_string = "01 Jan 2025";
  COMPARE(format_chat(ChatFamily::llama3_1, kSystemUser, false, options),
          std::string("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n"
                      "Cutting Knowledge Date: December 2023\nToday Date: 01 Jan 2025\n\n"
                      "You are an expert mathematician.<|eot_id|>"
                      "<|start_header_id|>user<|end_header_id|>\n\nWhat is 2+2?<|eot_id|>"));
}

TPT_TEST(text_chat, qwen2_adds_its_default_system_prompt_and_keeps_content_as_is) {
  COMPARE(format_chat(ChatFamily::qwen2, kUser, true),
          std::string("<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n"
                      "<|im_start|>user\n  What is 2+2?\n<|im_end|>\n<|im_start|>assistant\n"));
  COMPARE(format_chat(ChatFamily::qwen2, kSystemUser, true),
          std::string("<|im_start|>system\nYou are an expert mathematician. <|im_end|>\n"
                      "<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n"));
  COMPARE(format_chat(ChatFamily::qwen2, kDialogue, false),
          std::string("<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n"
                      "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello!<|im_end|>\n"
                      "<|im_start|>user\nBye<|im_end|>\n"));
}

TPT_TEST(text_chat, gemma2_names_the_assistant_model_and_strips_content) {
  COMPARE(format_chat(ChatFamily::gemma2, kUser, true),
          std::string("<bos><start_of_turn>user\nWhat is 2+2?<end_of_turn>\n<start_of_turn>model\n"));
  COMPARE(format_chat(ChatFamily::gemma2, kDialogue, true),
          std::string("<bos><start_of_turn>user\nHi<end_of_turn>\n<start_of_turn>model\nHello!<end_of_turn>\n"
                      "<start_of_turn>user\nBye<end_of_turn>\n<start_of_turn>model\n"));
}

TPT_TEST(text_chat, gemma2_rejects_a_system_turn_and_roles_out_of_order) {
  VERIFY_THROWS_WITH(format_chat(ChatFamily::gemma2, kSystemUser, true), "gemma2 chat template: System role not supported");
  VERIFY_THROWS_WITH(format_chat(ChatFamily::gemma2, {{"assistant", "x"}}, true), "Conversation roles must alternate");
  VERIFY_THROWS_WITH(format_chat(ChatFamily::gemma2, {{"user", "a"}, {"user", "b"}}, true), "message 1 has role \"user\"");
}

TPT_TEST(text_chat, unknown_roles_are_rejected) {
  VERIFY_THROWS_WITH(format_chat(ChatFamily::qwen2, {{"narrator", "x"}}, true),
                     "qwen2.5 chat template: message 0 has role \"narrator\"");
  VERIFY_THROWS_WITH(format_chat(ChatFamily::llama3, {{"tool", "x"}}, true), "message 0 has role \"tool\"");
}

TPT_TEST(text_chat, families_are_recognised_from_their_templates) {
  COMPARE(detect_chat_family("{% for m in messages %}<|start_header_id|>...") == ChatFamily::llama3, true);
  COMPARE(detect_chat_family("{{- \"Cutting Knowledge Date: December 2023\\n\" }}<|start_header_id|>") == ChatFamily::llama3_1,
          true);
  COMPARE(detect_chat_family("{{'<|im_start|>' + message['role']}}") == ChatFamily::qwen2, true);
  COMPARE(detect_chat_family("{{ '<start_of_turn>' + role }}") == ChatFamily::gemma2, true);
  VERIFY(!detect_chat_family("[INST] {{ content }} [/INST]"));
  COMPARE(parse_chat_family("qwen2.5") == ChatFamily::qwen2, true);
  COMPARE(chat_family_name(ChatFamily::llama3_1), std::string("llama3.1"));
  COMPARE(end_of_turn_token(ChatFamily::gemma2), std::string("<end_of_turn>"));
}
