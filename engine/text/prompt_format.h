// How a problem becomes a prompt, and a kept trace a training example. Think, Train and
// Improve all go through one PromptFormat, so the model is trained on exactly the prompt it
// sampled from and is scored on.
//
//   zero-shot  the TPT paper's instruction (an expert mathematician, three requirements, an
//              answer line "#### N", "Solution:") as one user turn of the model's chat
//              template; raw text for a model without one.
//   few-shot   worked examples ("Question: ...\nSolution: ...") then the problem, as raw text:
//              for base models that were never taught to chat.
//   plain      "Question: ...\nSolution:" with no examples: small models trained on that
//              layout, such as the built-in demo model.
//
// Code problems (PromptDomain::Code) keep the styles and change the words: zero-shot asks for
// a Python 3 program reading stdin in one ```python block; few-shot shows "Q: ... A: ```python
// <solution>```" pairs, the layout of a setup close to the paper's (REFERENCE: assumed).
//
// Torch-free.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "text/model_tokenizer.h"

namespace tpt::text {

enum class PromptStyle { ZeroShot, FewShot, Plain };
enum class PromptDomain { Math, Code };
// The domain of a problem set's format (dataset.format): code formats ask for programs.
PromptDomain prompt_domain_for(const std::string& dataset_format);

const char* to_string(PromptStyle style);  // "zero-shot", "few-shot", "plain"
std::optional<PromptStyle> parse_prompt_style(const std::string& name);

struct WorkedExample {
  std::string question;
  std::string solution;
};

class PromptFormat {
 public:
  // `tokenizer` must outlive the format. Throws Error when completions could not be ended:
  // a chat format needs the family's end-of-turn token, a raw one an EOS token.
  PromptFormat(const ModelTokenizer& tokenizer, PromptStyle style, std::vector<WorkedExample> examples = {},
               PromptDomain domain = PromptDomain::Math);

  PromptStyle style() const { return style_; }
  bool uses_chat() const { return uses_chat_; }

  // What a person would type: the user turn's content under a chat template, the whole
  // prompt otherwise. Exports write this as the "user" message.
  std::string user_text(const std::string& question) const;
  // The prompt as the model reads it, as text (chat template applied when there is one).
  std::string prompt_text(const std::string& question) const;
  std::vector<int32_t> prompt_ids(const std::string& question) const;

  // Stop strings generation needs besides the stop tokens: a raw few-shot prompt invites the
  // model to write the next "Question:" itself.
  std::vector<std::string> stop_strings() const;
  // A trace as training target: its tokens, then the token that ends a turn (end-of-turn under
  // a chat template, EOS otherwise), so the trained model learns to stop.
  std::vector<int32_t> completion_ids(const std::string& completion) const;
  int32_t end_id() const { return end_id_; }

 private:
  const ModelTokenizer& tokenizer_;
  PromptStyle style_;
  std::vector<WorkedExample> examples_;
  PromptDomain domain_ = PromptDomain::Math;
  bool uses_chat_ = false;
  int32_t end_id_ = -1;
};

// The paper's zero-shot instruction around `question` (our wording of its structure).
std::string zero_shot_instruction(const std::string& question);
// The code domain's: a Python 3 program that reads stdin and writes stdout, in one fenced
// ```python block after its reasoning (the judge runs the last such block).
std::string zero_shot_code_instruction(const std::string& question);

}  // namespace tpt::text
