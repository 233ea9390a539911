#include "data/word_problems.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <stdexcept>
#include <tuple>
#include <unordered_set>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/hash.h"
#include "core/text.h"

namespace tpt {

namespace {

// ---------------------------------------------------------------------------------------------
// Randomness. SplitMix64 plus a rejection-sampled bounded draw: the same numbers on every
// standard library (std::uniform_int_distribution is implementation-defined).

class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}

  uint64_t next() {
    state_ += 0x9e3779b97f4a7c15ULL;
    return mix64(state_);
  }

  // Uniform in [lo, hi]; requires lo <= hi.
  int64_t range(int64_t lo, int64_t hi) {
    const uint64_t span = static_cast<uint64_t>(hi - lo) + 1;
    if (span == 0) return static_cast<int64_t>(next());  // the whole 64-bit range
    // Reject the top partial block so every value is equally likely.
    const uint64_t limit = UINT64_MAX - UINT64_MAX % span;
    uint64_t x;
    do x = next();
    while (x >= limit);
    return lo + static_cast<int64_t>(x % span);
  }

  size_t below(size_t n) { return static_cast<size_t>(range(0, static_cast<int64_t>(n) - 1)); }

 private:
  uint64_t state_;
};

// ---------------------------------------------------------------------------------------------
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

constexpr bool kNew = true, kSame = false;
constexpr bool kLast = true, kAny = false;

const std::vector<Template>& comparison_steps() {
  static const std::vector<Template> steps = {
      {'+', kNew, kAny, "{name} {has} {n} more {item} than {prev}.", "{name} {has} {calc} {item}.",
       "How many {item} does {name} {have}?"},
      {'-', kNew, kAny, "{name} {has} {n} fewer {item} than {prev}.", "{name} {has} {calc} {item}.",
       "How many {item} does {name} {have}?"},
      {'*', kNew, kAny, "{name} {has} {n} times as many {item} as {prev}.", "{name} {has} {calc} {item}.",
       "How many {item} does {name} {have}?"},
      {'/', kNew, kAny, "{prev} {has} {n} times as many {item} as {name}.", "{name} {has} {calc} {item}.",
       "How many {item} does {name} {have}?"},
  };
  return steps;
}

const std::vector<Family>& families() {
  static const std::vector<Family> table = {
      {"shopping",
       {{"pens", "pen", "has", "have", "", ""},
        {"pencils", "pencil", "has", "have", "", ""},
        {"erasers", "eraser", "has", "have", "", ""},
        {"notebooks", "notebook", "has", "have", "", ""},
        {"markers", "marker", "has", "have", "", ""},
        {"crayons", "crayon", "has", "have", "", ""},
        {"folders", "folder", "has", "have", "", ""}},
       {{'+', kSame, kAny, "{name} buys {a} red {item} and {b} blue {item}.", "{He} buys {calc} {item}.",
         "How many {item} does {name} buy?"},
        {'+', kSame, kAny, "{name} has {a} {item} and buys {b} more.", "{He} has {calc} {item}.",
         "How many {item} does {name} have now?"},
        {'-', kSame, kAny, "{name} buys {a} {item} and loses {b} of them on the way home.",
         "{He} has {calc} {item} left.", "How many {item} does {name} have left?"},
        {'*', kSame, kAny, "{name} buys {a} packs of {item} with {b} {item} in each pack.",
         "{He} buys {calc} {item}.", "How many {item} does {name} buy?"},
        {'/', kSame, kAny, "A box of {a} {item} is split equally among {b} children, and {name} is one of them.",
         "{name} gets {calc} {item}.", "How many {item} does {name} get?"}},
       {{'+', kSame, kAny, "{He} buys {n} more {item} the next day.", "{He} then has {calc} {item}.",
         "How many {item} does {name} have now?"},
        {'+', kSame, kAny, "{friend} gives {him} {n} {item}.", "{He} now has {calc} {item}.",
         "How many {item} does {name} have now?"},
        {'-', kSame, kAny, "{He} gives {n} {item} to {friend}.", "{He} has {calc} {item} left.",
         "How many {item} does {name} have left?"},
        {'-', kSame, kAny, "{He} loses {n} of the {item} at school.", "{He} has {calc} {item} left.",
         "How many {item} does {name} have left?"},
        {'/', kSame, kAny, "{He} puts them equally into {n} bags and keeps one bag.", "{He} keeps {calc} {item}.",
         "How many {item} does {name} keep?"}},
       true, 0},

      {"sharing",
       {{"cookies", "cookie", "has", "have", "", ""},
        {"apples", "apple", "has", "have", "", ""},
        {"grapes", "grape", "has", "have", "", ""},
        {"candies", "candy", "has", "have", "", ""},
        {"cherries", "cherry", "has", "have", "", ""},
        {"crackers", "cracker", "has", "have", "", ""},
        {"peanuts", "peanut", "has", "have", "", ""}},
       {{'/', kSame, kLast, "{name} shares {a} {item} equally among {b} friends.", "Each friend gets {calc} {item}.",
         "How many {item} does each friend get?"},
        {'/', kSame, kAny, "{a} {item} are shared equally among {b} children, and {name} is one of them.",
         "{name} gets {calc} {item}.", "How many {item} does {name} get?"},
        {'+', kSame, kAny, "{name} has {a} {item}, and {friend} gives {him} {b} more.", "{name} has {calc} {item}.",
         "How many {item} does {name} have?"},
        {'-', kSame, kAny, "{name} has {a} {item} and eats {b} of them.", "{He} has {calc} {item} left.",
         "How many {item} does {name} have left?"},
        {'*', kSame, kAny, "{name} gets {b} {item} from each of {a} friends.", "{He} gets {calc} {item}.",
         "How many {item} does {name} get?"}},
       {{'/', kSame, kLast, "{He} shares them equally among {n} friends.", "Each friend gets {calc} {item}.",
         "How many {item} does each friend get?"},
        {'/', kSame, kAny, "{He} splits them into {n} equal bowls and keeps one bowl.", "{He} keeps {calc} {item}.",
         "How many {item} does {name} keep?"},
        {'/', kNew, kAny, "{prev} shares them equally among {n} children, one of them {name}.",
         "{name} gets {calc} {item}.", "How many {item} does {name} get?"},
        {'+', kSame, kAny, "{friend} gives {him} {n} more {item}.", "{He} now has {calc} {item}.",
         "How many {item} does {name} have now?"},
        {'-', kSame, kAny, "{He} eats {n} of the {item}.", "{He} has {calc} {item} left.",
         "How many {item} does {name} have left?"},
        {'-', kSame, kAny, "{He} gives {n} {item} to {friend}.", "{He} has {calc} {item} left.",
         "How many {item} does {name} have left?"}},
       true, 0},

      {"travel",
       {{"km", "km", "drives", "drive", "", ""},
        {"miles", "mile", "drives", "drive", "", ""},
        {"km", "km", "cycles", "cycle", "", ""},
        {"miles", "mile", "cycles", "cycle", "", ""},
        {"km", "km", "walks", "walk", "", ""},
        {"miles", "mile", "rides", "ride", "", ""}},
       {{'*', kSame, kAny, "{name} {has} {a} {item} an hour for {b} hours.", "{He} {has} {calc} {item}.",
         "How many {item} does {name} {have}?"},
        {'+', kSame, kAny, "{name} {has} {a} {item} in the morning and {b} {item} in the afternoon.",
         "{He} {has} {calc} {item} in all.", "How many {item} does {name} {have} in all?"},
        {'-', kSame, kLast, "{name}'s trip is {a} {item} long, and {he} has done {b} {item} so far.",
         "{He} has {calc} {item} to go.", "How many {item} does {name} still have to go?"},
        {'-', kSame, kAny, "{name} {has} {a} {item} on Monday and {b} fewer {item} on Tuesday.",
         "On Tuesday {he} {has} {calc} {item}.", "How many {item} does {name} {have} on Tuesday?"},
        {'/', kSame, kLast, "{name} {has} {a} {item} in {b} hours at a steady speed.",
         "{He} {has} {calc} {item} each hour.", "How many {item} does {name} {have} each hour?"}},
       {{'+', kSame, kAny, "Then {he} {has} {n} more {item}.", "{He} {has} {calc} {item} in all.",
         "How many {item} does {name} {have} in all?"},
        {'-', kSame, kLast, "{His} trip back is {n} {item} shorter.", "The trip back is {calc} {item}.",
         "How many {item} long is {name}'s trip back?"},
        {'*', kSame, kAny, "{He} makes the same trip each day for {n} days.", "In {n} days {he} {has} {calc} {item}.",
         "How many {item} does {name} {have} in {n} days?"},
        {'/', kSame, kLast, "{He} makes the trip in {n} equal stages.", "Each stage is {calc} {item}.",
         "How many {item} long is each stage?"}},
       true, 0},

      {"ages",
       {{"years", "year", "", "", "", ""}},
       {{'+', kNew, kAny, "{prev} is {a} years old, and {name} is {b} years older.", "{name} is {calc} years old.",
         "How old is {name}?"},
        {'+', kSame, kAny, "{name} was {a} years old {b} years ago.", "{He} is {calc} years old now.",
         "How old is {name} now?"},
        {'-', kNew, kAny, "{prev} is {a} years old, and {name} is {b} years younger.", "{name} is {calc} years old.",
         "How old is {name}?"},
        {'*', kNew, kAny, "{prev} is {a} years old, and {name} is {b} times as old.", "{name} is {calc} years old.",
         "How old is {name}?"},
        {'/', kNew, kAny, "{prev} is {a} years old, which is {b} times {name}'s age.", "{name} is {calc} years old.",
         "How old is {name}?"}},
       {{'+', kNew, kAny, "{name} is {n} years older than {prev}.", "{name} is {calc} years old.", "How old is {name}?"},
        {'+', kSame, kLast, "{name} wonders how old {he} will be in {n} years.", "In {n} years {he} will be {calc}.",
         "How old will {name} be then?"},
        {'-', kNew, kAny, "{name} is {n} years younger than {prev}.", "{name} is {calc} years old.",
         "How old is {name}?"},
        {'*', kNew, kAny, "{name} is {n} times as old as {prev}.", "{name} is {calc} years old.", "How old is {name}?"},
        {'/', kNew, kAny, "{prev} is {n} times as old as {name}.", "{name} is {calc} years old.", "How old is {name}?"}},
       false, 100},

      {"time",
       {{"minutes", "minute", "spends", "spend", "on homework", ""},
        {"minutes", "minute", "spends", "spend", "reading", ""},
        {"minutes", "minute", "spends", "spend", "practicing piano", ""},
        {"minutes", "minute", "spends", "spend", "drawing", ""},
        {"minutes", "minute", "spends", "spend", "on chores", ""}},
       {{'+', kSame, kAny, "{name} spends {a} minutes {extra} before lunch and {b} minutes after lunch.",
         "{He} spends {calc} minutes {extra}.", "How many minutes does {name} spend {extra}?"},
        {'-', kSame, kAny, "{name} plans to spend {a} minutes {extra} but stops {b} minutes early.",
         "{He} spends {calc} minutes {extra}.", "How many minutes does {name} spend {extra}?"},
        {'*', kSame, kAny, "{name} spends {a} minutes {extra} every day for {b} days.",
         "{He} spends {calc} minutes {extra}.", "How many minutes does {name} spend {extra} in all?"},
        {'/', kSame, kAny, "{name} spends {a} minutes {extra}, split equally over {b} days.",
         "{He} spends {calc} minutes a day.", "How many minutes a day does {name} spend {extra}?"}},
       {{'+', kSame, kAny, "{He} then spends {n} more minutes {extra}.", "That makes {calc} minutes.",
         "How many minutes does {name} spend {extra} in all?"},
        {'-', kSame, kAny, "{He} gets interrupted and loses {n} of those minutes.", "{He} spends {calc} minutes.",
         "How many minutes does {name} really spend {extra}?"},
        {'*', kSame, kAny, "{He} does the same every day for {n} days.", "In {n} days that is {calc} minutes.",
         "How many minutes does {name} spend {extra} in {n} days?"},
        {'/', kSame, kAny, "{He} splits that time equally over {n} days.", "That is {calc} minutes a day.",
         "How many minutes a day does {name} spend {extra}?"}},
       true, 0},

      {"baking",
       {{"cookies", "cookie", "bakes", "bake", "", ""},
        {"muffins", "muffin", "bakes", "bake", "", ""},
        {"cupcakes", "cupcake", "bakes", "bake", "", ""},
        {"rolls", "roll", "bakes", "bake", "", ""},
        {"brownies", "brownie", "bakes", "bake", "", ""},
        {"bagels", "bagel", "bakes", "bake", "", ""}},
       {{'*', kSame, kAny, "{name} bakes {a} trays of {item} with {b} {item} on each tray.", "{He} bakes {calc} {item}.",
         "How many {item} does {name} bake?"},
        {'+', kSame, kAny, "{name} bakes {a} {item} in the morning and {b} in the afternoon.",
         "{He} bakes {calc} {item}.", "How many {item} does {name} bake?"},
        {'-', kSame, kAny, "{name} bakes {a} {item}, but {b} of them burn.", "{He} has {calc} good {item}.",
         "How many good {item} does {name} have?"},
        {'/', kSame, kLast, "{name} bakes {a} {item} and packs them equally into {b} boxes.",
         "Each box holds {calc} {item}.", "How many {item} are in each box?"}},
       {{'+', kSame, kAny, "{He} bakes {n} more {item} in the evening.", "{He} now has {calc} {item}.",
         "How many {item} does {name} have now?"},
        {'-', kSame, kAny, "{His} family eats {n} of them.", "{He} has {calc} {item} left.",
         "How many {item} does {name} have left?"},
        {'-', kSame, kAny, "{He} sells {n} {item} at the bake sale.", "{He} has {calc} {item} left.",
         "How many {item} does {name} have left?"},
        {'*', kSame, kAny, "{He} bakes the same amount every day for {n} days.", "In {n} days {he} bakes {calc} {item}.",
         "How many {item} does {name} bake in {n} days?"},
        {'/', kSame, kLast, "{He} packs them equally into {n} boxes.", "Each box gets {calc} {item}.",
         "How many {item} go in each box?"},
        {'/', kSame, kAny, "{He} packs them equally into {n} boxes and gives all but one box away.",
         "{He} keeps {calc} {item}.", "How many {item} does {name} keep?"}},
       true, 0},

      {"saving",
       {{"dollars", "dollar", "saves", "save", "a bike", ""},
        {"dollars", "dollar", "saves", "save", "a game", ""},
        {"dollars", "dollar", "saves", "save", "a tent", ""},
        {"dollars", "dollar", "saves", "save", "a guitar", ""}},
       {{'*', kSame, kAny, "{name} saves ${a} a week for {b} weeks.", "{He} saves {calc} dollars.",
         "How many dollars does {name} save?"},
        {'+', kSame, kAny, "{name} has ${a} and earns ${b} more by walking dogs.", "{He} has {calc} dollars.",
         "How many dollars does {name} have now?"},
        {'-', kSame, kAny, "{name} has ${a} and spends ${b} on a book.", "{He} has {calc} dollars left.",
         "How many dollars does {name} have left?"},
        {'/', kSame, kLast, "{name} saves ${a} for {extra} over {b} weeks, the same each week.",
         "{He} saves {calc} dollars a week.", "How many dollars does {name} save each week?"},
        {'/', kSame, kAny, "A prize of ${a} is split equally among {b} winners, and {name} is one of them.",
         "{name} gets {calc} dollars.", "How many dollars does {name} get?"}},
       {{'+', kSame, kAny, "{His} grandmother gives {him} ${n}.", "{He} now has {calc} dollars.",
         "How many dollars does {name} have now?"},
        {'+', kSame, kAny, "{He} earns ${n} more washing cars.", "{He} now has {calc} dollars.",
         "How many dollars does {name} have now?"},
        {'-', kSame, kAny, "{He} spends ${n} on a gift for {friend}.", "{He} has {calc} dollars left.",
         "How many dollars does {name} have left?"},
        {'*', kSame, kAny, "{He} saves that much every month for {n} months.", "In {n} months {he} saves {calc} dollars.",
         "How many dollars does {name} save in {n} months?"},
        {'/', kSame, kAny, "{He} splits the money equally into {n} envelopes and takes one to the fair.",
         "{He} takes {calc} dollars.", "How many dollars does {name} take to the fair?"}},
       true, 0},

      {"garden",
       {{"tulips", "tulip", "plants", "plant", "", ""},
        {"roses", "rose", "plants", "plant", "", ""},
        {"carrots", "carrot", "plants", "plant", "", ""},
        {"sunflowers", "sunflower", "plants", "plant", "", ""},
        {"tomato plants", "tomato plant", "plants", "plant", "", ""},
        {"onions", "onion", "plants", "plant", "", ""}},
       {{'*', kSame, kAny, "{name} plants {a} rows of {item} with {b} {item} in each row.", "{He} plants {calc} {item}.",
         "How many {item} does {name} plant?"},
        {'+', kSame, kAny, "{name} plants {a} {item} on Saturday and {b} on Sunday.", "{He} plants {calc} {item}.",
         "How many {item} does {name} plant?"},
        {'-', kSame, kAny, "{name} plants {a} {item}, but rabbits eat {b} of them.", "{He} has {calc} {item} left.",
         "How many {item} does {name} have left?"},
        {'/', kSame, kLast, "{name} plants {a} {item} in {b} equal rows.", "Each row has {calc} {item}.",
         "How many {item} are in each row?"}},
       {{'+', kSame, kAny, "{He} plants {n} more {item} the next day.", "{He} now has {calc} {item}.",
         "How many {item} does {name} have now?"},
        {'-', kSame, kAny, "A storm ruins {n} of the {item}.", "{He} has {calc} {item} left.",
         "How many {item} does {name} have left?"},
        {'/', kNew, kAny, "{prev} gives them away equally to {n} neighbors, one of them {name}.",
         "{name} gets {calc} {item}.", "How many {item} does {name} get?"},
        {'/', kSame, kLast, "{He} arranges them in {n} equal rows.", "Each row has {calc} {item}.",
         "How many {item} are in each row?"}},
       true, 0},

      {"classroom",
       {{"pencils", "pencil", "", "", "", ""},
        {"books", "book", "", "", "", ""},
        {"crayons", "crayon", "", "", "", ""},
        {"stickers", "sticker", "", "", "", ""}},
       {{'*', kSame, kAny, "{name}'s class has {a} tables with {b} students at each table.",
         "The class has {calc} students.", "How many students are in {name}'s class?"},
        {'+', kSame, kAny, "{name}'s class has {a} girls and {b} boys.", "The class has {calc} students.",
         "How many students are in {name}'s class?"},
        {'-', kSame, kAny, "{name}'s class has {a} students, and {b} are absent today.",
         "{calc} students are in class today.", "How many students are in {name}'s class today?"},
        {'/', kSame, kLast, "{name} puts {a} students into {b} equal teams.", "Each team has {calc} students.",
         "How many students are on each team?"}},
       {{'+', kSame, kAny, "{n} new students join {name}'s class.", "Now there are {calc} students.",
         "How many students are in {name}'s class now?"},
        {'-', kSame, kAny, "{n} of {name}'s students go home early.", "{calc} students are left.",
         "How many of {name}'s students are left?"},
        {'*', kSame, kLast, "Each student brings {n} {item}.", "They bring {calc} {item}.",
         "How many {item} do the students bring?"},
        {'/', kSame, kLast, "{name} splits them into {n} equal groups.", "Each group has {calc} students.",
         "How many students are in each group?"},
        {'+', kNew, kAny, "{name}'s class has {n} more students than {prev}'s.", "{name}'s class has {calc} students.",
         "How many students are in {name}'s class?"},
        {'-', kNew, kAny, "{name}'s class has {n} fewer students than {prev}'s.", "{name}'s class has {calc} students.",
         "How many students are in {name}'s class?"},
        {'*', kNew, kAny, "{name}'s class has {n} times as many students as {prev}'s.",
         "{name}'s class has {calc} students.", "How many students are in {name}'s class?"},
        {'/', kNew, kAny, "{prev}'s class is {n} times the size of {name}'s.", "{name}'s class has {calc} students.",
         "How many students are in {name}'s class?"}},
       false, 0},

      {"collections",
       {{"stamps", "stamp", "has", "have", "", ""},
        {"shells", "shell", "has", "have", "", ""},
        {"cards", "card", "has", "have", "", ""},
        {"coins", "coin", "has", "have", "", ""},
        {"marbles", "marble", "has", "have", "", ""},
        {"rocks", "rock", "has", "have", "", ""}},
       {{'*', kSame, kAny, "{name} fills {a} album pages with {b} {item} on each page.", "{He} has {calc} {item}.",
         "How many {item} does {name} have?"},
        {'+', kSame, kAny, "{name} has {a} {item} and gets {b} more for {his} birthday.", "{He} has {calc} {item}.",
         "How many {item} does {name} have now?"},
        {'-', kSame, kAny, "{name} has {a} {item} and trades {b} of them away.", "{He} has {calc} {item} left.",
         "How many {item} does {name} have left?"},
        {'/', kSame, kLast, "{name} puts {a} {item} equally into {b} boxes.", "Each box has {calc} {item}.",
         "How many {item} are in each box?"}},
       {{'+', kSame, kAny, "{He} gets {n} more {item} for {his} birthday.", "{He} now has {calc} {item}.",
         "How many {item} does {name} have now?"},
        {'-', kSame, kAny, "{He} trades {n} {item} away to {friend}.", "{He} has {calc} {item} left.",
         "How many {item} does {name} have left?"},
        {'*', kSame, kAny, "By the end of the year {his} collection is {n} times as big.",
         "By then {he} has {calc} {item}.", "How many {item} does {name} have at the end of the year?"},
        {'/', kNew, kAny, "{prev} gives the {item} away equally to {n} cousins, one of them {name}.",
         "{name} gets {calc} {item}.", "How many {item} does {name} get?"}},
       true, 0},

      {"sports",
       {{"points", "point", "scores", "score", "games", "game"},
        {"goals", "goal", "scores", "score", "matches", "match"},
        {"runs", "run", "scores", "score", "games", "game"},
        {"baskets", "basket", "makes", "make", "games", "game"}},
       {{'+', kSame, kAny, "{name} {has} {a} {item} in the first half and {b} in the second half.",
         "{He} {has} {calc} {item}.", "How many {item} does {name} {have}?"},
        {'-', kSame, kAny, "{name}'s team {has} {a} {item}, and {name} {has} all but {b} of them.",
         "{name} {has} {calc} {item}.", "How many {item} does {name} {have}?"},
        {'*', kSame, kAny, "{name} {has} {b} {item} in each of {a} {extra}.", "{He} {has} {calc} {item}.",
         "How many {item} does {name} {have}?"},
        {'/', kSame, kAny, "{name} {has} {a} {item} in {b} {extra}, the same number in each.",
         "{He} {has} {calc} {item} in each {extra1}.", "How many {item} does {name} {have} in each {extra1}?"}},
       {{'+', kSame, kAny, "{He} {has} {n} more {item} in the next {extra1}.", "{He} {has} {calc} {item} in all.",
         "How many {item} does {name} {have} in all?"},
        {'-', kSame, kAny, "{n} of those {item} are later ruled out.", "{calc} {item} count.",
         "How many of {name}'s {item} count?"},
        {'*', kSame, kAny, "{He} {has} that many in each of {n} {extra}.", "{He} {has} {calc} {item} in all.",
         "How many {item} does {name} {have} in all?"},
        {'/', kSame, kAny, "That total is spread evenly over {n} {extra}.", "{He} {has} {calc} {item} in each {extra1}.",
         "How many {item} does {name} {have} in each {extra1}?"}},
       true, 0},

      {"reading",
       {{"pages", "page", "reads", "read", "book", ""},
        {"pages", "page", "reads", "read", "comic", ""},
        {"pages", "page", "reads", "read", "novel", ""}},
       {{'+', kSame, kAny, "{name} reads {a} pages on Monday and {b} pages on Tuesday.", "{He} reads {calc} pages.",
         "How many pages does {name} read?"},
        {'-', kSame, kLast, "{name}'s {extra} has {a} pages, and {he} has read {b} of them.",
         "{He} has {calc} pages left to read.", "How many pages does {name} have left to read?"},
        {'-', kSame, kAny, "{name} wants to read {a} pages but stops {b} pages short.", "{He} reads {calc} pages.",
         "How many pages does {name} read?"},
        {'*', kSame, kAny, "{name} reads {a} pages a day for {b} days.", "{He} reads {calc} pages.",
         "How many pages does {name} read?"},
        {'/', kSame, kLast, "{name} reads a {a}-page {extra} in {b} days, the same number of pages each day.",
         "{He} reads {calc} pages a day.", "How many pages a day does {name} read?"}},
       {{'+', kSame, kAny, "{He} reads {n} more pages on the weekend.", "{He} reads {calc} pages in all.",
         "How many pages does {name} read in all?"},
        {'-', kSame, kAny, "{n} of those pages are pictures, not text.", "{He} reads {calc} pages of text.",
         "How many pages of text does {name} read?"},
        {'*', kSame, kAny, "{He} reads that many every week for {n} weeks.", "In {n} weeks {he} reads {calc} pages.",
         "How many pages does {name} read in {n} weeks?"},
        {'/', kSame, kAny, "That reading is spread evenly over {n} days.", "{He} reads {calc} pages a day.",
         "How many pages a day does {name} read?"}},
       true, 0},

      {"farm",
       {{"eggs", "egg", "collects", "collect", "hens", "hen"},
        {"apples", "apple", "picks", "pick", "trees", "tree"},
        {"potatoes", "potato", "digs up", "dig up", "rows", "row"},
        {"pears", "pear", "picks", "pick", "trees", "tree"}},
       {{'*', kSame, kAny, "{name} {has} {b} {item} from each of {a} {extra}.", "{He} {has} {calc} {item}.",
         "How many {item} does {name} {have}?"},
        {'+', kSame, kAny, "{name} {has} {a} {item} in the morning and {b} in the evening.", "{He} {has} {calc} {item}.",
         "How many {item} does {name} {have} in all?"},
        {'-', kSame, kAny, "{name} {has} {a} {item}, and {b} of them are bad.", "{He} has {calc} good {item}.",
         "How many good {item} does {name} have?"},
        {'/', kSame, kLast, "{name} packs {a} {item} equally into {b} baskets.", "Each basket has {calc} {item}.",
         "How many {item} are in each basket?"},
        {'/', kSame, kAny, "{a} {item} are split equally among {b} farm helpers, and {name} is one of them.",
         "{name} gets {calc} {item}.", "How many {item} does {name} get?"}},
       {{'+', kSame, kAny, "{He} {has} {n} more {item} the next day.", "{He} has {calc} {item} in all.",
         "How many {item} does {name} have in all?"},
        {'-', kSame, kAny, "{He} sells {n} {item} at the market.", "{He} has {calc} {item} left.",
         "How many {item} does {name} have left?"},
        {'*', kSame, kAny, "{He} does the same every day for {n} days.", "In {n} days {he} {has} {calc} {item}.",
         "How many {item} does {name} {have} in {n} days?"},
        {'/', kSame, kAny, "{He} packs them equally into {n} crates and keeps one crate.", "{He} keeps {calc} {item}.",
         "How many {item} does {name} keep?"}},
       true, 0},

      {"party",
       {{"balloons", "balloon", "brings", "bring", "", ""},
        {"cupcakes", "cupcake", "brings", "bring", "", ""},
        {"party hats", "party hat", "brings", "bring", "", ""},
        {"juice boxes", "juice box", "brings", "bring", "", ""},
        {"candles", "candle", "brings", "bring", "", ""},
        {"gift bags", "gift bag", "brings", "bring", "", ""}},
       {{'+', kSame, kLast, "{name} brings {a} {item} to the party, and {friend} brings {b}.",
         "Together they bring {calc} {item}.", "How many {item} do they bring together?"},
        {'+', kSame, kAny, "{name} buys {a} {item} and then {b} more for the party.", "{He} has {calc} {item}.",
         "How many {item} does {name} have for the party?"},
        {'*', kSame, kAny, "{name} buys {a} bags of {item} with {b} {item} in each bag.", "{He} buys {calc} {item}.",
         "How many {item} does {name} buy?"},
        {'-', kSame, kAny, "{name} gets {a} {item} for the party, but {b} of them get lost.",
         "{He} has {calc} {item} left.", "How many {item} does {name} have left?"},
        {'/', kSame, kLast, "{name} shares {a} {item} equally among {b} tables.", "Each table gets {calc} {item}.",
         "How many {item} does each table get?"},
        {'/', kSame, kAny, "{a} {item} are shared equally among {b} guests, one of them {name}.",
         "{name} gets {calc} {item}.", "How many {item} does {name} get?"}},
       {{'+', kSame, kAny, "{friend} gives {him} {n} more {item}.", "{He} has {calc} {item}.",
         "How many {item} does {name} have now?"},
        {'-', kSame, kAny, "{n} of the {item} get lost before the party.", "{He} has {calc} {item} left.",
         "How many {item} does {name} have left?"},
        {'*', kSame, kLast, "{He} needs {n} times as many for a bigger party.", "{He} needs {calc} {item}.",
         "How many {item} does {name} need?"},
        {'/', kSame, kLast, "{He} puts them equally on {n} tables.", "Each table gets {calc} {item}.",
         "How many {item} are on each table?"},
        {'/', kNew, kAny, "{prev} shares them equally among {n} guests, one of them {name}.",
         "{name} gets {calc} {item}.", "How many {item} does {name} get?"}},
       true, 0},
  };
  return table;
}

struct Person {
  const char* name;
  bool female;
};

const std::vector<Person>& people() {
  static const std::vector<Person> table = {
      {"Mia", true},   {"Ava", true},   {"Emma", true},  {"Lily", true},  {"Zoe", true},   {"Nora", true},
      {"Ruth", true},  {"Ella", true},  {"Ivy", true},   {"Rosa", true},  {"Lena", true},  {"Maya", true},
      {"Anna", true},  {"Sara", true},  {"Jade", true},  {"Kira", true},  {"Amy", true},   {"Beth", true},
      {"Cara", true},  {"Dina", true},  {"Hana", true},  {"Lucy", true},  {"Nina", true},  {"Tara", true},
      {"Leo", false},  {"Sam", false},  {"Ben", false},  {"Max", false},  {"Tom", false},  {"Eli", false},
      {"Omar", false}, {"Raj", false},  {"Ivan", false}, {"Jack", false}, {"Noah", false}, {"Luke", false},
      {"Owen", false}, {"Finn", false}, {"Hugo", false}, {"Kai", false},  {"Adam", false}, {"Ravi", false},
      {"Theo", false}, {"Juan", false}, {"Carl", false}, {"Dev", false},  {"Ian", false},  {"Paul", false},
  };
  return table;
}

// ---------------------------------------------------------------------------------------------
// Drawing a problem's structure: family, templates and numbers. Names and vocabulary are drawn
// afterwards, so the content key (and the split) never depends on them.

struct Step {
  const Template* tmpl = nullptr;
  std::string tag;  // "s2", "t4" or "c1": which list and index, for the content key
  int64_t left = 0, right = 0, result = 0;
};

struct Draft {
  const Family* family = nullptr;
  std::vector<Step> steps;
  std::string key;
};

int64_t apply(char op, int64_t x, int64_t y) {
  switch (op) {
    case '+': return x + y;
    case '-': return x - y;
    case '*': return x * y;
    default: return x / y;
  }
}

// Bounds for one family: an age of 400 does not read like a word problem.
struct Bounds {
  int64_t operand, factor, result;
};

// Can `op` start a chain (x == 0) or continue one at x, within the bounds? Every number, in the
// question or as a result, is at least 2: "1 pens" and "1 minutes" would need singular forms
// of every noun, and a step that yields 1 or 0 makes the story fall apart.
bool feasible(char op, int64_t x, const Bounds& b) {
  if (x == 0) {
    switch (op) {
      case '+': return b.operand >= 2 && std::min(b.operand, b.result - 2) >= 2;
      case '-': return b.operand >= 4;
      case '*': return std::min(b.operand, b.result / 2) >= 2 && b.factor >= 2;
      default: return std::min(b.factor, b.operand / 2) >= 2;
    }
  }
  switch (op) {
    case '+': return b.result - x >= 2;
    case '-': return x >= 4;
    case '*': return b.factor >= 2 && x <= b.result / 2;
    default:
      for (int64_t d = 2; d <= std::min(b.factor, x / 2); ++d)
        if (x % d == 0) return true;
      return false;
  }
}

// The numbers of a first step: a op b.
std::pair<int64_t, int64_t> draw_start(char op, const Bounds& b, Rng& rng) {
  switch (op) {
    case '+': {
      const int64_t a = rng.range(2, std::min(b.operand, b.result - 2));
      return {a, rng.range(2, std::min(b.operand, b.result - a))};
    }
    case '-': {
      const int64_t a = rng.range(4, b.operand);
      return {a, rng.range(2, a - 2)};
    }
    case '*': {
      const int64_t a = rng.range(2, std::min(b.operand, b.result / 2));
      return {a, rng.range(2, std::min(b.factor, b.result / a))};
    }
    default: {
      const int64_t divisor = rng.range(2, std::min(b.factor, b.operand / 2));
      const int64_t quotient = rng.range(2, b.operand / divisor);
      return {divisor * quotient, divisor};
    }
  }
}

// The number a later step combines with the running value x.
int64_t draw_next(char op, int64_t x, const Bounds& b, Rng& rng) {
  switch (op) {
    case '+': return rng.range(2, std::min(b.operand, b.result - x));
    case '-': return rng.range(2, std::min(b.operand, x - 2));
    case '*': return rng.range(2, std::min(b.factor, b.result / x));
    default: {
      std::vector<int64_t> divisors;
      for (int64_t d = 2; d <= std::min(b.factor, x / 2); ++d)
        if (x % d == 0) divisors.push_back(d);
      return divisors[rng.below(divisors.size())];
    }
  }
}

struct Candidate {
  const Template* tmpl;
  std::string tag;
};

std::vector<Candidate> candidates(const Family& family, bool first, char op, bool last) {
  std::vector<Candidate> out;
  auto add = [&](const std::vector<Template>& list, char prefix) {
    for (size_t i = 0; i < list.size(); ++i)
      if (list[i].op == op && (last || !list[i].last)) out.push_back({&list[i], prefix + std::to_string(i)});
  };
  if (first) {
    add(family.starts, 's');
  } else {
    add(family.steps, 't');
    if (family.comparisons) add(comparison_steps(), 'c');
  }
  return out;
}

std::string unique_operations(const std::string& operations) {
  std::string out;
  for (char op : std::string("+-*/"))
    if (operations.find(op) != std::string::npos) out += op;
  return out;
}

std::optional<Draft> draw_structure(const WordProblemOptions& options, const std::string& operations, Rng& rng) {
  Draft draft;
  draft.family = &families()[rng.below(families().size())];
  const Family& family = *draft.family;
  Bounds bounds{options.max_operand, options.max_factor, options.max_result};
  if (family.cap > 0) {
    bounds.result = std::min(bounds.result, family.cap);
    bounds.operand = std::min(bounds.operand, family.cap);
  }
  const int steps = static_cast<int>(rng.range(options.min_steps, options.max_steps));
  int64_t x = 0;
  std::vector<const Template*> used;
  for (int s = 0; s < steps; ++s) {
    const bool first = s == 0, last = s == steps - 1;
    std::vector<char> ops;
    for (char op : operations)
      if (feasible(op, x, bounds) && !candidates(family, first, op, last).empty()) ops.push_back(op);
    if (ops.empty()) return std::nullopt;  // a dead end: the stream moves on to its next draw
    const char op = ops[rng.below(ops.size())];
    std::vector<Candidate> options_for_op = candidates(family, first, op, last);
    // The same sentence twice in one problem reads like a glitch; repeat only when forced.
    std::vector<Candidate> fresh;
    for (const auto& c : options_for_op)
      if (std::find(used.begin(), used.end(), c.tmpl) == used.end()) fresh.push_back(c);
    const auto& pool = fresh.empty() ? options_for_op : fresh;
    const Candidate& chosen = pool[rng.below(pool.size())];
    used.push_back(chosen.tmpl);

    Step step;
    step.tmpl = chosen.tmpl;
    step.tag = chosen.tag;
    if (first) {
      std::tie(step.left, step.right) = draw_start(op, bounds, rng);
    } else {
      step.left = x;
      step.right = draw_next(op, x, bounds, rng);
    }
    step.result = apply(op, step.left, step.right);
    x = step.result;
    draft.steps.push_back(std::move(step));
  }
  draft.key = family.name;
  for (const auto& step : draft.steps) {
    draft.key += "|" + step.tag + ":";
    if (&step == &draft.steps.front()) draft.key += std::to_string(step.left) + ",";
    draft.key += std::to_string(step.right);
  }
  return draft;
}

// ---------------------------------------------------------------------------------------------
// Rendering: names, vocabulary and the placeholders.

struct Cast {
  const Person* subject;
  const Person* previous;
  const Person* friend_;
  const Vocab* vocab;
  bool use_names;  // pronouns would be ambiguous: another person is (or was just) in the story
};

std::string calc(char op, int64_t x, int64_t y, int64_t r) {
  const std::string expr = std::to_string(x) + op + std::to_string(y);
  return expr + "=<<" + expr + "=" + std::to_string(r) + ">>" + std::to_string(r);
}

std::string render(const char* text, const Cast& cast, const Step& step, bool first) {
  const Person& p = *cast.subject;
  auto pronoun = [&](const char* female, const char* male) -> std::string {
    return p.female ? female : male;
  };
  std::string out;
  for (const char* c = text; *c;) {
    if (*c != '{') {
      out += *c++;
      continue;
    }
    const char* end = std::strchr(c, '}');
    const std::string slot(c + 1, end);
    c = end + 1;
    const char op = step.tmpl->op;
    if (slot == "name") out += p.name;
    else if (slot == "prev") out += cast.previous->name;
    else if (slot == "friend") out += cast.friend_->name;
    else if (slot == "He") out += cast.use_names ? p.name : pronoun("She", "He");
    else if (slot == "he") out += cast.use_names ? p.name : pronoun("she", "he");
    else if (slot == "him") out += cast.use_names ? p.name : pronoun("her", "him");
    else if (slot == "His") out += cast.use_names ? std::string(p.name) + "'s" : pronoun("Her", "His");
    else if (slot == "his") out += cast.use_names ? std::string(p.name) + "'s" : pronoun("her", "his");
    else if (slot == "item") out += cast.vocab->item;
    else if (slot == "item1") out += cast.vocab->item1;
    else if (slot == "has") out += cast.vocab->has;
    else if (slot == "have") out += cast.vocab->have;
    else if (slot == "extra") out += cast.vocab->extra;
    else if (slot == "extra1") out += cast.vocab->extra1;
    else if (slot == "a" && first) out += std::to_string(step.left);
    else if (slot == "b" && first) out += std::to_string(step.right);
    else if (slot == "n" && !first) out += std::to_string(step.right);
    else if (slot == "calc") out += calc(op, step.left, step.right, step.result);
    else throw std::logic_error("word problem template has an unknown slot {" + slot + "}: " + text);
  }
  return out;
}

bool mentions_someone_else(const Template& t) {
  return t.new_subject || std::strstr(t.question, "{friend}") || std::strstr(t.question, "{prev}");
}

const Person* draw_person(Rng& rng, const std::vector<const Person*>& taken) {
  for (;;) {
    const Person* p = &people()[rng.below(people().size())];
    if (std::find(taken.begin(), taken.end(), p) == taken.end()) return p;
  }
}

std::pair<std::string, std::string> render_problem(const Draft& draft, Rng& rng) {
  const Family& family = *draft.family;
  std::vector<const Person*> cast_list;
  Cast cast{};
  cast.vocab = &family.vocab[rng.below(family.vocab.size())];
  cast.subject = draw_person(rng, cast_list);
  cast_list.push_back(cast.subject);
  cast.friend_ = draw_person(rng, cast_list);
  cast_list.push_back(cast.friend_);

  std::string question, solution;
  bool others_before = false;
  for (size_t i = 0; i < draft.steps.size(); ++i) {
    const Step& step = draft.steps[i];
    const Template& t = *step.tmpl;
    cast.previous = cast.subject;
    if (t.new_subject) {
      cast.subject = draw_person(rng, cast_list);
      cast_list.push_back(cast.subject);
    }
    const bool others_now = mentions_someone_else(t);
    cast.use_names = others_now || others_before;
    others_before = others_now;
    if (!question.empty()) question += ' ';
    question += render(t.question, cast, step, i == 0);
    solution += render(t.solution, cast, step, i == 0) + "\n";
    if (i + 1 == draft.steps.size()) question += " " + render(t.ask, cast, step, i == 0);
  }
  // Sentences start with a capital even when a slot ("{n} of ...") opens them.
  if (!question.empty()) question[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(question[0])));
  solution += "#### " + std::to_string(draft.steps.back().result);
  return {question, solution};
}

std::string lowercase(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string level_list() {
  std::vector<std::string> names;
  for (const auto& level : word_problem_levels())
    names.push_back(std::to_string(level.number) + " (" + level.name + ")");
  return join(names, ", ");
}

}  // namespace

// ---------------------------------------------------------------------------------------------

void WordProblemOptions::validate() const {
  auto fail = [](const std::string& message) { throw Error("word problems: " + message); };
  if (min_steps < 1 || min_steps > 6) fail("min_steps must be in [1, 6], got " + std::to_string(min_steps));
  if (max_steps < min_steps || max_steps > 6)
    fail("max_steps must be in [min_steps, 6] = [" + std::to_string(min_steps) + ", 6], got " +
         std::to_string(max_steps));
  if (operations.empty()) fail("operations is empty (use any of \"+-*/\")");
  for (char op : operations)
    if (std::string("+-*/").find(op) == std::string::npos)
      fail(std::string("operations may hold only '+', '-', '*', '/', got '") + op + "'");
  constexpr int64_t kLimit = 1'000'000'000'000LL;  // far from overflow in a product
  // Every number is at least 2 (see feasible()), so a difference needs room: 4-2.
  if (max_operand < 4 || max_operand > kLimit)
    fail("max_operand must be in [4, 10^12], got " + std::to_string(max_operand));
  if (max_result < max_operand || max_result > kLimit)
    fail("max_result must be in [max_operand, 10^12] = [" + std::to_string(max_operand) + ", 10^12], got " +
         std::to_string(max_result));
  const bool groups = operations.find_first_of("*/") != std::string::npos;
  if (groups && (max_factor < 2 || max_factor > kLimit))
    fail("max_factor must be in [2, 10^12] when operations include '*' or '/', got " + std::to_string(max_factor));
}

std::string WordProblemOptions::describe() const {
  std::string ops;
  for (char op : unique_operations(operations)) ops += ops.empty() ? std::string(1, op) : std::string(" ") + op;
  std::string text = std::to_string(min_steps);
  if (max_steps != min_steps) text += "-" + std::to_string(max_steps);
  text += max_steps == 1 ? " step" : " steps";
  text += ", " + ops + ", numbers up to " + std::to_string(max_operand);
  if (operations.find_first_of("*/") != std::string::npos) text += ", factors up to " + std::to_string(max_factor);
  return text + ", answers up to " + std::to_string(max_result);
}

const std::vector<WordProblemLevel>& word_problem_levels() {
  // Each level lengthens the chain or widens the numbers; the lowest stays within what a
  // byte-level model on a laptop CPU can learn in a few rounds (1-2 digit sums and differences).
  static const std::vector<WordProblemLevel> levels = [] {
    auto level = [](int number, const char* name, int min_steps, int max_steps, int64_t operand, int64_t factor,
                    int64_t result, const char* ops) {
      WordProblemLevel l;
      l.number = number;
      l.name = name;
      l.options.min_steps = min_steps;
      l.options.max_steps = max_steps;
      l.options.max_operand = operand;
      l.options.max_factor = factor;
      l.options.max_result = result;
      l.options.operations = ops;
      return l;
    };
    return std::vector<WordProblemLevel>{
        level(1, "easy", 1, 1, 20, 10, 40, "+-"),
        level(2, "medium", 1, 2, 20, 5, 100, "+-*/"),
        level(3, "hard", 2, 3, 50, 10, 500, "+-*/"),
        level(4, "harder", 3, 4, 100, 12, 2000, "+-*/"),
        level(5, "hardest", 4, 6, 500, 20, 10000, "+-*/"),
    };
  }();
  return levels;
}

const WordProblemLevel& parse_word_problem_level(std::string_view text) {
  std::string wanted = lowercase(trim(text));
  if (starts_with(wanted, "level-")) wanted = wanted.substr(6);
  else if (starts_with(wanted, "level")) wanted = wanted.substr(5);
  for (const auto& level : word_problem_levels())
    if (wanted == level.name || wanted == std::to_string(level.number)) return level;
  throw Error("unknown word-problem level \"" + std::string(text) + "\": expected one of " + level_list());
}

const char* to_string(WordProblemSplit split) { return split == WordProblemSplit::Test ? "test" : "train"; }

WordProblemSplit word_problem_split_of(std::string_view key) {
  // A fixed salt, never the seed: a key's split must be the same for every seed, or a problem
  // drawn for one seed's test set could turn up in another seed's train set.
  const uint64_t h = mix64(fnv1a64(key, fnv1a64("tpt word problems: split")));
  return h % 5 == 0 ? WordProblemSplit::Test : WordProblemSplit::Train;
}

std::vector<std::string> word_problem_families() {
  std::vector<std::string> names;
  for (const auto& family : families()) names.push_back(family.name);
  return names;
}

std::vector<WordProblem> generate_word_problems(const WordProblemOptions& options, WordProblemSplit split,
                                                int64_t count) {
  options.validate();
  if (count < 0) throw Error("word problems: count must be >= 0, got " + std::to_string(count));
  const std::string operations = unique_operations(options.operations);
  std::vector<WordProblem> out;
  out.reserve(static_cast<size_t>(count));
  std::unordered_set<std::string> seen;
  // The stream can run dry: a small level has a few thousand distinct problems. Giving up after
  // a long run without a new one turns an endless loop into an error a person can act on.
  constexpr uint64_t kMaxMisses = 200000;
  uint64_t misses = 0;
  for (uint64_t draw = 0; static_cast<int64_t>(out.size()) < count; ++draw) {
    if (misses > kMaxMisses)
      throw Error("word problems: only " + std::to_string(out.size()) + " distinct " + to_string(split) +
                  " problems exist for " + options.describe() + "; asked for " + std::to_string(count) +
                  " (ask for fewer, or use a harder level)");
    Rng rng(seeded_key(options.seed, draw));
    std::optional<Draft> draft = draw_structure(options, operations, rng);
    if (!draft || word_problem_split_of(draft->key) != split || !seen.insert(draft->key).second) {
      ++misses;
      continue;
    }
    misses = 0;
    auto [question, solution] = render_problem(*draft, rng);
    WordProblem wp;
    wp.family = draft->family->name;
    wp.key = draft->key;
    wp.steps = static_cast<int>(draft->steps.size());
    wp.problem.id = problem_id(to_string(split), question, solution);
    wp.problem.line = static_cast<long>(out.size()) + 1;
    wp.problem.gold = std::to_string(draft->steps.back().result);
    wp.problem.question = std::move(question);
    wp.problem.solution = std::move(solution);
    out.push_back(std::move(wp));
  }
  return out;
}

void write_gsm8k(const std::string& path, const std::vector<Problem>& problems) {
  const std::string tmp = path + ".tmp";
  try {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw FileError({tmp, 0}, "cannot write file");
    for (const auto& p : problems) {
      // GSM8K's own key order, so the files read like the real dataset.
      nlohmann::ordered_json line;
      line["question"] = p.question;
      line["answer"] = p.solution;
      out << line.dump() << "\n";
    }
    out.flush();
    if (!out) throw FileError({tmp, 0}, "write failed (disk full?)");
  } catch (...) {
    std::error_code ignored;
    std::filesystem::remove(tmp, ignored);
    throw;
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) throw FileError({path, 0}, "cannot replace file: " + ec.message());
}

void write_gsm8k(const std::string& path, const std::vector<WordProblem>& problems) {
  std::vector<Problem> plain;
  plain.reserve(problems.size());
  for (const auto& wp : problems) plain.push_back(wp.problem);
  write_gsm8k(path, plain);
}

}  // namespace tpt
