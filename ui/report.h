// The one-click report: an experiment as a single file to send to people who do not run the
// workbench. Titled with the experiment's name and the date, it holds the Pass@1 chart (drawn by
// ChartPanel, embedded as a PNG), the table of rounds, what pruning removed in the last pruned
// round, and three test problems the run taught the model — the base model's wrong answer beside
// the last round's right one. The HTML file is self-contained (no file beside it); the PDF is the
// same document printed by Qt.
//
// Needs a QApplication (the chart is drawn with widgets); reads the experiment read-only, so a
// report may be written while a run goes on.
#pragma once

#include <QString>

class QWidget;

namespace tpt::ui {

// The report as HTML. `chartSource`: what the chart's <img src> says; empty, the chart's PNG
// inline as a data: URL. False (with `error` set, when given) when the folder holds no
// experiment that has scored a round.
bool reportHtml(const QString& experimentDir, QString* html, QString* error = nullptr,
                const QString& chartSource = QString());

// Writes the HTML report to `htmlPath` (atomically: a reader never sees half a file).
bool writeReport(const QString& experimentDir, const QString& htmlPath, QString* error = nullptr);
// Writes the report as PDF (A4) to `pdfPath`.
bool writeReportPdf(const QString& experimentDir, const QString& pdfPath, QString* error = nullptr);

// "<name>-report-<yyyy-MM-dd>", for a save dialog's file name.
QString reportBaseName(const QString& experimentDir);

// Asks where to save (HTML or PDF, by the chosen file's suffix), writes the report, and says in a
// message box if that failed. For the main window's File → Report… and Present's button.
// Returns the path written, or an empty string when cancelled or failed.
QString saveReportAs(QWidget* parent, const QString& experimentDir);

}  // namespace tpt::ui
