// The sandbox against hostile programs: each test checks the verdict a user sees and that the
// machine is untouched (no process left, no file written, nothing read or reached).
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"
#include "code_test_support.h"
#include "code/sandbox.h"
#include "core/error.h"

using namespace tpt::code;
using code_test::sandbox;

namespace {
RunLimits quick(double seconds = 1.0) { return RunLimits{seconds, std::int64_t{256} << 20}; }
}  // namespace

TPT_TEST(code_sandbox, a_program_reads_its_input_and_prints) {
  auto r = run_program(sandbox(), "import sys\nprint(sum(map(int, sys.stdin.read().split())))\n", "1 2 3\n", quick());
  COMPARE(r.verdict, CodeVerdict::Accepted);
  COMPARE(r.stdout_text, std::string("6\n"));
}

TPT_TEST(code_sandbox, an_endless_loop_is_killed_at_the_time_limit_leaving_no_process) {
  const std::string marker = code_test::unique("tptloop");
  auto r = run_program(sandbox(), code_test::rename_to(marker) + "while True:\n    pass\n", "", quick(1.0));
  COMPARE(r.verdict, CodeVerdict::TimeLimit);
  VERIFY(r.seconds >= 1.0);
  VERIFY(r.seconds < 3.0);
  COMPARE(code_test::processes_named(marker), 0);
}

TPT_TEST(code_sandbox, a_fork_bomb_is_stopped_at_the_process_limit_and_leaves_no_process) {
  const std::string marker = code_test::unique("tptbomb");
  const std::string program = code_test::rename_to(marker) +
                              "import os, time\n"
                              "n = 0\n"
                              "while True:\n"
                              "    try:\n"
                              "        if os.fork() == 0:\n"
                              "            time.sleep(60)\n"
                              "            os._exit(0)\n"
                              "        n += 1\n"
                              "    except OSError:\n"
                              "        break\n"
                              "print(n, flush=True)\n";
  auto r = run_program(sandbox(), program, "", quick(5.0));
  COMPARE(r.verdict, CodeVerdict::Accepted);
  const int forked = std::stoi(r.stdout_text);
  VERIFY(forked > 0);
  VERIFY(forked < 64);  // RLIMIT_NPROC 64, bwrap's own two processes included
  COMPARE(code_test::processes_named(marker), 0);
}

TPT_TEST(code_sandbox, a_memory_bomb_is_a_memory_limit) {
  auto r = run_program(sandbox(), "x = []\nwhile True:\n    x.append(bytearray(10**7))\n", "", quick(5.0));
  COMPARE(r.verdict, CodeVerdict::MemoryLimit);
}

TPT_TEST(code_sandbox, a_flood_of_output_is_an_output_limit_and_is_not_all_kept) {
  auto config = sandbox();
  auto r = run_program(config, "import sys\nfor _ in range(100):\n    sys.stdout.write('x' * 2**20)\n", "", quick(10.0));
  COMPARE(r.verdict, CodeVerdict::OutputLimit);
  VERIFY(static_cast<std::int64_t>(r.stdout_text.size()) <= config.max_output_bytes + 65536);
}

TPT_TEST(code_sandbox, a_program_cannot_write_the_experiment_folder) {
  // A folder outside /tmp, writable by anyone: only the sandbox keeps the program out.
  const auto folder = std::filesystem::current_path() / code_test::unique("code-sandbox-experiment-");
  std::filesystem::create_directories(folder);
  std::filesystem::permissions(folder, std::filesystem::perms::all);
  const auto target = folder / "escaped.txt";
  auto r = run_program(sandbox(),
                       "try:\n    open('" + target.string() + "', 'w').write('x')\n    print('wrote')\n"
                       "except OSError:\n    print('refused')\n",
                       "", quick());
  const bool exists = std::filesystem::exists(target);
  std::filesystem::remove_all(folder);
  COMPARE(r.stdout_text, std::string("refused\n"));
  VERIFY(!exists);
}

TPT_TEST(code_sandbox, a_program_writes_only_a_private_tmp) {
  const std::string name = "/tmp/" + code_test::unique("tpt-sandbox-escape-");
  std::filesystem::remove(name);
  auto r = run_program(sandbox(), "open('" + name + "', 'w').write('x')\nprint(open('" + name + "').read())\n", "", quick());
  COMPARE(r.verdict, CodeVerdict::Accepted);
  COMPARE(r.stdout_text, std::string("x\n"));  // it could write its own /tmp ...
  VERIFY(!std::filesystem::exists(name));      // ... which is not the machine's
}

TPT_TEST(code_sandbox, a_program_has_no_network) {
  // A real listener on the machine's loopback: the sandbox must not reach it.
  int server = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  VERIFY(::bind(server, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  VERIFY(::listen(server, 4) == 0);
  socklen_t len = sizeof addr;
  ::getsockname(server, reinterpret_cast<sockaddr*>(&addr), &len);
  const int port = ntohs(addr.sin_port);
  auto r = run_program(sandbox(),
                       "import socket\n"
                       "for host in ['127.0.0.1', '1.1.1.1']:\n"
                       "    try:\n"
                       "        socket.create_connection((host, " + std::to_string(port) + "), timeout=2)\n"
                       "        print('connected', host)\n"
                       "    except OSError:\n"
                       "        print('blocked', host)\n",
                       "", quick(5.0));
  ::close(server);
  COMPARE(r.stdout_text, std::string("blocked 127.0.0.1\nblocked 1.1.1.1\n"));
}

TPT_TEST(code_sandbox, a_program_cannot_see_home_folders_or_etc) {
  auto r = run_program(sandbox(), "import os\nprint(os.path.exists('/root'), os.path.exists('/home'), os.path.exists('/etc/passwd'))\n", "", quick());
  COMPARE(r.stdout_text, std::string("False False False\n"));
}

TPT_TEST(code_sandbox, a_program_that_closes_stdin_early_is_still_judged) {
  const std::string big_input(1 << 20, '7');
  auto r = run_program(sandbox(), "import os\nos.close(0)\nprint(5)\n", big_input, quick());
  COMPARE(r.verdict, CodeVerdict::Accepted);
  COMPARE(r.stdout_text, std::string("5\n"));
}

TPT_TEST(code_sandbox, errors_are_classified) {
  auto syntax = run_program(sandbox(), "def f(:\n    pass\n", "", quick());
  COMPARE(syntax.verdict, CodeVerdict::SyntaxError);
  VERIFY_CONTAINS(syntax.message, "SyntaxError");
  auto indent = run_program(sandbox(), "if True:\nprint(1)\n", "", quick());
  COMPARE(indent.verdict, CodeVerdict::SyntaxError);
  auto runtime = run_program(sandbox(), "print(1 // 0)\n", "", quick());
  COMPARE(runtime.verdict, CodeVerdict::RuntimeError);
  COMPARE(runtime.message, std::string("ZeroDivisionError: integer division or modulo by zero"));
  // A SyntaxError raised while running (exec) is the program failing, not failing to compile.
  auto late = run_program(sandbox(), "exec('def f(:')\n", "", quick());
  COMPARE(late.verdict, CodeVerdict::RuntimeError);
  auto exit3 = run_program(sandbox(), "import sys\nsys.exit(3)\n", "", quick());
  COMPARE(exit3.verdict, CodeVerdict::RuntimeError);
  COMPARE(exit3.exit_code, 3);
}

TPT_TEST(code_sandbox, check_sandbox_passes_here_and_names_the_fix_when_bwrap_is_missing) {
  check_sandbox(sandbox());
  SandboxConfig missing;
  missing.bwrap = "/nonexistent/bwrap";
  VERIFY_THROWS_WITH(check_sandbox(missing), "/nonexistent/bwrap");
  VERIFY_THROWS_WITH(check_sandbox(missing), "apt install bubblewrap");
  VERIFY_THROWS_WITH(check_sandbox(missing), "\"sandbox\": {\"mode\": \"unsandboxed\"}");
}

TPT_TEST(code_sandbox, the_unsandboxed_opt_in_still_limits_time) {
  SandboxConfig config;
  config.mode = SandboxMode::Unsandboxed;
  auto ok = run_program(config, "print(input())\n", "hi\n", quick());
  COMPARE(ok.stdout_text, std::string("hi\n"));
  const std::string marker = code_test::unique("tptfree");
  auto loop = run_program(config, code_test::rename_to(marker) + "while True:\n    pass\n", "", quick(1.0));
  COMPARE(loop.verdict, CodeVerdict::TimeLimit);
  COMPARE(code_test::processes_named(marker), 0);
}

TPT_TEST(code_sandbox, config_reads_json_and_reports_every_bad_field_with_its_path) {
  auto config = SandboxConfig::from_json(nlohmann::json::parse(R"({"mode": "unsandboxed", "workers": 3, "extra_time_s": 10})"));
  COMPARE(config.mode, SandboxMode::Unsandboxed);
  COMPARE(config.workers, 3);
  COMPARE(config.extra_time_s, 10.0);
  COMPARE(SandboxConfig::from_json(config.to_json()).to_json(), config.to_json());
  std::vector<tpt::FieldIssue> issues;
  SandboxConfig::parse(nlohmann::json::parse(R"({"mode": "docker", "workers": -1, "python": "python3", "max_proceses": 5})"),
                       "sandbox", issues);
  std::string all;
  for (const auto& issue : issues) all += issue.to_string() + "\n";
  VERIFY_CONTAINS(all, "sandbox.mode");
  VERIFY_CONTAINS(all, "sandbox.workers");
  VERIFY_CONTAINS(all, "sandbox.python: expected an absolute path");
  VERIFY_CONTAINS(all, "sandbox.max_proceses");
  CodeSpec spec;
  COMPARE(config.time_limit_for(spec), 20.0);  // default 10 s + 10 s extra
  spec.time_limit_s = 2.0;
  spec.memory_limit_bytes = 1 << 20;  // below what Python starts in
  COMPARE(config.time_limit_for(spec), 12.0);
  COMPARE(config.memory_limit_for(spec), SandboxConfig::kMemoryFloorBytes);
}
