// Python syntax highlighting for the programs a code problem's samples hold: keywords,
// builtins, strings (triple-quoted ones across lines), comments, numbers and decorators.
//
// A completion is prose around a fenced program, and the trace browser shows it whole, so the
// highlighter can be limited to the program's lines: the prose around it stays plain text.
#pragma once

#include <QSyntaxHighlighter>
#include <QTextCharFormat>

namespace tpt::ui {

class PythonHighlighter : public QSyntaxHighlighter {
  Q_OBJECT

 public:
  // What a stretch of Python is, for its colour.
  enum class Kind { Keyword, Builtin, String, Comment, Number, Decorator };

  explicit PythonHighlighter(QTextDocument* parent = nullptr);

  // Highlights only the blocks (lines) first..last, 0-based and inclusive; -1, -1 (the
  // default) highlights every line. Rehighlights.
  void setLineRange(int first, int last);
  int firstLine() const { return m_first; }
  int lastLine() const { return m_last; }

  // The format a kind is drawn with (the tests compare a highlighted range with it).
  static QTextCharFormat format(Kind kind);

 protected:
  void highlightBlock(const QString& text) override;

 private:
  int m_first = -1;
  int m_last = -1;
};

}  // namespace tpt::ui
