// Chat templates (text/chat_template.h): the family recognised in a tokenizer_config.json
// chat_template, and the conversation rendered in each family. The input is a template text,
// then (after a NUL byte) messages separated by \x01, each one's first byte choosing its role.
// Checked: a rendered conversation is recognised as its own family's, holds every message's content (stripped as Python's str.strip does, where the family strips)
// and ends turns with the family's token; python_strip is idempotent.
#include "core/error.h"
#include "fuzz_support.h"
#include "text/chat_template.h"
#include "text/utf8.h"

using namespace tpt;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto [template_text, conversation] = fuzz::split_at_nul(fuzz::as_text(data, size));
  const auto family = text::detect_chat_family(std::string(template_text));
  if (family) {
    const std::string name = text::chat_family_name(*family);
    FUZZ_EXPECT(text::parse_chat_family(name) == family, "family name " + name + " does not parse back");
  }

  std::vector<text::ChatMessage> messages;
  static const char* const kRoles[] = {"system", "user", "assistant", "tool"};
  size_t start = 0;
  while (start < conversation.size()) {
    size_t end = conversation.find('\x01', start);
    if (end == std::string_view::npos) end = conversation.size();
    const std::string_view part = conversation.substr(start, end - start);
    if (!part.empty())
      messages.push_back({kRoles[static_cast<unsigned char>(part[0]) % 4], std::string(part.substr(1))});
    start = end + 1;
  }

  for (const auto f : {text::ChatFamily::llama3, text::ChatFamily::llama3_1, text::ChatFamily::qwen2,
                       text::ChatFamily::gemma2}) {
    const std::string turn_end = text::end_of_turn_token(f);
    for (const bool generation_prompt : {false, true}) {
      std::string out;
      try {
        out = text::format_chat(f, messages, generation_prompt);
      } catch (const Error&) {
        continue;
      }
      const bool strips = f != text::ChatFamily::qwen2;
      for (const auto& m : messages) {
        const std::string content = strips ? text::python_strip(m.content) : m.content;
        FUZZ_EXPECT(out.find(content) != std::string::npos,
                    text::chat_family_name(f) + " lost a message's content " + fuzz::show(content));
      }
      // The rendered conversation is recognised as its family's, when no content brings
      // another family's markers.
      bool plain = !messages.empty();
      for (const auto& m : messages) plain = plain && m.content.find_first_of("<|") == std::string::npos &&
                                                m.content.find("Cutting Knowledge Date") == std::string::npos;
      if (plain) {
        const auto detected = text::detect_chat_family(out);
        FUZZ_EXPECT(detected == f, text::chat_family_name(f) + " output recognised as " +
                                       (detected ? text::chat_family_name(*detected) : "nothing"));
      }
      if (!messages.empty() && !generation_prompt)
        FUZZ_EXPECT(out.find(turn_end) != std::string::npos, "no end-of-turn token in " + fuzz::show(out));
    }
  }

  for (const auto& m : messages) {
    const std::string once = text::python_strip(m.content);
    FUZZ_EXPECT(text::python_strip(once) == once, "python_strip is not idempotent on " + fuzz::show(m.content));
    FUZZ_EXPECT(m.content.find(once) != std::string::npos, "python_strip is not a substring");
  }
  return 0;
}
