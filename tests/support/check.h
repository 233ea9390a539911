// A minimal, Qt-free test harness for the engine's tests.
//
// The engine must build and be tested on machines without Qt (the GPU machine has libtorch
// but no Qt), so its tests cannot depend on Qt Test. The GUI tests use Qt Test. Output
// follows Qt Test's shape so both read the same in ctest logs:
//
//   PASS   : extract::strict_takes_the_first_hash_line
//   FAIL!  : extract::flexible_takes_the_last_number
//      Loc: [tests/engine/test_extract.cpp(42)] got "12", expected "13"
//   Totals: 41 passed, 1 failed, 0 skipped
//
// Usage:
//   TPT_TEST(extract, strict_takes_the_first_hash_line) { COMPARE(extract(...), "72"); }
// and link the test executable against tpt_test_main. Run one test with a name filter:
//   ./test_prune strict      (runs the tests whose "suite::name" contains "strict")
// The macros are named after Qt Test's (VERIFY, COMPARE) rather than CHECK: c10, which torch
// tests include, already defines CHECK and CHECK_EQ.
#pragma once

#include <cmath>
#include <functional>
#include <sstream>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace tpt::testing {

struct TestCase {
  std::string suite;
  std::string name;
  std::function<void()> body;
};

std::vector<TestCase>& registry();

struct Registrar {
  Registrar(const char* suite, const char* name, std::function<void()> body) {
    registry().push_back({suite, name, std::move(body)});
  }
};

// Thrown by a failed VERIFY or COMPARE: ends the current test case, not the executable.
struct Failure {
  std::string file;
  int line;
  std::string message;
};
struct Skip {
  std::string message;
};

template <typename T>
std::string show(const T& value) {
  if constexpr (std::is_convertible_v<T, std::string>) {
    return "\"" + std::string(value) + "\"";
  } else if constexpr (std::is_same_v<T, bool>) {
    return value ? "true" : "false";
  } else if constexpr (std::is_enum_v<T>) {
    return std::to_string(static_cast<long long>(value));
  } else {
    std::ostringstream out;
    out.precision(17);
    out << value;
    return out.str();
  }
}

// The directory of test data (GSM8K copy, fixtures), set by CMake.
std::string data_dir();
// A fresh, empty temporary directory for this test executable (removed at exit).
std::string temp_dir();

// The compared value, always as a copy (a temporary is moved): a reference into a temporary,
// such as `get_round(id)->model_path` or `File(path).metadata().at("format")`, is an lvalue
// whose object dies at the end of the full expression. Binding it would leave a dangling
// reference (AddressSanitizer found two in the test suite).
template <typename T>
std::decay_t<T> kept(T&& value) {
  return std::forward<T>(value);
}

}  // namespace tpt::testing

#define TPT_TEST_CONCAT2(a, b) a##b
#define TPT_TEST_CONCAT(a, b) TPT_TEST_CONCAT2(a, b)

#define TPT_TEST(suite, name)                                                        \
  static void TPT_TEST_CONCAT(test_, TPT_TEST_CONCAT(suite, TPT_TEST_CONCAT(_, name)))(); \
  static ::tpt::testing::Registrar TPT_TEST_CONCAT(registrar_, TPT_TEST_CONCAT(suite, TPT_TEST_CONCAT(_, name)))( \
      #suite, #name, &TPT_TEST_CONCAT(test_, TPT_TEST_CONCAT(suite, TPT_TEST_CONCAT(_, name))));                    \
  static void TPT_TEST_CONCAT(test_, TPT_TEST_CONCAT(suite, TPT_TEST_CONCAT(_, name)))()

#define TPT_FAIL(msg) throw ::tpt::testing::Failure{__FILE__, __LINE__, (msg)}

#define VERIFY(cond)                                         \
  do {                                                      \
    if (!(cond)) TPT_FAIL(std::string("VERIFY(") + #cond + ") is false"); \
  } while (0)

#define COMPARE(actual, expected)                                                          \
  do {                                                                                      \
    const auto& tpt_a_ = ::tpt::testing::kept(actual);                                      \
    const auto& tpt_e_ = ::tpt::testing::kept(expected);                                    \
    if (!(tpt_a_ == tpt_e_))                                                                \
      TPT_FAIL(std::string(#actual) + ": got " + ::tpt::testing::show(tpt_a_) + ", expected " + \
               ::tpt::testing::show(tpt_e_));                                               \
  } while (0)

#define COMPARE_NEAR(actual, expected, tolerance)                                              \
  do {                                                                                       \
    const double tpt_a_ = (actual), tpt_e_ = (expected);                                     \
    if (!(std::fabs(tpt_a_ - tpt_e_) <= (tolerance)))                                        \
      TPT_FAIL(std::string(#actual) + ": got " + ::tpt::testing::show(tpt_a_) + ", expected " + \
               ::tpt::testing::show(tpt_e_) + " within " + ::tpt::testing::show(tolerance)); \
  } while (0)

// Checks that `stmt` throws an exception whose what() contains `fragment`.
#define VERIFY_THROWS_WITH(stmt, fragment)                                                     \
  do {                                                                                        \
    bool tpt_threw_ = false;                                                                  \
    try {                                                                                     \
      stmt;                                                                                   \
    } catch (const std::exception& tpt_ex_) {                                                 \
      tpt_threw_ = true;                                                                      \
      if (std::string(tpt_ex_.what()).find(fragment) == std::string::npos)                    \
        TPT_FAIL(std::string("exception message \"") + tpt_ex_.what() + "\" lacks \"" + (fragment) + "\""); \
    }                                                                                         \
    if (!tpt_threw_) TPT_FAIL(std::string(#stmt) + " did not throw");                         \
  } while (0)

#define VERIFY_CONTAINS(haystack, needle)                                                         \
  do {                                                                                           \
    const std::string tpt_h_ = (haystack), tpt_n_ = (needle);                                    \
    if (tpt_h_.find(tpt_n_) == std::string::npos)                                                \
      TPT_FAIL(std::string(#haystack) + ": \"" + tpt_h_ + "\" does not contain \"" + tpt_n_ + "\""); \
  } while (0)

#define SKIP(msg) throw ::tpt::testing::Skip{(msg)}
