// Writes the screenshots in docs/screenshots: each mode of the main window at 1366×768 and
// 1920×1080 on a finished experiment (mode-NAME-WxH.png), and the window during a run. Not a
// test; run it under Xvfb:
//
//   xvfb-run -s "-screen 0 1920x1080x24" build/tpt_screenshots docs/screenshots DONE_DIR [RUN_DIR]
//
// RUN_DIR is started, photographed once it is busy, then cancelled (it resumes later). When
// DONE_DIR samples on a server (sampler.backend "openai"), setup-sampler.png shows the form's
// sampler section; when it trains with an external command (trainer.backend "command"),
// setup-trainer.png shows the trainer section; when RUN_DIR samples on a server, run-server.png
// shows the Run panel's Server log.
//
//   xvfb-run -s "-screen 0 1920x1080x24" build/tpt_screenshots --code docs/screenshots
//
// writes trace-browser-code.png: the trace browser at 1920x1080 on a code problem's samples (a
// store written here with made-up judgements, so no sandbox or model is needed).
//
//   xvfb-run -s "-screen 0 1600x1000x24" build/tpt_screenshots --report DONE_DIR OUT_DIR
//
// writes the one-click report of DONE_DIR as OUT_DIR/report.html and report.pdf, and the Present
// page at 1600x1000 (full screen on a laptop) and 1100x700 (a page of the main window) as
// present.png and present-page.png. docs/screenshots/report.png is report.html drawn by a browser
// (docs/workbench.md says how).
#include <QApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QGroupBox>
#include <QScrollArea>
#include <QScrollBar>
#include <QTabWidget>
#include <QSignalSpy>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTimer>

#include <cstdio>

#include "chart_panel.h"
#include "code/code_problem.h"
#include "code_sample_view.h"
#include "store/store.h"
#include "trace_browser.h"
#include "main_window.h"
#include "presentation_window.h"
#include "report.h"
#include "run_bridge.h"
#include "run_panel.h"
#include "runtime/torch_runtime.h"
#include "setup_panel.h"

namespace {

void settle(int ms) {
  QElapsedTimer clock;
  clock.start();
  while (clock.elapsed() < ms) QApplication::processEvents(QEventLoop::AllEvents, 20);
}

bool save(QWidget* widget, const QString& path) {
  const bool ok = widget->grab().save(path);
  std::fprintf(stderr, "%s %s\n", ok ? "wrote" : "could not write", qPrintable(path));
  return ok;
}

// A CodeContests-style problem and four judged programs: a wrong answer (the one shown), an
// accepted one, a time limit and a runtime error. Returns the wrong answer's sample id.
std::int64_t writeCodeExperiment(const QString& dir) {
  namespace s = tpt::store;
  using tpt::code::CodeVerdict;
  s::Store store((dir + QStringLiteral("/experiment.sqlite")).toStdString());
  s::ExperimentRecord e;
  e.name = "codecontests-demo";
  const auto experiment = store.create_experiment(e);
  const auto round = store.ensure_round(experiment, 1);
  tpt::code::CodeSpec spec;
  spec.tests = {{"2\n3 2\n4 5 1\n4 3\n1 9 2 5\n", "9\n16\n", "public"},
                {"3\n1 1\n-3\n5 2\n7 7 1 1 7\n3 3\n-1 -2 -3\n", "-3\n14\n-6\n", "private"},
                {"2\n6 3\n2 8 3 8 1 2\n4 4\n1 2 3 4\n", "19\n10\n", "private"},
                {"1\n5 1\n1000000000 -1 -1 -1 -1\n", "1000000000\n", "generated"}};
  spec.time_limit_s = 2.0;
  spec.memory_limit_bytes = std::int64_t{256} << 20;
  s::ProblemRecord problem;
  problem.experiment_id = experiment;
  problem.split = "train";
  problem.problem_key = "1743A-largest-k";
  problem.question =
      "You are given t queries. Each query is an array a of n integers and a number k. Print the largest sum "
      "of k elements of the array.\n\nInput: the first line holds t (1 <= t <= 10^4). Each query is two lines: "
      "n and k (1 <= k <= n <= 2*10^5), then a_1 ... a_n (|a_i| <= 10^9).\nOutput: for each query, one line with "
      "the answer.";
  problem.gold = spec.to_json().dump();
  const auto problemId = store.upsert_problems({problem}).front();

  const std::string wrongProgram =
      "import sys\n"
      "\n"
      "def main():\n"
      "    \"\"\"Sort each query's array and add up its k largest values.\n"
      "    Reads everything at once: t can be 10^4.\"\"\"\n"
      "    data = sys.stdin.buffer.read().split()\n"
      "    t, pos = int(data[0]), 1\n"
      "    out = []\n"
      "    for _ in range(t):\n"
      "        n, k = int(data[pos]), int(data[pos + 1])\n"
      "        a = sorted(map(int, data[pos + 2:pos + 2 + n]), reverse=True)\n"
      "        pos += 2 + n\n"
      "        # keep only the positive ones, the rest cannot help\n"
      "        best = [x for x in a[:k] if x > 0] or a[:1]\n"
      "        out.append(str(sum(best)))\n"
      "    print(\"\\n\".join(out))\n"
      "\n"
      "if __name__ == \"__main__\":\n"
      "    main()";
  const std::string wrongText =
      "We need the k largest elements of each array, so sort it in decreasing order and take a prefix of "
      "length k. Negative numbers only lower the sum, so I skip them.\n\n```python\n" +
      wrongProgram + "\n```\n\nSorting costs O(n log n) per query, well within the limits.";
  const std::string acceptedProgram =
      "import sys, heapq\n"
      "data = sys.stdin.read().split()\n"
      "t, p = int(data[0]), 1\n"
      "for _ in range(t):\n"
      "    n, k = int(data[p]), int(data[p + 1])\n"
      "    print(sum(heapq.nlargest(k, map(int, data[p + 2:p + 2 + n]))))\n"
      "    p += 2 + n";
  const std::string slowProgram =
      "t = int(input())\nfor _ in range(t):\n    n, k = map(int, input().split())\n    a = list(map(int, "
      "input().split()))\n    while len(a) > k:\n        a.remove(min(a))\n    print(sum(a))";
  const std::string crashProgram =
      "t = int(input())\nfor _ in range(t):\n    n, k = map(int, input().split())\n    a = sorted(map(int, "
      "input().split()))\n    print(sum(a[n - k:n + k]) // k * k)\n    print(a[k])";

  auto sample = [&](int index, const std::string& text, int tokens) {
    s::SampleRecord r;
    r.round_id = round;
    r.problem_id = problemId;
    r.sample_index = index;
    r.text = text;
    r.token_count = tokens;
    r.finish_reason = "stop";
    r.sampling.temperature = 1.0;
    r.sampling.max_new_tokens = 2048;
    return r;
  };
  auto fenced = [](const std::string& intro, const std::string& program) {
    return intro + "\n\n```python\n" + program + "\n```";
  };
  const auto ids = store
                       .insert_samples({sample(0, wrongText, 236),
                                        sample(1, fenced("A heap gives the k largest directly.", acceptedProgram), 118),
                                        sample(2, fenced("Remove the smallest until k are left.", slowProgram), 97),
                                        sample(3, fenced("Sort, then slice.", crashProgram), 88)})
                       .ids;

  auto judgement = [&](CodeVerdict verdict, const std::string& program, std::vector<tpt::code::TestOutcome> tests,
                       const std::string& message) {
    tpt::code::CodeJudgement j;
    j.verdict = verdict;
    j.total = static_cast<int>(spec.tests.size());
    j.public_total = 1;
    j.run = static_cast<int>(tests.size());
    for (const auto& t : tests) {
      if (t.verdict == CodeVerdict::Accepted) {
        ++j.passed;
        if (t.index == 0) ++j.public_passed;
      } else if (!j.first_failure) {
        j.first_failure = t.index;
      }
    }
    j.program = program;
    j.message = message;
    j.tests = std::move(tests);
    return j;
  };
  const auto wrong = judgement(CodeVerdict::WrongAnswer, wrongProgram,
                               {{0, CodeVerdict::Accepted, "9\n16\n", "", 0.061, 0},
                                {1, CodeVerdict::WrongAnswer, "-3\n14\n-1\n", "token 3: expected \"-6\", got \"-1\"", 0.058, 0}},
                               "wrong answer on test 2 of 4 (1 passed)");
  const auto accepted = judgement(CodeVerdict::Accepted, acceptedProgram,
                                  {{0, CodeVerdict::Accepted, "9\n16\n", "", 0.052, 0},
                                   {1, CodeVerdict::Accepted, "-3\n14\n-6\n", "", 0.049, 0},
                                   {2, CodeVerdict::Accepted, "19\n10\n", "", 0.051, 0},
                                   {3, CodeVerdict::Accepted, "1000000000\n", "", 0.050, 0}},
                                  "accepted: 4 of 4 tests passed");
  const auto slow = judgement(CodeVerdict::TimeLimit, slowProgram,
                              {{0, CodeVerdict::TimeLimit, "", "killed after 3.0 s (time limit)", 3.004, -9}},
                              "time limit on test 1 of 4 (0 passed)");
  const auto crash = judgement(CodeVerdict::RuntimeError, crashProgram,
                               {{0, CodeVerdict::RuntimeError, "9\n",
                                 "Traceback (most recent call last):\n  File \"main.py\", line 5, in <module>\n"
                                 "IndexError: list index out of range",
                                 0.047, 1}},
                               "runtime error on test 1 of 4 (0 passed)");
  auto decision = [&](std::int64_t id, const tpt::code::CodeJudgement& j) {
    s::DecisionRecord d;
    d.sample_id = id;
    d.kept = j.verdict == CodeVerdict::Accepted;
    d.dropped_by = d.kept ? "" : "tests_pass";
    d.verdict = d.kept ? tpt::prune::Verdict::Correct : tpt::prune::Verdict::Wrong;
    d.extracted = tpt::code::to_string(j.verdict);
    d.rules = {{"tests_pass", d.kept ? tpt::prune::Outcome::Pass : tpt::prune::Outcome::Fail, d.kept ? "" : j.message}};
    d.reason = d.kept ? "" : j.message;
    d.detail = j.to_json().dump();
    return d;
  };
  store.write_decisions({decision(ids[0], wrong), decision(ids[1], accepted), decision(ids[2], slow),
                         decision(ids[3], crash)});
  return ids[0];
}

int codeScreenshot(const QString& out) {
  QTemporaryDir dir;
  const std::int64_t shown = writeCodeExperiment(dir.path());
  tpt::ui::TraceBrowser browser;
  browser.setWindowTitle(QStringLiteral("Traces"));
  browser.resize(1920, 1080);
  browser.show();
  browser.setExperiment(dir.path());
  if (!browser.selectSample(shown)) return 1;
  settle(800);
  return save(&browser, out + QStringLiteral("/trace-browser-code.png")) ? 0 : 1;
}

int reportFiles(const QString& experiment, const QString& out) {
  QString error;
  bool ok = tpt::ui::writeReport(experiment, out + QStringLiteral("/report.html"), &error);
  ok = ok && tpt::ui::writeReportPdf(experiment, out + QStringLiteral("/report.pdf"), &error);
  if (!ok) {
    std::fprintf(stderr, "%s\n", qPrintable(error));
    return 1;
  }
  std::fprintf(stderr, "wrote %s/report.html and report.pdf\n", qPrintable(out));
  for (const QSize size : {QSize(1600, 1000), QSize(1100, 700)}) {
    tpt::ui::PresentationWindow page(experiment);
    page.resize(size);
    page.show();
    settle(600);
    ok &= save(&page, out + (size.width() > 1500 ? QStringLiteral("/present.png") : QStringLiteral("/present-page.png")));
  }
  return ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  QApplication app(argc, argv);
  QApplication::setOrganizationName(QStringLiteral("TPT Workbench Screenshots"));
  QApplication::setApplicationName(QStringLiteral("tpt_screenshots"));
  if (argc == 3 && QString::fromLocal8Bit(argv[1]) == QStringLiteral("--code")) {
    QDir().mkpath(QString::fromLocal8Bit(argv[2]));
    return codeScreenshot(QString::fromLocal8Bit(argv[2]));
  }
  if (argc == 4 && QString::fromLocal8Bit(argv[1]) == QStringLiteral("--report")) {
    QDir().mkpath(QString::fromLocal8Bit(argv[3]));
    return reportFiles(QString::fromLocal8Bit(argv[2]), QString::fromLocal8Bit(argv[3]));
  }
  if (argc < 3) {
    std::fprintf(stderr, "usage: tpt_screenshots OUT_DIR DONE_EXPERIMENT [RUN_EXPERIMENT]\n"
                         "       tpt_screenshots --code OUT_DIR\n"
                         "       tpt_screenshots --report DONE_EXPERIMENT OUT_DIR\n");
    return 2;
  }
  const QString out = QString::fromLocal8Bit(argv[1]);
  QDir().mkpath(out);
  tpt::runtime::init_runtime();

  tpt::ui::MainWindow window;
  window.show();
  if (!window.openExperiment(QString::fromLocal8Bit(argv[2]))) return 1;
  bool ok = true;
  // Each mode at the two screens the layouts are made for, as they open: nothing resized.
  using Mode = tpt::ui::MainWindow::Mode;
  const struct {
    Mode mode;
    const char* name;
  } modes[] = {{Mode::Setup, "setup"},       {Mode::Run, "run"},           {Mode::Review, "review"},
               {Mode::Pruning, "pruning"},   {Mode::Problems, "problems"}, {Mode::Present, "present"}};
  for (const QSize size : {QSize(1366, 768), QSize(1920, 1080)}) {
    window.setGeometry(QRect(QPoint(0, 0), size));
    for (const auto& m : modes) {
      window.setMode(m.mode);
      settle(700);
      // A mode that needs more than the screen has grows the window past it: say so.
      if (window.size() != size) {
        std::fprintf(stderr, "warning: mode %s needs %dx%d, more than %dx%d\n", m.name, window.width(), window.height(),
                     size.width(), size.height());
        for (QWidget* w : window.modePage(m.mode)->findChildren<QWidget*>())
          if (w->minimumSizeHint().width() > 500 || w->minimumWidth() > 500)
            std::fprintf(stderr, "  %s %s %d %d\n", w->metaObject()->className(), qPrintable(w->objectName()),
                         w->minimumSizeHint().width(), w->minimumWidth());
      }
      ok &= save(&window, out + QStringLiteral("/mode-%1-%2x%3.png").arg(QString::fromLatin1(m.name)).arg(size.width()).arg(size.height()));
    }
  }
  window.setGeometry(QRect(0, 0, 1366, 768));
  window.setMode(Mode::Setup);
  settle(500);
  if (window.setupPanel()->document().value("sampler", nlohmann::json::object()).value("backend", "") == "openai") {
    // The sampler section sits below the fold: scroll it into view first.
    QWidget* section = window.setupPanel()->fieldFor(QStringLiteral("sampler.backend"))->parentWidget();
    if (auto* scroll = window.setupPanel()->findChild<QScrollArea*>()) scroll->ensureWidgetVisible(section, 0, 0);
    settle(300);
    ok &= save(window.setupPanel(), out + QStringLiteral("/setup-sampler.png"));
  }
  if (window.setupPanel()->document().value("trainer", nlohmann::json::object()).value("backend", "") == "command") {
    // The section at the top, with the Train settings it hands to the trainer below it.
    QWidget* section = window.setupPanel()->fieldFor(QStringLiteral("trainer.backend"))->parentWidget();
    if (auto* scroll = window.setupPanel()->findChild<QScrollArea*>())
      scroll->verticalScrollBar()->setValue(section->y() - 4);
    settle(300);
    ok &= save(window.setupPanel(), out + QStringLiteral("/setup-trainer.png"));
  }

  if (argc > 3) {
    window.openExperiment(QString::fromLocal8Bit(argv[3]));
    window.setMode(Mode::Run);
    QSignalSpy finished(window.bridge(), &tpt::ui::RunBridge::finished);
    QSignalSpy progress(window.bridge(), &tpt::ui::RunBridge::progressed);
    window.startRun();
    // Wait until Think or Train is well under way.
    QElapsedTimer clock;
    clock.start();
    while (clock.elapsed() < 600000 && finished.isEmpty()) {
      settle(200);
      const QString status = window.runPanel()->statusText();
      // A phase on a server is busy once the server is up, not while it loads.
      const QString server = window.runPanel()->serverStatusText();
      const bool serverUp = server.isEmpty() || server.contains(QStringLiteral("ready"));
      if (progress.count() > 40 && serverUp &&
          (status.contains(QStringLiteral("think")) || status.contains(QStringLiteral("train"))))
        break;
    }
    settle(500);
    ok &= save(&window, out + QStringLiteral("/run-window.png"));
    if (!window.runPanel()->serverStatusText().isEmpty()) {
      auto* tabs = window.runPanel()->findChild<QTabWidget*>(QStringLiteral("logTabs"));
      tabs->setCurrentWidget(tabs->findChild<QWidget*>(QStringLiteral("serverLog")));
      settle(300);
      ok &= save(window.runPanel(), out + QStringLiteral("/run-server.png"));
      tabs->setCurrentIndex(0);
    }
    window.bridge()->cancel();
    while (finished.isEmpty()) settle(100);
  }
  return ok ? 0 : 1;
}
