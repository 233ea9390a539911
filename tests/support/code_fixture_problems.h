// The programming problems of resources/data/code as {id: spec}, for the code judge's test and
// its benchmark, which judge the reference solutions of tests/fixtures/code against them. A few
// lines of our own on purpose, not the data loader: the judge's tests must not depend on the
// loader they would otherwise share a bug with. CodeContests rows give their tests directly; APPS
// rows give stdin/stdout pairs in an embedded JSON string (function-call problems are left out).
#pragma once

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "code/code_problem.h"

namespace tpt::testing {

inline std::string read_text_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

inline std::map<std::string, code::CodeSpec> load_code_fixture_problems(const std::filesystem::path& dir) {
  std::map<std::string, code::CodeSpec> problems;
  std::ifstream codecontests(dir / "codecontests-train300.jsonl");
  for (std::string line; std::getline(codecontests, line);) {
    const auto row = nlohmann::json::parse(line);
    code::CodeSpec spec;
    for (const auto& t : row["tests"]) spec.tests.push_back({t["input"], t["output"], "public"});
    problems[row["id"]] = spec;
  }
  std::ifstream apps(dir / "apps-selected150.jsonl");
  for (std::string line; std::getline(apps, line);) {
    const auto row = nlohmann::json::parse(line);
    const auto io = nlohmann::json::parse(row["input_output"].get<std::string>());
    if (io.contains("fn_name")) continue;
    code::CodeSpec spec;
    for (size_t i = 0; i < io["inputs"].size(); ++i)
      spec.tests.push_back({io["inputs"][i].get<std::string>(), io["outputs"][i].get<std::string>(), "public"});
    problems[row["problem_id"].get<std::string>()] = spec;
  }
  return problems;
}

}  // namespace tpt::testing
