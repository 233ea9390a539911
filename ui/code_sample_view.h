// The trace browser's view of a code sample: its program's verdict, the completion with the
// program highlighted as Python (the prose around it stays in view), every test of the problem
// with what became of it, and for the chosen test its input, the expected and the actual output
// side by side with the differing tokens marked, and the sandbox's message.
//
// Fed by the trace browser from the store: the problem's tests (its gold, a code::CodeSpec) and
// the judgement kept with the sample's decision (code::CodeJudgement as JSON).
#pragma once

#include <QString>
#include <QVector>
#include <QWidget>

#include <optional>

#include "code/code_problem.h"

class QLabel;
class QPlainTextEdit;
class QTableWidget;

namespace tpt::ui {

class PythonHighlighter;

// Where two outputs differ: character ranges (start, length) of the tokens of each that the
// other lacks, by a longest-common-subsequence over whitespace-separated tokens. Tokens are
// what CodeContests' checker compares, so a wrong number is marked while spacing is not.
struct OutputDiff {
  QVector<QPair<int, int>> expected;
  QVector<QPair<int, int>> actual;
};
OutputDiff diffOutputs(const QString& expected, const QString& actual);

class CodeSampleView : public QWidget {
  Q_OBJECT

 public:
  explicit CodeSampleView(QWidget* parent = nullptr);

  // Shows one sample. `judgement` is empty while the sample is not judged yet (not pruned);
  // `spec` is empty when the problem's gold is not a test spec (then inputs and expected
  // outputs are unknown). `problem` is a note shown in place of the verdict when the stored
  // judgement could not be read.
  void showSample(const QString& completion, const std::optional<code::CodeJudgement>& judgement,
                  const std::optional<code::CodeSpec>& spec, const QString& problem = QString());
  void clear();

  // The verdict line as a user reads it ("Wrong answer — 1 of 3 tests passed ...").
  QString verdictText() const;
  QTableWidget* testTable() const { return m_tests; }
  // The completion, its program highlighted.
  QPlainTextEdit* programView() const { return m_program; }
  PythonHighlighter* highlighter() const { return m_highlighter; }
  QPlainTextEdit* inputView() const { return m_input; }
  QPlainTextEdit* expectedView() const { return m_expected; }
  QPlainTextEdit* actualView() const { return m_actual; }
  QString testMessage() const;
  // Selects the row of test `index` (0-based, as CodeSpec::tests); false if there is none.
  bool selectTest(int index);

  // The marks of differing tokens in the expected and actual views.
  static QColor expectedMark();
  static QColor actualMark();

 private:
  void showTest(int row);
  void showProgram(const QString& completion, const QString& program);

  std::optional<code::CodeJudgement> m_judgement;
  std::optional<code::CodeSpec> m_spec;
  QLabel* m_verdict = nullptr;
  QPlainTextEdit* m_program = nullptr;
  PythonHighlighter* m_highlighter = nullptr;
  QTableWidget* m_tests = nullptr;
  QPlainTextEdit* m_input = nullptr;
  QPlainTextEdit* m_expected = nullptr;
  QPlainTextEdit* m_actual = nullptr;
  QLabel* m_testMessage = nullptr;
};

}  // namespace tpt::ui
