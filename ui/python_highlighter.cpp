#include "python_highlighter.h"

#include <QSet>
#include <QTextDocument>

namespace tpt::ui {

namespace {

// Block states: what a line ends inside of, so the next line continues it.
enum State { Normal = 0, InSingleTriple = 1, InDoubleTriple = 2 };

const QSet<QString>& keywords() {
  // Soft keywords (match, case, type) are left out: they are ordinary names far more often
  // than not in contest programs ("case = int(input())").
  static const QSet<QString> words = {
      QStringLiteral("False"),  QStringLiteral("None"),     QStringLiteral("True"),   QStringLiteral("and"),
      QStringLiteral("as"),     QStringLiteral("assert"),   QStringLiteral("async"),  QStringLiteral("await"),
      QStringLiteral("break"),  QStringLiteral("class"),    QStringLiteral("continue"), QStringLiteral("def"),
      QStringLiteral("del"),    QStringLiteral("elif"),     QStringLiteral("else"),   QStringLiteral("except"),
      QStringLiteral("finally"), QStringLiteral("for"),     QStringLiteral("from"),   QStringLiteral("global"),
      QStringLiteral("if"),     QStringLiteral("import"),   QStringLiteral("in"),     QStringLiteral("is"),
      QStringLiteral("lambda"), QStringLiteral("nonlocal"), QStringLiteral("not"),    QStringLiteral("or"),
      QStringLiteral("pass"),   QStringLiteral("raise"),    QStringLiteral("return"), QStringLiteral("try"),
      QStringLiteral("while"),  QStringLiteral("with"),     QStringLiteral("yield")};
  return words;
}

const QSet<QString>& builtins() {
  static const QSet<QString> words = [] {
    QSet<QString> s;
    for (const char* w :
         {"abs", "all", "any", "bin", "bool", "bytearray", "bytes", "callable", "chr", "classmethod", "complex",
          "dict", "dir", "divmod", "enumerate", "eval", "exec", "exit", "filter", "float", "format", "frozenset",
          "getattr", "globals", "hasattr", "hash", "hex", "id", "input", "int", "isinstance", "issubclass", "iter",
          "len", "list", "locals", "map", "max", "memoryview", "min", "next", "object", "oct", "open", "ord", "pow",
          "print", "property", "range", "repr", "reversed", "round", "set", "setattr", "slice", "sorted",
          "staticmethod", "str", "sum", "super", "tuple", "type", "vars", "zip", "self", "Exception",
          "ValueError", "IndexError", "KeyError", "TypeError", "ZeroDivisionError", "RecursionError",
          "StopIteration", "EOFError", "MemoryError", "RuntimeError", "NotImplementedError"})
      s.insert(QString::fromLatin1(w));
    return s;
  }();
  return words;
}

bool isStringPrefix(const QString& word) {
  static const QSet<QString> prefixes = {QStringLiteral("r"),  QStringLiteral("b"),  QStringLiteral("f"),
                                         QStringLiteral("u"),  QStringLiteral("rb"), QStringLiteral("br"),
                                         QStringLiteral("fr"), QStringLiteral("rf")};
  return prefixes.contains(word.toLower());
}

// Where `delim` (''' or """) closes from `from` on, skipping escaped characters; -1 if not here.
int findTripleClose(const QString& text, int from, const QString& delim) {
  for (int j = from; j + 3 <= text.size();) {
    if (text[j] == QLatin1Char('\\')) {
      j += 2;
    } else if (QStringView(text).mid(j, 3) == delim) {
      return j;
    } else {
      ++j;
    }
  }
  return -1;
}

bool isIdentifierChar(QChar c) { return c.isLetterOrNumber() || c == QLatin1Char('_'); }

}  // namespace

PythonHighlighter::PythonHighlighter(QTextDocument* parent) : QSyntaxHighlighter(parent) {}

void PythonHighlighter::setLineRange(int first, int last) {
  m_first = first;
  m_last = last;
  rehighlight();
}

QTextCharFormat PythonHighlighter::format(Kind kind) {
  // The colours of a light IDE theme (close to Qt Creator's and PyCharm's defaults), readable on
  // the browser's white.
  QTextCharFormat f;
  switch (kind) {
    case Kind::Keyword:
      f.setForeground(QColor(0x00, 0x33, 0xb3));
      f.setFontWeight(QFont::Bold);
      break;
    case Kind::Builtin: f.setForeground(QColor(0x7a, 0x3e, 0x9d)); break;
    case Kind::String: f.setForeground(QColor(0x06, 0x7d, 0x17)); break;
    case Kind::Comment:
      f.setForeground(QColor(0x8c, 0x8c, 0x8c));
      f.setFontItalic(true);
      break;
    case Kind::Number: f.setForeground(QColor(0x17, 0x50, 0xeb)); break;
    case Kind::Decorator: f.setForeground(QColor(0x9e, 0x88, 0x0d)); break;
  }
  return f;
}

void PythonHighlighter::highlightBlock(const QString& text) {
  const int line = currentBlock().blockNumber();
  if (m_first >= 0 && (line < m_first || line > m_last)) {
    setCurrentBlockState(Normal);  // prose: plain, and it never continues a string
    return;
  }
  const int n = static_cast<int>(text.size());
  int i = 0;
  const int previous = previousBlockState();
  // A triple-quoted string left open on the line before: find where it closes.
  if (previous == InSingleTriple || previous == InDoubleTriple) {
    const QString delim = previous == InSingleTriple ? QStringLiteral("'''") : QStringLiteral("\"\"\"");
    const int end = findTripleClose(text, 0, delim);
    if (end < 0) {
      setFormat(0, n, format(Kind::String));
      setCurrentBlockState(previous);
      return;
    }
    setFormat(0, end + 3, format(Kind::String));
    i = end + 3;
  }
  setCurrentBlockState(Normal);

  // A string from `start` (its prefix, if any) whose quote is at `quote`. False when it runs
  // past the line as a triple-quoted string (the state is then set and the line is done).
  auto string = [&](int start, int quote) -> bool {
    const QChar q = text[quote];
    const QString delim(3, q);
    if (QStringView(text).mid(quote, 3) == delim) {
      const int end = findTripleClose(text, quote + 3, delim);
      if (end < 0) {
        setFormat(start, n - start, format(Kind::String));
        setCurrentBlockState(q == QLatin1Char('\'') ? InSingleTriple : InDoubleTriple);
        return false;
      }
      setFormat(start, end + 3 - start, format(Kind::String));
      i = end + 3;
      return true;
    }
    int j = quote + 1;
    while (j < n && text[j] != q) j += text[j] == QLatin1Char('\\') ? 2 : 1;
    const int end = std::min(j, n - 1);  // an unclosed one ends with the line
    setFormat(start, end + 1 - start, format(Kind::String));
    i = end + 1;
    return true;
  };

  while (i < n) {
    const QChar c = text[i];
    if (c == QLatin1Char('#')) {
      setFormat(i, n - i, format(Kind::Comment));
      return;
    }
    if (c == QLatin1Char('\'') || c == QLatin1Char('"')) {
      if (!string(i, i)) return;
      continue;
    }
    if (c == QLatin1Char('@') && text.left(i).trimmed().isEmpty()) {
      // A decorator: "@" and a dotted name at the start of a line (elsewhere "@" is matmul).
      int j = i + 1;
      while (j < n && (isIdentifierChar(text[j]) || text[j] == QLatin1Char('.'))) ++j;
      setFormat(i, j - i, format(Kind::Decorator));
      i = j;
      continue;
    }
    if (c.isLetter() || c == QLatin1Char('_')) {
      int j = i;
      while (j < n && isIdentifierChar(text[j])) ++j;
      const QString word = text.mid(i, j - i);
      if (j < n && (text[j] == QLatin1Char('\'') || text[j] == QLatin1Char('"')) && isStringPrefix(word)) {
        if (!string(i, j)) return;
        continue;
      }
      // An attribute (x.print) is not the builtin.
      const bool attribute = i > 0 && text[i - 1] == QLatin1Char('.');
      if (keywords().contains(word)) setFormat(i, j - i, format(Kind::Keyword));
      else if (!attribute && builtins().contains(word)) setFormat(i, j - i, format(Kind::Builtin));
      i = j;
      continue;
    }
    if (c.isDigit() || (c == QLatin1Char('.') && i + 1 < n && text[i + 1].isDigit())) {
      // 12, 0x1f, 1_000, 3.5e-7, 2j: letters, digits, '_' and '.', and a sign after an exponent.
      int j = i + 1;
      while (j < n) {
        const QChar d = text[j];
        const bool exponentSign = (d == QLatin1Char('-') || d == QLatin1Char('+')) &&
                                  (text[j - 1] == QLatin1Char('e') || text[j - 1] == QLatin1Char('E')) &&
                                  !text.mid(i, 2).startsWith(QLatin1String("0x"), Qt::CaseInsensitive);
        if (isIdentifierChar(d) || d == QLatin1Char('.') || exponentSign) ++j;
        else break;
      }
      setFormat(i, j - i, format(Kind::Number));
      i = j;
      continue;
    }
    ++i;
  }
}

}  // namespace tpt::ui
