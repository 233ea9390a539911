#include "problems_panel.h"

#include <QHeaderView>
#include <QLabel>
#include <QSplitter>
#include <QTableWidget>
#include <QVBoxLayout>

#include <cmath>
#include <limits>

#include "qcustomplot_include.h"

namespace tpt::ui {

ProblemsPanel::ProblemsPanel(QWidget* parent) : QWidget(parent) {
  setObjectName(QStringLiteral("problemsPanel"));
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(4, 4, 4, 4);
  m_label = new QLabel(this);
  m_label->setObjectName(QStringLiteral("problemSummary"));
  // The summary is a sentence: wrapped, it never sets the window's width.
  m_label->setWordWrap(true);
  layout->addWidget(m_label);
  auto* split = new QSplitter(Qt::Horizontal, this);
  m_table = new QTableWidget(split);
  m_table->setObjectName(QStringLiteral("problemTable"));
  m_table->verticalHeader()->hide();
  m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
  m_table->setSortingEnabled(true);
  m_heatmap = new QCustomPlot(split);
  m_heatmap->setObjectName(QStringLiteral("problemHeatmap"));
  m_heatmap->xAxis->setLabel(tr("round"));
  m_heatmap->yAxis->setLabel(tr("problem"));
  m_map = new QCPColorMap(m_heatmap->xAxis, m_heatmap->yAxis);
  QCPColorGradient gradient;
  gradient.setColorStopAt(0.0, QColor(0xb0, 0x2a, 0x37));
  gradient.setColorStopAt(0.5, QColor(0xf8, 0xe3, 0x8c));
  gradient.setColorStopAt(1.0, QColor(0x19, 0x87, 0x54));
  gradient.setNanHandling(QCPColorGradient::nhTransparent);
  m_map->setGradient(gradient);
  m_map->setDataRange(QCPRange(0, 1));
  m_map->setInterpolate(false);
  auto* scale = new QCPColorScale(m_heatmap);
  scale->setLabel(tr("share right"));
  m_heatmap->plotLayout()->addElement(0, 1, scale);
  m_map->setColorScale(scale);
  // The scale owns the gradient once attached: red (none right) to green (all right).
  scale->setGradient(gradient);
  scale->setDataRange(QCPRange(0, 1));
  split->addWidget(m_table);
  split->addWidget(m_heatmap);
  layout->addWidget(split, 1);
}

void ProblemsPanel::setExperiment(const QString& dir) {
  m_dir = dir;
  reload();
}

void ProblemsPanel::reload() {
  m_summary = {};
  try {
    if (!m_dir.isEmpty()) m_summary = report::summarize_problems(m_dir.toStdString());
  } catch (const std::exception&) {
    // No database yet.
  }
  m_rounds = 0;
  for (const auto& p : m_summary.problems)
    for (int r : p.rounds) m_rounds = std::max(m_rounds, r + 1);
  m_label->setText(summaryText());

  m_table->setSortingEnabled(false);
  m_table->clear();
  m_table->setColumnCount(2 + m_rounds);
  QStringList headers{tr("problem"), tr("fate")};
  for (int r = 0; r < m_rounds; ++r) headers << tr("r%1").arg(r);
  m_table->setHorizontalHeaderLabels(headers);
  m_table->setRowCount(static_cast<int>(m_summary.problems.size()));
  const int n = static_cast<int>(m_summary.problems.size());
  m_map->data()->setSize(std::max(1, m_rounds), std::max(1, n));
  m_map->data()->setRange(QCPRange(0, std::max(0, m_rounds - 1)), QCPRange(0, std::max(0, n - 1)));
  m_map->data()->fill(std::numeric_limits<double>::quiet_NaN());
  for (int i = 0; i < n; ++i) {
    const auto& p = m_summary.problems[static_cast<size_t>(i)];
    auto* key = new QTableWidgetItem(QString::fromStdString(p.problem_key));
    key->setToolTip(QString::fromStdString(p.question));
    m_table->setItem(i, 0, key);
    m_table->setItem(i, 1, new QTableWidgetItem(QString::fromLatin1(report::to_string(p.fate))));
    for (size_t k = 0; k < p.rounds.size(); ++k) {
      const double a = p.accuracy[k];
      auto* cell = new QTableWidgetItem(QStringLiteral("%1%").arg(100 * a, 0, 'f', 0));
      cell->setBackground(a >= 0.5 ? QColor(0xd1, 0xe7, 0xdd) : QColor(0xf8, 0xd7, 0xda));
      m_table->setItem(i, 2 + p.rounds[k], cell);
      m_map->data()->setCell(p.rounds[k], i, a);
    }
  }
  m_table->resizeColumnsToContents();
  m_table->setSortingEnabled(true);
  m_heatmap->xAxis->setRange(-0.5, std::max(0, m_rounds - 1) + 0.5);
  m_heatmap->yAxis->setRange(-0.5, std::max(0, n - 1) + 0.5);
  m_heatmap->replot();
}

QString ProblemsPanel::summaryText() const {
  if (m_summary.problems.empty()) return tr("No round has been scored yet.");
  return tr("%1 test problems: %2 learned, %3 forgotten, %4 always solved, %5 unstable (solved only in a round "
            "between the first and the last), %6 never solved in any round (solved = at least half the answers "
            "right, strict checker; first scored round vs last).")
      .arg(m_summary.problems.size())
      .arg(m_summary.learned)
      .arg(m_summary.forgotten)
      .arg(m_summary.always_solved)
      .arg(m_summary.unstable)
      .arg(m_summary.never_solved);
}

double ProblemsPanel::heatmapValue(int problemRow, int roundColumn) const {
  return m_map->data()->cell(roundColumn, problemRow);
}

}  // namespace tpt::ui
