// The built-in task's wording: the sentence templates of each scenario family, its
// vocabulary and the people's names (demo/word_problems.cpp draws and renders from them).
// Internal to the word-problem generator; data only.
#pragma once

#include <cstdint>
#include <vector>

namespace tpt::demo::word_problem_tables {

// Templates.
//
// A problem is a chain of steps on one running value: the amount of {item} the current subject
// has (or bakes, saves, drives...). The first step combines {a} and {b}; each later step
// combines the running value with {n}. Every step is one sentence of the question and one line
// of the solution, whose {calc} is the annotated computation ("12-5=<<12-5=7>>7"). The last
// step's `ask` ends the question.
//
// Placeholders: {name} the subject after the step; {prev} the subject before it (a step with
// new_subject introduces a new person, the comparisons "Leo has 3 more pens than Mia");
// {friend} another person; {He} {he} {him} {His} {his} pronouns of {name}; {item} {item1}
// {has} {have} {extra} {extra1} from the problem's vocabulary.
//
// Content keys name templates by their index in these lists, so append new templates at the
// end of a list: inserting or reordering changes the keys, and with them which problems a seed
// draws and which split each belongs to (the pinned-output test says so).

struct Template {
  char op;
  bool new_subject;
  bool last;             // only as the final step: the value it leaves is no longer "what {name} has"
  const char* question;
  const char* solution;
  const char* ask;
};

struct Vocab {
  const char* item;    // plural noun the running value counts
  const char* item1;   // its singular
  const char* has;     // verb, third person: "has", "bakes", "drives"
  const char* have;    // base form: "have", "bake", "drive"
  const char* extra;   // family-specific word (activity, container, ...)
  const char* extra1;  // its singular where it has one
};

struct Family {
  const char* name;
  std::vector<Vocab> vocab;
  std::vector<Template> starts;
  std::vector<Template> steps;
  bool comparisons;  // also draws from the shared "{name} {has} n more {item} than {prev}" steps
  int64_t cap;       // largest value that reads naturally (an age), 0: none
};

struct Person {
  const char* name;
  bool female;
};

// The comparison steps every family with `comparisons` may also draw from:
// "{name} {has} {n} more {item} than {prev}".
const std::vector<Template>& comparison_steps();
// The scenario families, in the order their content keys depend on.
const std::vector<Family>& families();
const std::vector<Person>& people();

}  // namespace tpt::demo::word_problem_tables
