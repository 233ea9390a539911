#include "chart_panel.h"

#include <QDir>
#include <QFileInfo>
#include <QToolTip>
#include <QVBoxLayout>

#include "qcustomplot_include.h"

#include <cmath>

#include "report/status.h"
#include "run/paths.h"
#include "store/store.h"

namespace tpt::ui {

namespace {

const QColor kPalette[] = {QColor(0x1f, 0x77, 0xb4), QColor(0xd6, 0x27, 0x28), QColor(0x2c, 0xa0, 0x2c),
                           QColor(0x94, 0x67, 0xbd), QColor(0xff, 0x7f, 0x0e), QColor(0x8c, 0x56, 0x4b)};

QFont axisFont(bool large) {
  QFont font;
  font.setPointSize(large ? 16 : 9);
  return font;
}

// "sampled by: engine (in process)", or Think's and Improve's apart when they differ (a round
// sampled on a server whose Improve ran after a resume in process, say). Empty for rounds
// stored before sampler origins were.
QString describeSamplers(const std::vector<store::SamplerOriginRecord>& origins) {
  QMap<QString, QStringList> byPhase;  // "eval" sorts before "think"; shown in run order below
  QStringList all;
  for (const auto& o : origins) {
    const QString text = QString::fromStdString(report::describe_sampler(o));
    QStringList& list = byPhase[QString::fromStdString(o.phase)];
    if (!list.contains(text)) list << text;
    if (!all.contains(text)) all << text;
  }
  if (all.isEmpty()) return {};
  if (all.size() == 1) return ChartPanel::tr("sampled by: %1").arg(all.front());
  QStringList lines;
  for (const char* phase : {"think", "eval"}) {
    const QString key = QString::fromLatin1(phase);
    if (!byPhase.contains(key)) continue;
    lines << (key == QStringLiteral("think") ? ChartPanel::tr("Think sampled by: %1")
                                             : ChartPanel::tr("Improve sampled by: %1"))
                 .arg(byPhase.value(key).join(QStringLiteral("; ")));
  }
  return lines.join(QLatin1Char('\n'));
}

}  // namespace

ChartPanel::ChartPanel(QWidget* parent) : QWidget(parent) {
  setObjectName(QStringLiteral("chartPanel"));
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  m_passPlot = new QCustomPlot(this);
  m_passPlot->setObjectName(QStringLiteral("passPlot"));
  m_passPlot->setMinimumHeight(160);
  m_passPlot->plotLayout()->insertRow(0);
  m_passPlot->plotLayout()->addElement(0, 0, new QCPTextElement(m_passPlot, tr("Pass@1 by round"), QFont()));
  m_passPlot->xAxis->setLabel(tr("round (0 = base model)"));
  m_passPlot->yAxis->setLabel(tr("% of test problems"));
  m_passPlot->yAxis->setRange(0, 100);
  m_passPlot->legend->setVisible(true);
  m_passPlot->axisRect()->insetLayout()->setInsetAlignment(0, Qt::AlignBottom | Qt::AlignRight);
  QSharedPointer<QCPAxisTickerFixed> ticker(new QCPAxisTickerFixed);
  ticker->setTickStep(1.0);
  ticker->setScaleStrategy(QCPAxisTickerFixed::ssMultiples);
  m_passPlot->xAxis->setTicker(ticker);
  m_passPlot->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
  connect(m_passPlot, &QCustomPlot::mouseMove, this, &ChartPanel::showPointTip);
  layout->addWidget(m_passPlot, 3);

  m_lossPlot = new QCustomPlot(this);
  m_lossPlot->setObjectName(QStringLiteral("lossPlot"));
  m_lossPlot->setMinimumHeight(80);
  m_lossPlot->xAxis->setLabel(tr("training step"));
  m_lossPlot->yAxis->setLabel(tr("loss"));
  m_lossPlot->addGraph();
  m_lossPlot->graph(0)->setPen(QPen(kPalette[4], 1.5));
  m_lossPlot->graph(0)->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, 4));
  m_lossPlot->graph(0)->setName(tr("training loss"));
  connect(m_lossPlot, &QCustomPlot::mouseMove, this, &ChartPanel::showPointTip);
  layout->addWidget(m_lossPlot, 1);
}

void ChartPanel::setExperiment(const QString& dir) {
  m_primary = dir;
  m_lossRound = -1;
  reload();
}

void ChartPanel::addComparison(const QString& dir) {
  if (dir.isEmpty() || dir == m_primary || m_comparisons.contains(dir)) return;
  m_comparisons << dir;
  reload();
}

void ChartPanel::clearComparisons() {
  m_comparisons.clear();
  reload();
}

void ChartPanel::plotExperiment(const QString& dir, const QColor& color, bool primary) {
  report::ExperimentStatus status;
  try {
    status = report::read_status(dir.toStdString());
  } catch (const std::exception&) {
    return;  // not run yet, or not an experiment: nothing to draw
  }
  QVector<double> rounds, strict, flexible, passK;
  QString kName;
  for (const auto& r : status.rounds)
    for (const auto& [name, value] : r.metrics)
      if (name.rfind("pass@", 0) == 0 && name.find(".strict") != std::string::npos && name != "pass@1.strict")
        if (kName.isEmpty() || QString::fromStdString(name).mid(5).toInt() > kName.mid(5).toInt())
          kName = QString::fromStdString(name);
  QVector<double> kRounds;
  QMap<int, QString> samplers;
  for (const auto& r : status.rounds) {
    const QString sampledBy = describeSamplers(r.samplers);
    if (!sampledBy.isEmpty()) samplers.insert(r.round, sampledBy);
    const auto s = r.metric("pass@1.strict");
    const auto f = r.metric("pass@1.flexible");
    if (!s || !f) continue;
    rounds << r.round;
    strict << 100 * *s;
    flexible << 100 * *f;
    if (!kName.isEmpty())
      if (auto k = r.metric(kName.toStdString())) {
        kRounds << r.round;
        passK << 100 * *k;
      }
  }
  if (primary) m_strict = strict;
  const QString label = QString::fromStdString(status.name.empty() ? QFileInfo(dir).fileName().toStdString() : status.name);
  auto add = [&](const QVector<double>& x, const QVector<double>& y, Qt::PenStyle style, const QString& what,
                 QCPScatterStyle::ScatterShape shape) {
    QCPGraph* g = m_passPlot->addGraph();
    QPen pen(color, m_large ? 4 : 2, style);
    g->setPen(pen);
    g->setScatterStyle(QCPScatterStyle(shape, color, m_large ? 14 : 7));
    g->setData(x, y, true);
    g->setName(label + QStringLiteral(" — ") + what);
    m_samplers.insert(g, samplers);
  };
  add(rounds, strict, Qt::SolidLine, tr("Pass@1 strict"), QCPScatterStyle::ssDisc);
  add(rounds, flexible, Qt::DashLine, tr("Pass@1 flexible"), QCPScatterStyle::ssCircle);
  if (!kName.isEmpty()) add(kRounds, passK, Qt::DotLine, kName.section(QLatin1Char('.'), 0, 0), QCPScatterStyle::ssTriangle);
}

void ChartPanel::reload() {
  m_passPlot->clearGraphs();
  m_samplers.clear();
  m_strict.clear();
  if (!m_primary.isEmpty()) plotExperiment(m_primary, kPalette[0], true);
  for (int i = 0; i < m_comparisons.size(); ++i)
    plotExperiment(m_comparisons[i], kPalette[(i + 1) % (sizeof kPalette / sizeof kPalette[0])], false);
  double maxRound = 1;
  for (int i = 0; i < m_passPlot->graphCount(); ++i) {
    bool found = false;
    const QCPRange range = m_passPlot->graph(i)->getKeyRange(found);
    if (found) maxRound = std::max(maxRound, range.upper);
  }
  m_passPlot->legend->setVisible(m_passPlot->graphCount() > 0);
  m_passPlot->xAxis->setRange(-0.3, maxRound + 0.3);
  m_passPlot->yAxis->setRange(0, 100);
  m_passPlot->replot();
  reloadLoss();
}

void ChartPanel::reloadLoss() {
  m_loss.clear();
  QVector<double> steps;
  const run::ExperimentPaths paths = run::ExperimentPaths::locate(m_primary.toStdString());
  if (!m_primary.isEmpty() && QFileInfo::exists(QString::fromStdString(paths.store_file))) {
    try {
      store::Store store(paths.store_file, store::OpenMode::read_only);
      const auto experiments = store.list_experiments();
      if (!experiments.empty()) {
        // The latest round that has trained (or is training).
        const auto rounds = store.list_rounds(experiments.front().id);
        for (auto it = rounds.rbegin(); it != rounds.rend(); ++it) {
          const auto trained = store.list_train_steps(it->id);
          if (trained.empty()) continue;
          m_lossRound = it->round_index;
          for (const auto& s : trained) {
            steps << static_cast<double>(s.step);
            m_loss << s.loss;
          }
          break;
        }
      }
    } catch (const std::exception&) {
      // A database being created or migrated by the run: the next reload will see it.
    }
  }
  m_lossPlot->graph(0)->setData(steps, m_loss, true);
  m_lossPlot->graph(0)->setName(m_lossRound >= 0 ? tr("training loss, round %1").arg(m_lossRound) : tr("training loss"));
  m_lossPlot->legend->setVisible(!steps.isEmpty());
  double top = 1.0;
  for (double l : m_loss)
    if (std::isfinite(l)) top = std::max(top, l);
  m_lossPlot->xAxis->setRange(0, steps.isEmpty() ? 1.0 : steps.back() + 1.0);
  m_lossPlot->yAxis->setRange(0, top * 1.1);
  m_lossPlot->replot();
}

void ChartPanel::showPointTip(QMouseEvent* event) {
  auto* plot = qobject_cast<QCustomPlot*>(sender());
  if (!plot) return;
  QCPGraph* best = nullptr;
  int bestIndex = -1;
  double bestDistance = 12.0;  // pixels
  for (int i = 0; i < plot->graphCount(); ++i) {
    QCPGraph* g = plot->graph(i);
    for (int k = 0; k < g->dataCount(); ++k) {
      const auto point = g->data()->at(k);
      const double dx = g->keyAxis()->coordToPixel(point->key) - event->pos().x();
      const double dy = g->valueAxis()->coordToPixel(point->value) - event->pos().y();
      const double d = std::hypot(dx, dy);
      if (d < bestDistance) {
        bestDistance = d;
        best = g;
        bestIndex = k;
      }
    }
  }
  if (!best) {
    QToolTip::hideText();
    return;
  }
  QToolTip::showText(event->globalPosition().toPoint(), pointText(plot, best, bestIndex), plot);
}

QString ChartPanel::pointText(QCustomPlot* plot, QCPGraph* graph, int index) const {
  if (!graph || index < 0 || index >= graph->dataCount()) return {};
  const auto point = graph->data()->at(index);
  if (plot != m_passPlot) return tr("step %1: loss %2").arg(point->key).arg(point->value, 0, 'f', 4);
  QString text = tr("%1\nround %2: %3%").arg(graph->name()).arg(point->key).arg(point->value, 0, 'f', 2);
  const QString sampledBy = m_samplers.value(graph).value(static_cast<int>(std::lround(point->key)));
  if (!sampledBy.isEmpty()) text += QLatin1Char('\n') + sampledBy;
  return text;
}

void ChartPanel::setLossVisible(bool visible) { m_lossPlot->setVisible(visible); }

bool ChartPanel::exportTo(const QString& path, int width, int height) {
  if (path.endsWith(QStringLiteral(".pdf"), Qt::CaseInsensitive)) return m_passPlot->savePdf(path, width, height);
  return m_passPlot->savePng(path, width, height);
}

void ChartPanel::setPresentationStyle(bool large) {
  m_large = large;
  m_passPlot->axisRect()->insetLayout()->setInsetAlignment(
      0, large ? Qt::AlignTop | Qt::AlignLeft : Qt::AlignBottom | Qt::AlignRight);
  for (QCustomPlot* plot : {m_passPlot, m_lossPlot}) {
    for (QCPAxis* axis : {plot->xAxis, plot->yAxis}) {
      axis->setTickLabelFont(axisFont(large));
      axis->setLabelFont(axisFont(large));
    }
    plot->legend->setFont(axisFont(large));
  }
  reload();
}

}  // namespace tpt::ui
