// The Problems panel: every evaluated test problem across rounds — which rounds solved it, and
// whether the run taught it (learned), cost it (forgotten), or never reached it — as a table
// and as a problem × round heatmap of the share of right answers.
#pragma once

#include <QWidget>

#include "report/problems.h"

class QCPColorMap;
class QCustomPlot;
class QLabel;
class QTableWidget;

namespace tpt::ui {

class ProblemsPanel : public QWidget {
  Q_OBJECT

 public:
  explicit ProblemsPanel(QWidget* parent = nullptr);

  void setExperiment(const QString& dir);
  const report::ProblemSummary& summary() const { return m_summary; }
  QString summaryText() const;
  // The heatmap's value at (problem row, round column): the share of right answers, or NaN.
  double heatmapValue(int problemRow, int roundColumn) const;
  int heatmapRounds() const { return m_rounds; }

 public Q_SLOTS:
  void reload();

 private:
  QString m_dir;
  report::ProblemSummary m_summary;
  int m_rounds = 0;
  QLabel* m_label = nullptr;
  QTableWidget* m_table = nullptr;
  QCustomPlot* m_heatmap = nullptr;
  QCPColorMap* m_map = nullptr;
};

}  // namespace tpt::ui
