// Reviewing code samples: the trace browser on a real experiment store holding a code problem
// (three unit tests in its gold) whose sample's program failed the second test, an unsandboxed
// accepted sample, and a math sample. What is asserted is what a reviewer sees: the verdict line,
// the tests listed with the unrun one marked, the differing output token marked, Python keywords
// coloured only inside the program, and a math trace shown trace first. Also the Pruning
// panel's tests_pass editor and the funnel's code verdict summary, and the Setup panel's warning
// when programs run unsandboxed.
#include <QComboBox>
#include <QLabel>
#include <QListWidget>
#include <QPlainTextEdit>
#include <QSettings>
#include <QTableView>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTextBlock>
#include <QTextBrowser>
#include <QTextDocument>
#include <QTextLayout>
#include <QtTest>

#include "code/code_problem.h"
#include "config/experiment_config.h"
#include "code_sample_view.h"
#include "python_highlighter.h"
#include "rules_panel.h"
#include "sample_table_model.h"
#include "setup_panel.h"
#include "store/store.h"
#include "trace_browser.h"
#include "ui_test_setup.h"

using tpt::code::CodeJudgement;
using tpt::code::CodeSpec;
using tpt::code::CodeVerdict;
using tpt::ui::PythonHighlighter;

namespace {

const char* kProgram =
    "import sys\n"
    "\n"
    "def main():\n"
    "    \"\"\"Sum of the two numbers,\n"
    "    plus a bug.\"\"\"\n"
    "    a, b = map(int, sys.stdin.read().split())\n"
    "    print(a + b + (1 if a > 1 else 0))  # off by one\n"
    "\n"
    "main()";

std::string codeCompletion() {
  return std::string("I read the two numbers and print their sum.\n\n```python\n") + kProgram +
         "\n```\n\nThis prints the sum.";
}

CodeSpec sumSpec() {
  CodeSpec spec;
  spec.tests = {{"1 2\n", "3\n", "public"}, {"2 3\n", "5\n", "private"}, {"10 20\n", "30\n", "generated"}};
  spec.time_limit_s = 2.0;
  return spec;
}

// Wrong answer on test 2 (index 1): expected "5", got "6"; judging stopped there.
CodeJudgement wrongOnTestTwo() {
  CodeJudgement j;
  j.verdict = CodeVerdict::WrongAnswer;
  j.passed = 1;
  j.run = 2;
  j.total = 3;
  j.public_total = 1;
  j.public_passed = 1;
  j.first_failure = 1;
  j.program = kProgram;
  j.message = "wrong answer on test 2 of 3 (1 passed)";
  j.sandboxed = true;
  j.tests = {{0, CodeVerdict::Accepted, "3\n", "", 0.04, 0},
             {1, CodeVerdict::WrongAnswer, "6\n", "token 1: expected \"5\", got \"6\"", 0.05, 0}};
  return j;
}

CodeJudgement acceptedUnsandboxed() {
  CodeJudgement j;
  j.verdict = CodeVerdict::Accepted;
  j.passed = j.run = j.total = 3;
  j.public_total = j.public_passed = 1;
  j.program = "print(sum(map(int, input().split())))";
  j.message = "accepted: 3 of 3 tests passed";
  j.sandboxed = false;
  for (int i = 0; i < 3; ++i) j.tests.push_back({i, CodeVerdict::Accepted, sumSpec().tests[size_t(i)].output, "", 0.03, 0});
  return j;
}

const char* kMathTrace = "Six boxes of 7: <<6*7=42>>42 apples.\n#### 42";

struct Ids {
  std::int64_t wrong = 0, unsandboxed = 0, math = 0;
};

// A real experiment.sqlite: a code problem with two judged samples and a math problem with one.
Ids writeStore(const QString& dir) {
  namespace s = tpt::store;
  s::Store store((dir + QStringLiteral("/experiment.sqlite")).toStdString());
  s::ExperimentRecord e;
  e.name = "code-review";
  const auto experiment = store.create_experiment(e);
  const auto round = store.ensure_round(experiment, 1);
  s::ProblemRecord code;
  code.experiment_id = experiment;
  code.split = "train";
  code.problem_key = "cc/sum-two";
  code.question = "Read two integers a and b.\nPrint a + b.";
  code.gold = sumSpec().to_json().dump();
  s::ProblemRecord math;
  math.experiment_id = experiment;
  math.split = "train";
  math.problem_key = "gsm8k/7";
  math.question = "How many apples are in six boxes of 7?";
  math.gold = "42";
  const auto problems = store.upsert_problems({code, math});

  auto sample = [&](std::int64_t problem, int index, const std::string& text) {
    s::SampleRecord r;
    r.round_id = round;
    r.problem_id = problem;
    r.sample_index = index;
    r.text = text;
    r.token_count = 80;
    r.finish_reason = "stop";
    return r;
  };
  const auto ids = store
                       .insert_samples({sample(problems[0], 0, codeCompletion()),
                                        sample(problems[0], 1, "```python\nprint(sum(map(int, input().split())))\n```"),
                                        sample(problems[1], 0, kMathTrace)})
                       .ids;
  s::DecisionRecord wrong;
  wrong.sample_id = ids[0];
  wrong.kept = false;
  wrong.dropped_by = "tests_pass";
  wrong.reason = "wrong answer on test 2 of 3 (1 passed)";
  wrong.verdict = tpt::prune::Verdict::Wrong;
  wrong.extracted = "wrong_answer";
  wrong.rules = {{"tests_pass", tpt::prune::Outcome::Fail, "wrong answer on test 2 of 3 (1 passed)"}};
  wrong.detail = wrongOnTestTwo().to_json().dump();
  s::DecisionRecord accepted;
  accepted.sample_id = ids[1];
  accepted.kept = true;
  accepted.verdict = tpt::prune::Verdict::Correct;
  accepted.extracted = "accepted";
  accepted.rules = {{"tests_pass", tpt::prune::Outcome::Pass, ""}};
  accepted.detail = acceptedUnsandboxed().to_json().dump();
  s::DecisionRecord mathDecision;
  mathDecision.sample_id = ids[2];
  mathDecision.kept = true;
  mathDecision.verdict = tpt::prune::Verdict::Correct;
  mathDecision.extracted = "42";
  mathDecision.rules = {{"correct_answer", tpt::prune::Outcome::Pass, ""}};
  store.write_decisions({wrong, accepted, mathDecision});
  return {ids[0], ids[1], ids[2]};
}

// The highlighter's format over `column` of `block`, if any.
std::optional<QTextCharFormat> highlightAt(const QTextBlock& block, int column) {
  for (const auto& range : block.layout()->formats())
    if (range.start <= column && column < range.start + range.length) return range.format;
  return std::nullopt;
}

QTextBlock blockStartingWith(QTextDocument* doc, const QString& prefix) {
  for (QTextBlock b = doc->begin(); b.isValid(); b = b.next())
    if (b.text().startsWith(prefix)) return b;
  return {};
}

QColor backgroundAt(QPlainTextEdit* view, int position) {
  QTextCursor cursor(view->document());
  cursor.setPosition(position + 1);  // the format of the character before the cursor
  return cursor.charFormat().background().color();
}

}  // namespace

class TestCodeReview : public QObject {
  Q_OBJECT

  QTemporaryDir m_tmp;
  Ids m_ids;

 private Q_SLOTS:
  void initTestCase() {
    tpt::testing::isolateSettings(QStringLiteral("test_code_review"));
    m_ids = writeStore(m_tmp.path());
  }

  void aFailedProgramShowsItsVerdictTestsAndTheDifferingToken() {
    tpt::ui::TraceBrowser browser;
    browser.resize(1400, 900);
    browser.setExperiment(m_tmp.path());
    QVERIFY(browser.selectSample(m_ids.wrong));
    tpt::ui::CodeSampleView* view = browser.codeView();
    QVERIFY(view->isVisibleTo(&browser));

    const QString verdict = view->verdictText();
    QVERIFY2(verdict.startsWith(QStringLiteral("Wrong answer — 1 of 3 tests passed")), qPrintable(verdict));
    QVERIFY2(verdict.contains(QStringLiteral("2 run")), qPrintable(verdict));
    QVERIFY2(verdict.contains(QStringLiteral("wrong answer on test 2 of 3 (1 passed)")), qPrintable(verdict));
    QVERIFY(!verdict.contains(QStringLiteral("unsandboxed")));
    // The statement, not the tests' JSON, heads the detail.
    const QString header = browser.findChild<QTextBrowser*>(QStringLiteral("traceDetail"))->toPlainText();
    QVERIFY2(header.contains(QStringLiteral("Print a + b.")), qPrintable(header));
    QVERIFY2(header.contains(QStringLiteral("3 (1 public, 1 private, 1 generated)")), qPrintable(header));
    QVERIFY(!header.contains(QStringLiteral("\"tests\"")));
    QVERIFY(header.contains(QStringLiteral("dropped by tests_pass")));

    QTableWidget* tests = view->testTable();
    QCOMPARE(tests->rowCount(), 3);
    QCOMPARE(tests->item(0, 1)->text(), QStringLiteral("public"));
    QCOMPARE(tests->item(0, 2)->text(), QStringLiteral("accepted"));
    QCOMPARE(tests->item(1, 1)->text(), QStringLiteral("private"));
    QCOMPARE(tests->item(1, 2)->text(), QStringLiteral("wrong answer"));
    QCOMPARE(tests->item(1, 3)->text(), QStringLiteral("0.05"));
    QCOMPARE(tests->item(2, 1)->text(), QStringLiteral("generated"));
    QCOMPARE(tests->item(2, 2)->text(), QStringLiteral("not run"));
    QCOMPARE(tests->item(2, 3)->text(), QString());

    // It opens on the failing test: input, expected and actual side by side, "6" marked.
    QCOMPARE(tests->currentRow(), 1);
    QCOMPARE(view->inputView()->toPlainText(), QStringLiteral("2 3\n"));
    QCOMPARE(view->expectedView()->toPlainText(), QStringLiteral("5\n"));
    QCOMPARE(view->actualView()->toPlainText(), QStringLiteral("6\n"));
    QCOMPARE(backgroundAt(view->actualView(), 0), tpt::ui::CodeSampleView::actualMark());
    QCOMPARE(backgroundAt(view->expectedView(), 0), tpt::ui::CodeSampleView::expectedMark());
    QVERIFY2(view->testMessage().contains(QStringLiteral("token 1: expected &quot;5&quot;, got &quot;6&quot;")),
             qPrintable(view->testMessage()));

    // A passed test has nothing marked; the unrun one says why it has no output.
    QVERIFY(view->selectTest(0));
    QCOMPARE(view->actualView()->toPlainText(), QStringLiteral("3\n"));
    QVERIFY(backgroundAt(view->actualView(), 0) != tpt::ui::CodeSampleView::actualMark());
    QVERIFY(view->selectTest(2));
    QCOMPARE(view->expectedView()->toPlainText(), QStringLiteral("30\n"));
    QVERIFY2(view->actualView()->toPlainText().contains(QStringLiteral("not run")),
             qPrintable(view->actualView()->toPlainText()));
  }

  void theProgramIsHighlightedAsPythonAndTheProseIsNot() {
    tpt::ui::TraceBrowser browser;
    browser.setExperiment(m_tmp.path());
    QVERIFY(browser.selectSample(m_ids.wrong));
    QTextDocument* doc = browser.codeView()->programView()->document();
    // The whole completion is there, prose included.
    QVERIFY(doc->toPlainText().contains(QStringLiteral("This prints the sum.")));

    const QTextBlock def = blockStartingWith(doc, QStringLiteral("def main"));
    QVERIFY(def.isValid());
    const auto keyword = highlightAt(def, 0);
    QVERIFY(keyword);
    QCOMPARE(keyword->foreground().color(), PythonHighlighter::format(PythonHighlighter::Kind::Keyword).foreground().color());
    // A triple-quoted string continues onto its next line.
    const QTextBlock docstring = blockStartingWith(doc, QStringLiteral("    plus a bug"));
    const auto inString = highlightAt(docstring, 4);
    QVERIFY(inString);
    QCOMPARE(inString->foreground().color(), PythonHighlighter::format(PythonHighlighter::Kind::String).foreground().color());
    const QTextBlock call = blockStartingWith(doc, QStringLiteral("    print("));
    const auto builtin = highlightAt(call, 4);
    QVERIFY(builtin);
    QCOMPARE(builtin->foreground().color(), PythonHighlighter::format(PythonHighlighter::Kind::Builtin).foreground().color());
    const int hash = static_cast<int>(call.text().indexOf(QLatin1Char('#')));
    const auto comment = highlightAt(call, hash + 2);
    QVERIFY(comment);
    QCOMPARE(comment->foreground().color(), PythonHighlighter::format(PythonHighlighter::Kind::Comment).foreground().color());
    const auto number = highlightAt(call, static_cast<int>(call.text().indexOf(QStringLiteral("1 if"))));
    QVERIFY(number);
    QCOMPARE(number->foreground().color(), PythonHighlighter::format(PythonHighlighter::Kind::Number).foreground().color());

    // "print" in the prose is a word, not the builtin.
    const QTextBlock prose = blockStartingWith(doc, QStringLiteral("I read the two numbers"));
    QVERIFY(prose.isValid());
    QVERIFY(prose.layout()->formats().isEmpty());
  }

  void anUnsandboxedRunIsMarked() {
    tpt::ui::TraceBrowser browser;
    browser.setExperiment(m_tmp.path());
    QVERIFY(browser.selectSample(m_ids.unsandboxed));
    const QString verdict = browser.codeView()->verdictText();
    QVERIFY2(verdict.startsWith(QStringLiteral("Accepted — 3 of 3 tests passed")), qPrintable(verdict));
    QVERIFY2(verdict.contains(QStringLiteral("unsandboxed")), qPrintable(verdict));
    QVERIFY(browser.codeView()->findChild<QLabel*>(QStringLiteral("codeVerdict"))->text().contains(
        QStringLiteral("<b style=\"color:#b02a37\">unsandboxed</b>")));
    QCOMPARE(browser.codeView()->testTable()->rowCount(), 3);
    for (int i = 0; i < 3; ++i) QCOMPARE(browser.codeView()->testTable()->item(i, 2)->text(), QStringLiteral("accepted"));
  }

  void aMathSampleShowsItsTraceFirst() {
    tpt::ui::TraceBrowser browser;
    browser.setExperiment(m_tmp.path());
    QVERIFY(browser.selectSample(m_ids.math));
    QVERIFY(!browser.codeView()->isVisibleTo(&browser));
    // In reading order: the question, the trace, the gold answer, the verdict, the decision.
    const QString expected =
        QStringLiteral("<h3>gsm8k/7 · round 1 · sample 0</h3>"
                       "<p><b>Question.</b> How many apples are in six boxes of 7?</p>"
                       "<p><b>Trace</b> (80 tokens, stop):</p>") +
        tpt::ui::traceToHtml(QString::fromLatin1(kMathTrace), QStringLiteral("42"), true) +
        QStringLiteral("<p><b>Gold answer:</b> 42</p>"
                       "<p><b>Extracted:</b> 42 — <b>correct</b>, kept</p>"
                       "<table border=\"1\" cellpadding=\"3\" cellspacing=\"0\"><tr><th>rule</th><th>outcome</th>"
                       "<th>why</th></tr><tr><td>correct_answer</td><td>pass</td><td></td></tr></table>");
    QTextBrowser reference;
    reference.setFont(browser.detailView()->font());  // the trace's larger type
    reference.setHtml(expected);
    QCOMPARE(browser.detailHtml(), reference.toHtml());
    QVERIFY(browser.detailHtml().contains(QStringLiteral("#cfe2ff")));  // the calculator annotation's tint
  }

  void tokenDiffMarksOnlyTheTokensThatDiffer() {
    const auto diff = tpt::ui::diffOutputs(QStringLiteral("1 2 3\n4 5\n"), QStringLiteral("1 2  7\n4 5\n9\n"));
    QCOMPARE(diff.expected.size(), 1);
    QCOMPARE(diff.expected[0], qMakePair(4, 1));  // "3"
    QCOMPARE(diff.actual.size(), 2);
    QCOMPARE(diff.actual[0], qMakePair(5, 1));  // "7"
    QCOMPARE(diff.actual[1], qMakePair(11, 1));  // the extra "9"
    QVERIFY(tpt::ui::diffOutputs(QStringLiteral("1 2\n"), QStringLiteral("1   2")).actual.isEmpty());
  }

  void theTestsPassEditorWritesItsModeToTheRule() {
    tpt::ui::RulesPanel panel;
    std::vector<tpt::FieldIssue> issues;
    const auto rules = tpt::prune::RuleSet::parse(
        {{"rules", {{{"type", "tests_pass"}, {"mode", "any"}}, {{"type", "length"}, {"max_tokens", 512}}}}}, "prune",
        issues);
    QVERIFY(issues.empty());
    QVERIFY(panel.setRuleSet(rules));
    auto* list = panel.findChild<QListWidget*>(QStringLiteral("ruleList"));
    auto* mode = panel.findChild<QComboBox*>(QStringLiteral("testsPassMode"));
    QVERIFY(mode);
    list->setCurrentRow(0);
    QVERIFY(mode->isVisibleTo(&panel));
    QCOMPARE(mode->currentData().toString(), QStringLiteral("any"));
    QVERIFY(mode->toolTip().contains(QStringLiteral("soft pruning")));
    QStringList tips;
    for (int i = 0; i < mode->count(); ++i) tips << mode->itemData(i, Qt::ToolTipRole).toString();
    QVERIFY(tips[mode->findData(QStringLiteral("all"))].contains(QStringLiteral("Hard pruning")));
    QVERIFY(tips[mode->findData(QStringLiteral("public_only"))].contains(QStringLiteral("statement's examples")));

    mode->setCurrentIndex(mode->findData(QStringLiteral("public_only")));
    QCOMPARE(panel.ruleSet().to_json()["rules"][0]["mode"], nlohmann::json("public_only"));
    QVERIFY(panel.findChild<QPlainTextEdit*>(QStringLiteral("ruleJson"))->toPlainText().contains(QStringLiteral("public_only")));
    mode->setCurrentIndex(mode->findData(QStringLiteral("all")));
    QCOMPARE(panel.ruleSet().to_json()["rules"][0]["mode"], nlohmann::json("all"));
    // And back from JSON: a rule set saved with "any" reads as "any".
    std::vector<tpt::FieldIssue> again;
    const auto reread = tpt::prune::RuleSet::parse(panel.ruleSet().to_json(), "prune", again);
    QVERIFY(again.empty());
    QCOMPARE(reread.rules()[0].tests, tpt::prune::TestsMode::All);

    // Other rules have no mode to choose.
    list->setCurrentRow(1);
    QVERIFY(!mode->isVisibleTo(&panel));
    QCOMPARE(panel.ruleSet().to_json()["rules"][1]["max_tokens"], nlohmann::json(512));
  }

  void theFunnelSummaryCountsRemovedProgramsByVerdict() {
    tpt::report::Funnel funnel;
    funnel.verdicts = {{"accepted", 12}, {"wrong_answer", 312}, {"time_limit", 40}};
    funnel.dropped_by_verdict = {{"wrong_answer", 312}, {"time_limit", 40}};
    const QString text = tpt::ui::codeVerdictSummary(funnel);
    QVERIFY2(text.contains(QStringLiteral("Removed: wrong answer 312, time limit 40.")), qPrintable(text));
    QVERIFY2(text.contains(QStringLiteral("Programs: wrong answer 312, time limit 40, accepted 12.")), qPrintable(text));
    QCOMPARE(tpt::ui::codeVerdictSummary(tpt::report::Funnel{}), QString());
  }

  void theSetupPanelWarnsWhenProgramsRunUnsandboxed() {
    tpt::ui::SetupPanel panel;
    auto doc = tpt::config::ExperimentConfig().to_json();
    panel.setDocument(doc);
    auto* warning = panel.findChild<QLabel*>(QStringLiteral("sandboxWarning"));
    QVERIFY(warning);
    QVERIFY(!warning->isVisibleTo(&panel));
    QCOMPARE(panel.sandboxWarning(), QString());
    doc["sandbox"] = {{"mode", "unsandboxed"}};
    panel.setDocument(doc);
    QVERIFY(warning->isVisibleTo(&panel));
    QVERIFY2(panel.sandboxWarning().contains(QStringLiteral("without isolation")), qPrintable(panel.sandboxWarning()));
    QVERIFY(warning->styleSheet().contains(QStringLiteral("#b02a37")));
    // The form keeps the section as it is: the warning is no edit.
    QCOMPARE(panel.document()["sandbox"]["mode"], nlohmann::json("unsandboxed"));
    doc["sandbox"] = {{"mode", "bubblewrap"}};
    panel.setDocument(doc);
    QVERIFY(!warning->isVisibleTo(&panel));
  }
};

QTEST_MAIN(TestCodeReview)
#include "test_code_review.moc"
