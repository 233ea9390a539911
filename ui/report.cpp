#include "report.h"

#include <QCoreApplication>
#include <QDate>
#include <QDateTime>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QImage>
#include <QLocale>
#include <QMessageBox>
#include <QPageLayout>
#include <QPageSize>
#include <QPalette>
#include <QPrinter>
#include <QSaveFile>
#include <QSettings>
#include <QTextDocument>
#include <QUrl>

#include <cmath>
#include <map>

#include "chart_panel.h"
#include "report/experiment_report.h"

namespace tpt::ui {

namespace {

// Words for the built-in rules, for readers who never saw a rule set: what a sample had to be
// removed by it. Custom names (a rule renamed in the rule set) are shown as they are.
QString ruleMeaning(const QString& rule) {
  static const std::map<QString, const char*> meanings = {
      {QStringLiteral("correct_answer"), QT_TRANSLATE_NOOP("Report", "final answer wrong")},
      {QStringLiteral("max_per_problem"), QT_TRANSLATE_NOOP("Report", "beyond the samples kept per problem")},
      {QStringLiteral("length"), QT_TRANSLATE_NOOP("Report", "too short or too long")},
      {QStringLiteral("dedupe"), QT_TRANSLATE_NOOP("Report", "a duplicate of another sample")},
      {QStringLiteral("tests_pass"), QT_TRANSLATE_NOOP("Report", "program failed its tests")},
      {QStringLiteral("annotation_override"), QT_TRANSLATE_NOOP("Report", "rejected by a reviewer")},
      {QStringLiteral("has_final_answer"), QT_TRANSLATE_NOOP("Report", "no final answer")},
      {QStringLiteral("calculator_check"), QT_TRANSLATE_NOOP("Report", "a calculation in it is wrong")},
  };
  const auto it = meanings.find(rule);
  return it == meanings.end() ? QString() : QCoreApplication::translate("Report", it->second);
}

QString esc(const std::string& text) { return QString::fromStdString(text).toHtmlEscaped(); }

QString percent(const std::optional<double>& fraction) {
  return fraction ? QString::number(100 * *fraction, 'f', 1) + QLatin1Char('%') : QStringLiteral("–");
}

QString count(std::int64_t n) { return QLocale(QLocale::English).toString(static_cast<qlonglong>(n)); }

QString duration(double seconds) {
  if (seconds < 60) return QStringLiteral("%1 s").arg(seconds, 0, 'f', seconds < 10 ? 1 : 0);
  const auto s = static_cast<qint64>(std::lround(seconds));
  if (s < 3600) return QStringLiteral("%1 min %2 s").arg(s / 60).arg(s % 60);
  return QStringLiteral("%1 h %2 min").arg(s / 3600).arg(s / 60 % 60);
}

// A long completion is cut: the report is read, not audited (the app has every sample).
QString answerText(const std::string& text) {
  QString t = QString::fromStdString(text).trimmed();
  if (t.size() > 1500) t = t.left(1500) + QStringLiteral(" […]");
  return t.toHtmlEscaped();
}

// The chart is laid out at this size and drawn at twice it: shown about 1000 pixels wide, its
// type reads like the text around it and stays sharp.
const int kChartWidth = 820, kChartHeight = 440;

const char* kStyle = R"(
body { font-family: "DejaVu Sans", "Segoe UI", Arial, sans-serif; color: #212529; background: #ffffff;
       max-width: 1000px; margin: 24px auto; padding: 0 16px; line-height: 1.45; font-size: 15px; }
h1 { font-size: 28px; margin: 0 0 4px 0; }
h2 { font-size: 20px; margin: 28px 0 8px 0; border-bottom: 1px solid #dee2e6; padding-bottom: 4px; }
h3 { font-size: 16px; margin: 20px 0 6px 0; }
p { margin: 6px 0; }
.meta { color: #6c757d; font-size: 13px; }
.headline { font-size: 18px; margin: 14px 0; }
table.data { border-collapse: collapse; margin: 8px 0; }
table.data th, table.data td { border: 1px solid #ced4da; padding: 4px 10px; }
table.data th { background: #f1f3f5; text-align: left; }
td.num { text-align: right; }
tr.total td { font-weight: bold; }
table.pair { border-collapse: collapse; width: 100%; margin: 6px 0 4px 0; }
table.pair td, table.pair th { padding: 6px 10px; vertical-align: top; width: 50%; text-align: left; }
th.wrong, td.wrong { background: #f8d7da; color: #842029; }
th.right, td.right { background: #d1e7dd; color: #0f5132; }
.answer { white-space: pre-wrap; font-family: "DejaVu Sans Mono", Consolas, monospace; font-size: 13px; }
.question { background: #f8f9fa; padding: 8px 10px; }
.bar { background: #1f77b4; height: 10px; }
.note { color: #6c757d; font-size: 13px; }
img.chart { width: 100%; height: auto; max-width: 1000px; border: 1px solid #dee2e6; }
)";

// Qt's printer takes CSS pixels for device pixels (1/1200 inch): the printed document is sized in
// points instead, and leaves margins and widths to the page.
const char* kPrintStyle = R"(
body { font-family: "DejaVu Sans", Arial, sans-serif; color: #212529; font-size: 10pt; }
h1 { font-size: 18pt; }
h2 { font-size: 13pt; margin-top: 14pt; }
h3 { font-size: 11pt; margin-top: 10pt; }
.meta { color: #6c757d; font-size: 8.5pt; }
.headline { font-size: 12pt; }
th { background: #f1f3f5; text-align: left; }
td.num { text-align: right; }
tr.total td { font-weight: bold; }
th.wrong, td.wrong { background: #f8d7da; color: #842029; }
th.right, td.right { background: #d1e7dd; color: #0f5132; }
.answer { font-family: "DejaVu Sans Mono", monospace; font-size: 8.5pt; }
.question { background: #f8f9fa; }
.note { color: #6c757d; font-size: 8.5pt; }
)";

struct Parts {
  QString chartSource;  // empty: inline PNG
  int chartWidth = 1000;  // the <img width>: CSS pixels on screen, scaled to the page in print
  bool bars = true;       // funnel bars (drawn with CSS widths, which Qt's printer ignores)
  bool print = false;     // for Qt's printer: kPrintStyle
};

// The largest k of the experiment's pass@k metrics, as "pass@4.strict"; empty when none.
std::string passKName(const report::ExperimentStatus& status) {
  std::string k_name;
  for (const auto& r : status.rounds)
    for (const auto& [name, value] : r.metrics)
      if (name.rfind("pass@", 0) == 0 && name.find(".strict") != std::string::npos && name != "pass@1.strict")
        if (k_name.empty() || std::stoi(name.substr(5)) > std::stoi(k_name.substr(5))) k_name = name;
  return k_name;
}

QString roundsTable(const report::ExperimentStatus& status) {
  const std::string kName = passKName(status);
  QString html = QStringLiteral("<table class=\"data\" id=\"rounds\" border=\"1\" cellspacing=\"0\" cellpadding=\"4\">");
  html += QStringLiteral("<tr><th>Round</th><th>Pass@1 strict</th><th>Pass@1 flexible</th>");
  if (!kName.empty()) html += QStringLiteral("<th>%1 strict</th>").arg(esc(kName.substr(0, kName.find('.'))));
  html += QStringLiteral("<th>Samples</th><th>Kept</th><th>Train loss</th><th>Time</th></tr>");
  for (const auto& r : status.rounds) {
    QString round = QString::number(r.round);
    if (r.round == 0) round += QStringLiteral(" (base model)");
    if (r.state != store::RoundState::Done)
      round += QStringLiteral(" <span class=\"note\">(%1)</span>").arg(QString::fromLatin1(store::to_string(r.state)));
    double seconds = 0;
    for (const auto& [name, value] : r.metrics)
      if (name.rfind("seconds.", 0) == 0 && std::isfinite(value)) seconds += value;
    const auto loss = r.metric("train.loss");
    html += QStringLiteral("<tr class=\"round\"><td>%1</td><td class=\"num\">%2</td><td class=\"num\">%3</td>")
                .arg(round, percent(r.metric("pass@1.strict")), percent(r.metric("pass@1.flexible")));
    if (!kName.empty()) html += QStringLiteral("<td class=\"num\">%1</td>").arg(percent(r.metric(kName)));
    const bool sampled = r.round > 0;
    html += QStringLiteral("<td class=\"num\">%1</td><td class=\"num\">%2</td><td class=\"num\">%3</td><td class=\"num\">%4</td></tr>")
                .arg(sampled ? count(r.samples) : QStringLiteral("–"), sampled ? count(r.kept) : QStringLiteral("–"),
                     loss && r.round > 0 ? QString::number(*loss, 'f', 4) : QStringLiteral("–"),
                     seconds > 0 ? duration(seconds) : QStringLiteral("–"));
  }
  return html + QStringLiteral("</table>");
}

QString funnelSection(const report::StoredFunnel& funnel, const Parts& parts) {
  if (funnel.round < 0) return QStringLiteral("<p>No round has been pruned yet.</p>");
  QString html = QStringLiteral(
                     "<p>Round %1's Think drew %2 samples. Each rule removes the samples it rejects "
                     "from what is left; the rest is what the model trained on.</p>")
                     .arg(funnel.round)
                     .arg(count(funnel.samples));
  html += QStringLiteral("<table class=\"data\" id=\"funnel\" border=\"1\" cellspacing=\"0\" cellpadding=\"4\">");
  html += QStringLiteral("<tr><th>Step</th><th>Removed</th><th>Left</th>%1</tr>")
              .arg(parts.bars ? QStringLiteral("<th style=\"width: 260px\"></th>") : QString());
  auto bar = [&](std::int64_t left) {
    if (!parts.bars) return QString();
    const double share = funnel.samples > 0 ? static_cast<double>(left) / funnel.samples : 0.0;
    return QStringLiteral("<td><div class=\"bar\" style=\"width: %1px\"></div></td>").arg(std::lround(240 * share));
  };
  html += QStringLiteral("<tr><td>Samples drawn</td><td class=\"num\"></td><td class=\"num\">%1</td>%2</tr>")
              .arg(count(funnel.samples), bar(funnel.samples));
  for (const auto& step : funnel.steps) {
    const QString rule = QString::fromStdString(step.rule);
    const QString meaning = ruleMeaning(rule);
    html += QStringLiteral("<tr class=\"rule\"><td><b>%1</b>%2</td><td class=\"num\">%3</td><td class=\"num\">%4</td>%5</tr>")
                .arg(rule.toHtmlEscaped(), meaning.isEmpty() ? QString() : QStringLiteral(": ") + meaning.toHtmlEscaped(),
                     step.dropped > 0 ? QStringLiteral("−") + count(step.dropped) : QStringLiteral("0"),
                     count(step.remaining), bar(step.remaining));
  }
  const double keptShare = funnel.samples > 0 ? 100.0 * funnel.kept / funnel.samples : 0.0;
  html += QStringLiteral("<tr class=\"total\"><td>Kept for training</td><td class=\"num\"></td><td class=\"num\">%1</td>%2</tr>")
              .arg(count(funnel.kept), parts.bars ? QStringLiteral("<td>%1% of the samples</td>").arg(keptShare, 0, 'f', 1)
                                                  : QString());
  return html + QStringLiteral("</table>");
}

QString verdictLine(const report::RoundAnswer& a, bool base) {
  QString what = base ? QStringLiteral("Round %1 (base model): wrong").arg(a.round)
                      : QStringLiteral("Round %1: right").arg(a.round);
  if (a.extracted) what += QStringLiteral(" — answered %1").arg(esc(*a.extracted));
  else if (base) what += QStringLiteral(" — no final answer");
  if (a.answers > 1) what += QStringLiteral(" <span class=\"note\">(%1 of %2 answers right)</span>").arg(a.correct).arg(a.answers);
  return what;
}

QString learnedSection(const report::ExperimentReport& r) {
  const auto& summary = r.problems;
  const std::int64_t total = static_cast<std::int64_t>(summary.problems.size());
  QString html = QStringLiteral(
                     "<p>Of the %1 test problems, <b>%2 were learned</b> (wrong with the base model, right "
                     "after the last round), %3 were always solved, %4 were solved in no round, %5 only in "
                     "a round between the first and the last (unstable), and %6 were forgotten (right with the "
                     "base model, wrong at the end).</p>")
                     .arg(count(total), count(summary.learned), count(summary.always_solved), count(summary.never_solved),
                          count(summary.unstable), count(summary.forgotten));
  if (r.learned.empty()) return html + QStringLiteral("<p>No test problem went from wrong to right yet.</p>");
  int n = 0;
  for (const auto& example : r.learned) {
    ++n;
    html += QStringLiteral("<div class=\"learned\"><h3>%1. %2</h3>")
                .arg(n)
                .arg(esc(report::problem_title(example.problem.question, 60)));
    html += QStringLiteral("<p class=\"question\">%1</p>").arg(esc(example.problem.question).replace(QLatin1Char('\n'), QStringLiteral("<br>")));
    html += QStringLiteral("<p>Reference answer: <b>%1</b></p>").arg(esc(example.problem.gold));
    html += QStringLiteral("<table class=\"pair\" cellspacing=\"0\" cellpadding=\"6\" width=\"100%\"><tr>"
                           "<th class=\"wrong\" width=\"50%\">%1</th><th class=\"right\" width=\"50%\">%2</th></tr>"
                           "<tr><td class=\"wrong\"><div class=\"answer\">%3</div></td>"
                           "<td class=\"right\"><div class=\"answer\">%4</div></td></tr></table></div>")
                .arg(verdictLine(example.before, true), verdictLine(example.after, false),
                     answerText(example.before.text).replace(QLatin1Char('\n'), QStringLiteral("<br>")),
                     answerText(example.after.text).replace(QLatin1Char('\n'), QStringLiteral("<br>")));
  }
  return html;
}

// "Pass@1 (strict) rose from 42.0% with the base model to 66.7% after round 4 (+24.7 points)."
QString headline(const report::ExperimentStatus& status) {
  const report::RoundStatus* first = nullptr;
  const report::RoundStatus* last = nullptr;
  for (const auto& r : status.rounds) {
    if (!r.metric("pass@1.strict")) continue;
    if (!first) first = &r;
    last = &r;
  }
  if (!first) return {};
  const double from = 100 * *first->metric("pass@1.strict"), to = 100 * *last->metric("pass@1.strict");
  if (first == last)
    return QStringLiteral("The base model solves <b>%1%</b> of the test problems (Pass@1, strict checker); no "
                          "trained round has been scored yet.")
        .arg(from, 0, 'f', 1);
  const double change = to - from;
  if (std::abs(change) < 0.05)
    return QStringLiteral("Pass@1 (strict checker) stayed at <b>%1%</b> from the base model to round %2.")
        .arg(to, 0, 'f', 1)
        .arg(last->round);
  return QStringLiteral("Pass@1 (strict checker) %1 from <b>%2%</b> with the base model to <b>%3%</b> after round %4 "
                        "(%5%6 points).")
      .arg(change >= 0 ? QStringLiteral("rose") : QStringLiteral("fell"))
      .arg(from, 0, 'f', 1)
      .arg(to, 0, 'f', 1)
      .arg(last->round)
      .arg(change >= 0 ? QStringLiteral("+") : QStringLiteral("−"))
      .arg(std::abs(change), 0, 'f', 1);
}

QString experimentLabel(const report::ExperimentStatus& status) {
  return status.name.empty() ? QFileInfo(QString::fromStdString(status.dir)).fileName() : QString::fromStdString(status.name);
}

QByteArray chartPng(const QString& experimentDir, int width, int height) {
  ChartPanel chart;
  // A document is read on white, whatever theme the app is in.
  QPalette light;
  light.setColor(QPalette::Base, Qt::white);
  light.setColor(QPalette::Window, Qt::white);
  light.setColor(QPalette::Text, QColor(0x21, 0x25, 0x29));
  light.setColor(QPalette::WindowText, QColor(0x21, 0x25, 0x29));
  chart.setPalette(light);
  chart.setLossVisible(false);
  chart.resize(width, height);
  chart.setExperiment(experimentDir);
  return chart.passPng(width, height, 2.0);
}

bool buildHtml(const QString& experimentDir, const Parts& parts, QString* html, QString* error) {
  report::ExperimentReport r;
  try {
    r = report::read_experiment_report(experimentDir.toStdString(), 3);
  } catch (const std::exception& e) {
    if (error) *error = QString::fromStdString(e.what());
    return false;
  }
  if (headline(r.status).isEmpty()) {
    if (error) *error = QStringLiteral("%1: no round has been scored yet; a report needs at least the base model's score").arg(experimentDir);
    return false;
  }
  const QString name = experimentLabel(r.status).toHtmlEscaped();
  const QString today = QDate::currentDate().toString(Qt::ISODate);
  QString chartSource = parts.chartSource;
  if (chartSource.isEmpty())
    chartSource = QStringLiteral("data:image/png;base64,") +
                  QString::fromLatin1(chartPng(experimentDir, kChartWidth, kChartHeight).toBase64());
  QString meta = QStringLiteral("Report of %1").arg(today);
  if (!r.created_at.empty()) meta += QStringLiteral(" · experiment created %1").arg(esc(r.created_at.substr(0, 10)));
  meta += QStringLiteral(" · %1 rounds").arg(r.status.rounds.empty() ? 0 : r.status.rounds.back().round);
  if (r.status.rounds_planned > 0) meta += QStringLiteral(" of %1 planned").arg(r.status.rounds_planned);
  meta += QStringLiteral(" · %1").arg(esc(r.status.state));

  QString out;
  out += QStringLiteral("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n");
  out += QStringLiteral("<title>%1 — TPT report, %2</title>\n<style>%3</style></head><body>\n")
             .arg(name, today, QString::fromLatin1(parts.print ? kPrintStyle : kStyle));
  out += QStringLiteral("<h1>%1 — Think, Prune, Train, Improve</h1>\n<p class=\"meta\">%2</p>\n").arg(name, meta);
  out += QStringLiteral("<p class=\"headline\">%1</p>\n").arg(headline(r.status));
  out += QStringLiteral(
             "<p>Each round the model answered practice problems several times, a verifier kept the answers "
             "that reached the right result, and the model was fine-tuned on them. Pass@1 is the share of "
             "held-out test problems it then answers right; round 0 is the model before any training.</p>\n");
  out += QStringLiteral("<p><img class=\"chart\" src=\"%1\" width=\"%2\" height=\"%3\" alt=\"Pass@1 by round\"></p>\n")
             .arg(chartSource)
             .arg(parts.chartWidth)
             .arg(parts.chartWidth * kChartHeight / kChartWidth);
  out += QStringLiteral("<h2>Round by round</h2>\n%1\n").arg(roundsTable(r.status));
  out += QStringLiteral(
      "<p class=\"note\">Strict: the answer in the expected “#### answer” form; flexible: the last number of "
      "the answer wherever it is. Samples: answers drawn for training; kept: those the rules kept.</p>\n");
  out += QStringLiteral("<h2>What pruning removed%1</h2>\n%2\n")
             .arg(r.funnel.round >= 0 ? QStringLiteral(" in round %1").arg(r.funnel.round) : QString(),
                  funnelSection(r.funnel, parts));
  out += QStringLiteral("<h2>Problems the model learned</h2>\n%1\n").arg(learnedSection(r));
  out += QStringLiteral("<p class=\"meta\" style=\"margin-top: 28px\">Written by TPT Workbench %1 on %2 from %3.</p>\n")
             .arg(QStringLiteral(TPT_VERSION_STRING),
                  QDateTime::currentDateTime().toString(QStringLiteral("yyyy-MM-dd HH:mm")),
                  esc(r.status.dir));
  out += QStringLiteral("</body></html>\n");
  *html = out;
  return true;
}

}  // namespace

bool reportHtml(const QString& experimentDir, QString* html, QString* error, const QString& chartSource) {
  Parts parts;
  parts.chartSource = chartSource;
  return buildHtml(experimentDir, parts, html, error);
}

bool writeReport(const QString& experimentDir, const QString& htmlPath, QString* error) {
  QString html;
  if (!reportHtml(experimentDir, &html, error)) return false;
  QSaveFile file(htmlPath);
  if (!file.open(QIODevice::WriteOnly) || file.write(html.toUtf8()) < 0 || !file.commit()) {
    if (error) *error = QStringLiteral("%1: cannot write: %2").arg(htmlPath, file.errorString());
    return false;
  }
  return true;
}

bool writeReportPdf(const QString& experimentDir, const QString& pdfPath, QString* error) {
  Parts parts;
  parts.chartSource = QStringLiteral("tpt-report-chart.png");
  parts.chartWidth = 620;  // the A4 page's text width at 96 dpi, 2 cm margins
  parts.bars = false;
  parts.print = true;
  QString html;
  if (!buildHtml(experimentDir, parts, &html, error)) return false;
  QTextDocument document;
  QFont font(QStringLiteral("DejaVu Sans"));
  font.setPointSizeF(9.5);
  document.setDefaultFont(font);
  QImage chart;
  chart.loadFromData(chartPng(experimentDir, kChartWidth, kChartHeight), "PNG");
  document.addResource(QTextDocument::ImageResource, QUrl(parts.chartSource), chart);
  document.setHtml(html);
  QPrinter printer(QPrinter::HighResolution);
  printer.setOutputFormat(QPrinter::PdfFormat);
  printer.setOutputFileName(pdfPath);
  printer.setPageSize(QPageSize(QPageSize::A4));
  printer.setDocName(document.metaInformation(QTextDocument::DocumentTitle));
  printer.setCreator(QStringLiteral("TPT Workbench"));
  document.print(&printer);
  const QFileInfo written(pdfPath);
  if (!written.exists() || written.size() == 0) {
    if (error) *error = QStringLiteral("%1: the PDF could not be written").arg(pdfPath);
    return false;
  }
  return true;
}

QString reportBaseName(const QString& experimentDir) {
  QString name;
  try {
    name = experimentLabel(report::read_status(experimentDir.toStdString()));
  } catch (const std::exception&) {
    name = QFileInfo(experimentDir).fileName();
  }
  // A file name any system takes: letters, digits, - and _.
  for (QChar& c : name)
    if (!c.isLetterOrNumber() && c != QLatin1Char('-') && c != QLatin1Char('_')) c = QLatin1Char('-');
  return QStringLiteral("%1-report-%2").arg(name, QDate::currentDate().toString(Qt::ISODate));
}

QString saveReportAs(QWidget* parent, const QString& experimentDir) {
  QSettings settings;
  const QString folder = settings.value(QStringLiteral("report/folder"), QDir::homePath()).toString();
  const QString html = QObject::tr("Web page, self-contained (*.html)");
  const QString pdf = QObject::tr("PDF (*.pdf)");
  QString filter = html;
  QString path = QFileDialog::getSaveFileName(parent, QObject::tr("Save report"),
                                              QDir(folder).filePath(reportBaseName(experimentDir) + QStringLiteral(".html")),
                                              html + QStringLiteral(";;") + pdf, &filter);
  if (path.isEmpty()) return {};
  const QString suffix = QFileInfo(path).suffix().toLower();
  if (suffix != QStringLiteral("html") && suffix != QStringLiteral("htm") && suffix != QStringLiteral("pdf"))
    path += filter == pdf ? QStringLiteral(".pdf") : QStringLiteral(".html");
  settings.setValue(QStringLiteral("report/folder"), QFileInfo(path).absolutePath());
  QString error;
  const bool ok = QFileInfo(path).suffix().toLower() == QStringLiteral("pdf") ? writeReportPdf(experimentDir, path, &error)
                                                                              : writeReport(experimentDir, path, &error);
  if (!ok) {
    QMessageBox::warning(parent, QObject::tr("Report not written"), error);
    return {};
  }
  return path;
}

}  // namespace tpt::ui
