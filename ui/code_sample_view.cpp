#include "code_sample_view.h"

#include <QFontDatabase>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPlainTextEdit>
#include <QScrollBar>
#include <QSplitter>
#include <QTableWidget>
#include <QTextBlock>
#include <QTextCursor>
#include <QTextDocument>
#include <QVBoxLayout>

#include "code/extract_program.h"
#include "python_highlighter.h"

namespace tpt::ui {

namespace {

struct Token {
  int start = 0;
  int length = 0;
  QStringView text;
};

QVector<Token> tokens(const QString& text) {
  QVector<Token> out;
  const int n = static_cast<int>(text.size());
  for (int i = 0; i < n;) {
    if (text[i].isSpace()) {
      ++i;
      continue;
    }
    int j = i;
    while (j < n && !text[j].isSpace()) ++j;
    out.push_back({i, j - i, QStringView(text).mid(i, j - i)});
    i = j;
  }
  return out;
}

QString fromStd(const std::string& s) { return QString::fromStdString(s); }

// Outputs are compared as the judge saw them, but "\r\n" would show as a stray mark.
QString displayText(const std::string& s) { return fromStd(s).replace(QStringLiteral("\r\n"), QStringLiteral("\n")); }

// Accepted reads as success; a limit (the program may be right but slow) in orange; a wrong,
// crashing or missing program in red.
QColor verdictColor(code::CodeVerdict v) {
  switch (v) {
    case code::CodeVerdict::Accepted: return QColor(0x19, 0x87, 0x54);
    case code::CodeVerdict::TimeLimit:
    case code::CodeVerdict::MemoryLimit:
    case code::CodeVerdict::OutputLimit: return QColor(0xb3, 0x5c, 0x00);
    default: return QColor(0xb0, 0x2a, 0x37);
  }
}

QString capitalized(const char* text) {
  QString s = QString::fromLatin1(text);
  if (!s.isEmpty()) s[0] = s[0].toUpper();
  return s;
}

QPlainTextEdit* monospaceView(QWidget* parent, const QString& name) {
  auto* view = new QPlainTextEdit(parent);
  view->setObjectName(name);
  view->setReadOnly(true);
  view->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
  return view;
}

// A titled column of the side-by-side test view.
QWidget* titled(const QString& title, QPlainTextEdit* view, QWidget* parent) {
  auto* box = new QWidget(parent);
  auto* layout = new QVBoxLayout(box);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->setSpacing(2);
  layout->addWidget(new QLabel(title, box));
  view->setParent(box);
  view->setLineWrapMode(QPlainTextEdit::NoWrap);
  layout->addWidget(view, 1);
  return box;
}

void markRanges(QPlainTextEdit* view, const QVector<QPair<int, int>>& ranges, const QColor& color) {
  QTextCharFormat mark;
  mark.setBackground(color);
  mark.setFontWeight(QFont::Bold);
  QTextCursor cursor(view->document());
  for (const auto& [start, length] : ranges) {
    cursor.setPosition(start);
    cursor.setPosition(start + length, QTextCursor::KeepAnchor);
    cursor.mergeCharFormat(mark);
  }
}

}  // namespace

OutputDiff diffOutputs(const QString& expected, const QString& actual) {
  const QVector<Token> e = tokens(expected), a = tokens(actual);
  const qsizetype n = e.size(), m = a.size();
  std::vector<bool> eSame(static_cast<size_t>(n), false), aSame(static_cast<size_t>(m), false);
  if (n * m <= 4'000'000) {
    // LCS table from the ends, so the walk below goes forward.
    std::vector<int> table(static_cast<size_t>((n + 1) * (m + 1)), 0);
    auto at = [&](qsizetype i, qsizetype j) -> int& { return table[static_cast<size_t>(i * (m + 1) + j)]; };
    for (qsizetype i = n - 1; i >= 0; --i)
      for (qsizetype j = m - 1; j >= 0; --j)
        at(i, j) = e[i].text == a[j].text ? at(i + 1, j + 1) + 1 : std::max(at(i + 1, j), at(i, j + 1));
    for (qsizetype i = 0, j = 0; i < n && j < m;) {
      if (e[i].text == a[j].text) {
        eSame[static_cast<size_t>(i++)] = true;
        aSame[static_cast<size_t>(j++)] = true;
      } else if (at(i + 1, j) >= at(i, j + 1)) {
        ++i;
      } else {
        ++j;
      }
    }
  } else {
    // Too large to align (outputs are capped, so rare): compare token by token.
    for (qsizetype i = 0; i < std::min(n, m); ++i) eSame[static_cast<size_t>(i)] = aSame[static_cast<size_t>(i)] = e[i].text == a[i].text;
  }
  OutputDiff diff;
  for (qsizetype i = 0; i < n; ++i)
    if (!eSame[static_cast<size_t>(i)]) diff.expected.push_back({e[i].start, e[i].length});
  for (qsizetype j = 0; j < m; ++j)
    if (!aSame[static_cast<size_t>(j)]) diff.actual.push_back({a[j].start, a[j].length});
  return diff;
}

QColor CodeSampleView::expectedMark() { return QColor(0xd1, 0xe7, 0xdd); }
QColor CodeSampleView::actualMark() { return QColor(0xf8, 0xd7, 0xda); }

CodeSampleView::CodeSampleView(QWidget* parent) : QWidget(parent) {
  setObjectName(QStringLiteral("codeSampleView"));
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  m_verdict = new QLabel(this);
  m_verdict->setObjectName(QStringLiteral("codeVerdict"));
  m_verdict->setWordWrap(true);
  m_verdict->setTextInteractionFlags(Qt::TextSelectableByMouse);
  layout->addWidget(m_verdict);

  auto* split = new QSplitter(Qt::Vertical, this);
  m_program = monospaceView(split, QStringLiteral("programView"));
  m_program->setToolTip(tr("The completion; the program the judge ran is shaded and highlighted"));
  m_highlighter = new PythonHighlighter(m_program->document());
  split->addWidget(m_program);

  auto* bottom = new QWidget(split);
  auto* bottomLayout = new QHBoxLayout(bottom);
  bottomLayout->setContentsMargins(0, 0, 0, 0);
  m_tests = new QTableWidget(bottom);
  m_tests->setObjectName(QStringLiteral("testTable"));
  m_tests->setColumnCount(4);
  m_tests->setHorizontalHeaderLabels({tr("test"), tr("kind"), tr("verdict"), tr("seconds")});
  m_tests->verticalHeader()->hide();
  m_tests->verticalHeader()->setDefaultSectionSize(22);
  m_tests->horizontalHeader()->setStretchLastSection(true);
  m_tests->setEditTriggers(QAbstractItemView::NoEditTriggers);
  m_tests->setSelectionBehavior(QAbstractItemView::SelectRows);
  m_tests->setSelectionMode(QAbstractItemView::SingleSelection);
  m_tests->setColumnWidth(0, 40);
  m_tests->setColumnWidth(1, 76);
  m_tests->setColumnWidth(2, 104);
  m_tests->setMinimumWidth(310);
  m_tests->setMaximumWidth(360);
  m_tests->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
  connect(m_tests, &QTableWidget::currentCellChanged, this, [this](int row) { showTest(row); });
  bottomLayout->addWidget(m_tests);

  auto* outputs = new QVBoxLayout;
  auto* sideBySide = new QHBoxLayout;
  m_input = monospaceView(bottom, QStringLiteral("testInput"));
  m_expected = monospaceView(bottom, QStringLiteral("testExpected"));
  m_actual = monospaceView(bottom, QStringLiteral("testActual"));
  sideBySide->addWidget(titled(tr("Input"), m_input, bottom), 1);
  sideBySide->addWidget(titled(tr("Expected output"), m_expected, bottom), 1);
  sideBySide->addWidget(titled(tr("Actual output"), m_actual, bottom), 1);
  outputs->addLayout(sideBySide, 1);
  m_testMessage = new QLabel(bottom);
  m_testMessage->setObjectName(QStringLiteral("testMessage"));
  m_testMessage->setWordWrap(true);
  m_testMessage->setTextInteractionFlags(Qt::TextSelectableByMouse);
  outputs->addWidget(m_testMessage);
  bottomLayout->addLayout(outputs, 1);
  split->addWidget(bottom);
  split->setStretchFactor(0, 3);
  split->setStretchFactor(1, 2);
  layout->addWidget(split, 1);
}

void CodeSampleView::clear() {
  m_judgement.reset();
  m_spec.reset();
  m_verdict->clear();
  m_program->clear();
  m_tests->setRowCount(0);
  showTest(-1);
}

QString CodeSampleView::verdictText() const {
  QTextDocument doc;
  doc.setHtml(m_verdict->text());
  return doc.toPlainText();
}

QString CodeSampleView::testMessage() const { return m_testMessage->text(); }

void CodeSampleView::showSample(const QString& completion, const std::optional<code::CodeJudgement>& judgement,
                                const std::optional<code::CodeSpec>& spec, const QString& problem) {
  m_judgement = judgement;
  m_spec = spec;

  QString verdict;
  if (judgement) {
    const auto& j = *judgement;
    verdict = tr("<b style=\"color:%1\">%2</b> — %3 of %4 tests passed")
                  .arg(verdictColor(j.verdict).name(), capitalized(code::describe(j.verdict)))
                  .arg(j.passed)
                  .arg(j.total);
    if (j.run < j.total) verdict += tr(" (%1 run, judging stopped at the first failure)").arg(j.run);
    if (j.public_total > 0) verdict += tr("; public %1 of %2").arg(j.public_passed).arg(j.public_total);
    if (!j.sandboxed)
      verdict += tr(" · <b style=\"color:#b02a37\">unsandboxed</b>: the program ran without isolation");
    if (!j.message.empty()) verdict += QStringLiteral("<br>") + fromStd(j.message).toHtmlEscaped();
  } else if (!problem.isEmpty()) {
    verdict = QStringLiteral("<span style=\"color:#b02a37\">%1</span>").arg(problem.toHtmlEscaped());
  } else {
    verdict = tr("<i>Not judged yet: the program runs on the tests when the round is pruned.</i>");
  }
  m_verdict->setText(verdict);

  QString program = judgement ? fromStd(judgement->program) : QString();
  if (program.isEmpty() && !judgement) {
    if (auto extracted = code::extract_program(completion.toStdString())) program = fromStd(*extracted);
  }
  showProgram(completion, program);

  // Every test of the problem, run or not: a judgement that stopped at a failure lists only
  // the tests up to it, and the rest should read as "not run", not as missing.
  const int total = spec ? static_cast<int>(spec->tests.size()) : judgement ? judgement->total : 0;
  m_tests->setRowCount(0);
  m_tests->setRowCount(total);
  for (int i = 0; i < total; ++i) {
    const code::TestOutcome* outcome = nullptr;
    if (judgement)
      for (const auto& t : judgement->tests)
        if (t.index == i) outcome = &t;
    auto* index = new QTableWidgetItem(QString::number(i + 1));
    index->setData(Qt::UserRole, i);
    m_tests->setItem(i, 0, index);
    QString kind;
    if (spec) kind = fromStd(spec->tests[static_cast<size_t>(i)].kind);
    else if (judgement && i < judgement->public_total) kind = QStringLiteral("public");
    m_tests->setItem(i, 1, new QTableWidgetItem(kind));
    auto* verdictItem = new QTableWidgetItem;
    if (outcome) {
      verdictItem->setText(QString::fromLatin1(code::describe(outcome->verdict)));
      verdictItem->setForeground(verdictColor(outcome->verdict));
    } else {
      verdictItem->setText(judgement ? tr("not run") : tr("not judged"));
      verdictItem->setForeground(palette().color(QPalette::PlaceholderText));
    }
    m_tests->setItem(i, 2, verdictItem);
    m_tests->setItem(i, 3, new QTableWidgetItem(outcome ? QString::number(outcome->seconds, 'f', 2) : QString()));
  }
  // Open on what a reviewer wants first: the failing test.
  const int first = judgement && judgement->first_failure ? *judgement->first_failure : 0;
  if (total > 0) {
    m_tests->setCurrentCell(std::min(first, total - 1), 0);
    showTest(m_tests->currentRow());
  } else {
    showTest(-1);
  }
}

void CodeSampleView::showProgram(const QString& completion, const QString& program) {
  // The judged program is the completion's code block: find it, so the prose around it stays
  // where the model wrote it and only the block is highlighted as Python.
  QString trimmed = program;
  while (trimmed.endsWith(QLatin1Char('\n'))) trimmed.chop(1);
  int first = -1, last = -1;
  QString text = completion;
  const int at = trimmed.isEmpty() ? -1 : static_cast<int>(completion.indexOf(trimmed));
  if (at >= 0) {
    first = static_cast<int>(completion.left(at).count(QLatin1Char('\n')));
    last = first + static_cast<int>(trimmed.count(QLatin1Char('\n')));
  } else if (!trimmed.isEmpty()) {
    // Not verbatim in the completion (stored from elsewhere): show it after the completion.
    text = completion + tr("\n\n— the program as judged —\n");
    first = static_cast<int>(text.count(QLatin1Char('\n')));
    text += trimmed;
    last = static_cast<int>(text.count(QLatin1Char('\n')));
  }
  // The range first, so setting the text highlights once.
  m_highlighter->setDocument(nullptr);
  m_program->setPlainText(text);
  m_highlighter->setDocument(m_program->document());
  if (first >= 0) m_highlighter->setLineRange(first, last);
  else m_highlighter->setLineRange(0, -1);  // no program: nothing is Python

  // Shade the program's lines, like a code block in a rendered page.
  QList<QTextEdit::ExtraSelection> shades;
  for (int line = std::max(first, 0); first >= 0 && line <= last; ++line) {
    QTextEdit::ExtraSelection shade;
    shade.cursor = QTextCursor(m_program->document()->findBlockByNumber(line));
    shade.format.setBackground(QColor(0xf3, 0xf5, 0xf8));
    shade.format.setProperty(QTextFormat::FullWidthSelection, true);
    shades << shade;
  }
  m_program->setExtraSelections(shades);
  // The program in view with the last lines of prose before it (a QPlainTextEdit scrolls by
  // lines): the prose can be long, but the reasoning just before the code is worth seeing.
  m_program->verticalScrollBar()->setValue(std::max(0, first - 3));
}

bool CodeSampleView::selectTest(int index) {
  for (int row = 0; row < m_tests->rowCount(); ++row)
    if (m_tests->item(row, 0)->data(Qt::UserRole).toInt() == index) {
      m_tests->setCurrentCell(row, 0);
      return true;
    }
  return false;
}

void CodeSampleView::showTest(int row) {
  m_input->clear();
  m_expected->clear();
  m_actual->clear();
  m_testMessage->clear();
  if (row < 0 || row >= m_tests->rowCount()) return;
  const int index = m_tests->item(row, 0)->data(Qt::UserRole).toInt();
  const code::TestOutcome* outcome = nullptr;
  if (m_judgement)
    for (const auto& t : m_judgement->tests)
      if (t.index == index) outcome = &t;
  if (m_spec && index < static_cast<int>(m_spec->tests.size())) {
    const auto& test = m_spec->tests[static_cast<size_t>(index)];
    m_input->setPlainText(displayText(test.input));
    m_expected->setPlainText(displayText(test.output));
  } else {
    m_input->setPlainText(tr("(the problem's tests are not stored as a test spec)"));
  }
  if (!outcome) {
    m_actual->setPlainText(m_judgement ? tr("(not run: judging stopped at the first failure)") : tr("(not judged yet)"));
    return;
  }
  m_actual->setPlainText(displayText(outcome->actual));
  if (outcome->verdict == code::CodeVerdict::WrongAnswer && m_spec) {
    // Only a wrong answer is a difference of outputs; a crash's partial output is not.
    const OutputDiff diff = diffOutputs(m_expected->toPlainText(), m_actual->toPlainText());
    markRanges(m_expected, diff.expected, expectedMark());
    markRanges(m_actual, diff.actual, actualMark());
  }
  QString message = tr("Test %1: <b style=\"color:%2\">%3</b>, %4 s, %5")
                        .arg(index + 1)
                        .arg(verdictColor(outcome->verdict).name(), QString::fromLatin1(code::describe(outcome->verdict)))
                        .arg(outcome->seconds, 0, 'f', 2)
                        .arg(outcome->exit_code < 0 ? tr("killed by signal %1").arg(-outcome->exit_code)
                                                    : tr("exit code %1").arg(outcome->exit_code));
  if (!outcome->message.empty())
    message += QStringLiteral("<br><span style=\"font-family:monospace\">%1</span>")
                   .arg(fromStd(outcome->message).toHtmlEscaped().replace(QLatin1Char('\n'), QStringLiteral("<br>")));
  m_testMessage->setText(message);
}

}  // namespace tpt::ui
