#include "text/prompt_format.h"

#include "core/error.h"
#include "data/code_problems.h"

namespace tpt::text {

const char* to_string(PromptStyle style) {
  switch (style) {
    case PromptStyle::ZeroShot: return "zero-shot";
    case PromptStyle::FewShot: return "few-shot";
    case PromptStyle::Plain: return "plain";
  }
  return "";
}

std::optional<PromptStyle> parse_prompt_style(const std::string& name) {
  if (name == "zero-shot") return PromptStyle::ZeroShot;
  if (name == "few-shot") return PromptStyle::FewShot;
  if (name == "plain") return PromptStyle::Plain;
  return std::nullopt;
}

std::string zero_shot_instruction(const std::string& question) {
  return "You are an expert mathematician. Solve the following problem.\n\n"
         "Problem: " + question + "\n\n"
         "Requirements:\n"
         "1. Write a complete solution.\n"
         "2. Explain each step of your reasoning.\n"
         "3. End with the final answer on its own line, in the form: #### [Answer]\n\n"
         "Solution:";
}

PromptDomain prompt_domain_for(const std::string& dataset_format) {
  return data::is_code_format(dataset_format) ? PromptDomain::Code : PromptDomain::Math;
}

std::string zero_shot_code_instruction(const std::string& question) {
  return "You are an expert competitive programmer. Solve the following problem in Python 3.\n\n"
         "Problem: " + question + "\n\n"
         "Requirements:\n"
         "1. Explain your approach step by step.\n"
         "2. Write a complete program that reads the input from standard input and writes the "
         "answer to standard output.\n"
         "3. Put the whole program in one code block that starts with ```python and ends with ```.\n\n"
         "Solution:";
}

PromptFormat::PromptFormat(const ModelTokenizer& tokenizer, PromptStyle style, std::vector<WorkedExample> examples,
                           PromptDomain domain)
    : tokenizer_(tokenizer), style_(style), examples_(std::move(examples)), domain_(domain) {
  uses_chat_ = style_ == PromptStyle::ZeroShot && tokenizer_.chat_family.has_value();
  if (uses_chat_) {
    const std::string token = end_of_turn_token(*tokenizer_.chat_family);
    const auto id = tokenizer_.tokenizer->token_to_id(token);
    if (!id)
      throw Error(tokenizer_.folder + ": the chat template ends turns with " + token +
                  ", which tokenizer.json does not have");
    end_id_ = *id;
  } else {
    if (!tokenizer_.eos_id)
      throw Error(tokenizer_.folder +
                  ": the tokenizer names no EOS token (tokenizer_config.json eos_token), so a "
                  "completion could not be ended and a trained model would not learn to stop");
    end_id_ = *tokenizer_.eos_id;
  }
}

std::string PromptFormat::user_text(const std::string& question) const {
  if (domain_ == PromptDomain::Code) {
    switch (style_) {
      case PromptStyle::ZeroShot:
        return zero_shot_code_instruction(question);
      case PromptStyle::FewShot: {
        std::string text;
        for (const auto& e : examples_) text += "Q: " + e.question + "\nA: ```python\n" + e.solution + "\n```\n\n";
        return text + "Q: " + question + "\nA:";
      }
      case PromptStyle::Plain:
        return "Q: " + question + "\nA:";
    }
  }
  switch (style_) {
    case PromptStyle::ZeroShot:
      return zero_shot_instruction(question);
    case PromptStyle::FewShot: {
      std::string text;
      for (const auto& e : examples_) text += "Question: " + e.question + "\nSolution: " + e.solution + "\n\n";
      return text + "Question: " + question + "\nSolution:";
    }
    case PromptStyle::Plain:
      return "Question: " + question + "\nSolution:";
  }
  return {};
}

std::string PromptFormat::prompt_text(const std::string& question) const {
  if (uses_chat_) return format_chat(*tokenizer_.chat_family, {{"user", user_text(question)}}, true);
  return user_text(question);
}

std::vector<int32_t> PromptFormat::prompt_ids(const std::string& question) const {
  if (uses_chat_) return tokenizer_.encode_chat({{"user", user_text(question)}});
  return tokenizer_.encode_prompt(user_text(question));
}

std::vector<std::string> PromptFormat::stop_strings() const {
  if (uses_chat_) return {};
  if (domain_ == PromptDomain::Code) return {"\nQ:"};
  return {"\nQuestion:"};
}

std::vector<int32_t> PromptFormat::completion_ids(const std::string& completion) const {
  std::vector<int32_t> ids = tokenizer_.tokenizer->encode(completion, false);
  ids.push_back(end_id_);
  return ids;
}

}  // namespace tpt::text
