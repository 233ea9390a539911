#include "chart_panel.h"

#include <QBuffer>
#include <QDir>
#include <QEvent>
#include <QFileInfo>
#include <QFontMetrics>
#include <QToolTip>
#include <QVBoxLayout>

#include "qcustomplot_include.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "report/status.h"
#include "run/paths.h"
#include "store/store.h"

namespace tpt::ui {

namespace {

const QColor kSeriesColors[] = {QColor(0x1f, 0x77, 0xb4), QColor(0xd6, 0x27, 0x28), QColor(0x2c, 0xa0, 0x2c),
                                QColor(0x94, 0x67, 0xbd), QColor(0xff, 0x7f, 0x0e), QColor(0x8c, 0x56, 0x4b)};
const int kSeriesColorCount = sizeof kSeriesColors / sizeof kSeriesColors[0];
const QColor kLossColor(0xff, 0x7f, 0x0e);

// `a` blended into `b`: the share of `a` is `amount`.
QColor blend(const QColor& a, const QColor& b, double amount) {
  return QColor::fromRgbF(static_cast<float>(a.redF() * amount + b.redF() * (1 - amount)),
                          static_cast<float>(a.greenF() * amount + b.greenF() * (1 - amount)),
                          static_cast<float>(a.blueF() * amount + b.blueF() * (1 - amount)));
}

QFont sized(double points, bool bold = false) {
  QFont font;
  font.setPointSizeF(points);
  font.setBold(bold);
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

QString experimentName(const QString& dir) {
  try {
    const report::ExperimentStatus status = report::read_status(dir.toStdString());
    if (!status.name.empty()) return QString::fromStdString(status.name);
  } catch (const std::exception&) {
    // Not run yet, or not an experiment: its folder names it.
  }
  return QFileInfo(dir).fileName();
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
  m_titleText = tr("Pass@1 by round");
  m_title = new QCPTextElement(m_passPlot, m_titleText, QFont());
  m_passPlot->plotLayout()->addElement(0, 0, m_title);
  m_passPlot->xAxis->setLabel(tr("round (0 = base model)"));
  m_passPlot->yAxis->setLabel(tr("% of test problems"));
  m_passPlot->yAxis->setRange(0, 100);
  // The legend gets a row of its own under the axes: inside them it hid points whichever
  // corner it took once curves reached that corner.
  QCPLegend* legend = m_passPlot->legend;
  m_passPlot->axisRect()->insetLayout()->take(legend);
  m_passPlot->plotLayout()->addElement(2, 0, legend);
  m_passPlot->plotLayout()->setRowStretchFactor(2, 0.001);
  legend->setMargins(QMargins(6, 3, 6, 3));
  legend->setFillOrder(QCPLayoutGrid::foColumnsFirst);
  legend->setVisible(true);
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
  m_lossPlot->graph(0)->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, 4));
  m_lossPlot->graph(0)->setName(tr("training loss"));
  // The round is named in the axis label rather than a legend: the loss is one curve, and a
  // legend box covered its points in a plot this short.
  m_lossPlot->legend->setVisible(false);
  connect(m_lossPlot, &QCustomPlot::mouseMove, this, &ChartPanel::showPointTip);
  layout->addWidget(m_lossPlot, 1);

  applySize();
  applyPalette();
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

QStringList ChartPanel::distinctLabels(const QStringList& names, const QStringList& dirs) {
  QStringList labels;
  for (int i = 0; i < names.size(); ++i)
    labels << (names[i].isEmpty() ? QFileInfo(dirs.value(i)).fileName() : names[i]);
  // Each pass adds more of the path to the labels still shared: the folder, then its parent.
  auto repeated = [&labels](int i) { return labels.count(labels[i]) > 1; };
  for (int depth = 1; depth <= 2; ++depth) {
    QStringList next = labels;
    for (int i = 0; i < labels.size(); ++i) {
      if (!repeated(i)) continue;
      const QStringList parts = QDir::cleanPath(dirs.value(i)).split(QLatin1Char('/'), Qt::SkipEmptyParts);
      const QString tail = parts.mid(std::max<qsizetype>(0, parts.size() - depth)).join(QLatin1Char('/'));
      const QString name = names[i].isEmpty() ? QFileInfo(dirs.value(i)).fileName() : names[i];
      next[i] = name == tail ? tail : QStringLiteral("%1 (%2)").arg(name, tail);
    }
    labels = next;
  }
  // The same folder given twice by different spellings: numbered, so each curve has a name.
  for (int i = 0; i < labels.size(); ++i)
    if (repeated(i)) labels[i] += QStringLiteral(" #%1").arg(i + 1);
  return labels;
}

QColor ChartPanel::seriesColor(int index) const {
  const QColor color = kSeriesColors[index % kSeriesColorCount];
  // On a dark background the light theme's colours are too dim to read at a distance.
  return palette().color(QPalette::Base).lightnessF() < 0.5 ? color.lighter(140) : color;
}

void ChartPanel::plotExperiment(const QString& dir, const QString& label, bool labelled, const QColor& color,
                                bool primary) {
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
  bool coincide = !rounds.isEmpty();
  for (int i = 0; i < strict.size(); ++i) coincide &= std::abs(strict[i] - flexible[i]) < 1e-9;
  const double line = m_large ? std::max(3.0, m_fontSize / 5) : 2.0;
  const double marker = m_large ? std::max(10.0, m_fontSize * 0.8) : 7.0;
  auto add = [&](const QVector<double>& x, const QVector<double>& y, Qt::PenStyle style, const QString& what,
                 QCPScatterStyle::ScatterShape shape, double markerSize, double width) {
    QCPGraph* g = m_passPlot->addGraph();
    g->setPen(QPen(color, width, style));
    g->setScatterStyle(QCPScatterStyle(shape, QPen(color, std::max(1.5, width * 0.75)),
                                       shape == QCPScatterStyle::ssDisc ? QBrush(color) : QBrush(Qt::NoBrush),
                                       markerSize));
    g->setData(x, y, true);
    g->setName(labelled ? label + QStringLiteral(" — ") + what : what);
    m_samplers.insert(g, samplers);
  };
  add(rounds, strict, Qt::SolidLine, tr("Pass@1 strict"), QCPScatterStyle::ssDisc, marker, line);
  // Flexible's hollow ring is drawn larger than strict's disc, so where both checkers agree the
  // ring circles the disc instead of vanishing under it; when they agree in every round the
  // legend says so, since the dashed line then lies under the solid one.
  add(rounds, flexible, Qt::DashLine, coincide ? tr("Pass@1 flexible (same as strict)") : tr("Pass@1 flexible"),
      QCPScatterStyle::ssCircle, marker * 1.7, line * 0.75);
  if (!kName.isEmpty())
    add(kRounds, passK, Qt::DotLine, kName.section(QLatin1Char('.'), 0, 0), QCPScatterStyle::ssTriangle, marker,
        line);
}

void ChartPanel::reload() {
  m_passPlot->clearGraphs();
  m_samplers.clear();
  m_strict.clear();
  QStringList dirs;
  if (!m_primary.isEmpty()) dirs << m_primary;
  dirs << m_comparisons;
  QStringList names;
  for (const QString& dir : dirs) names << experimentName(dir);
  const QStringList labels = distinctLabels(names, dirs);
  // One experiment: its name heads the chart and the legend names only the curves.
  const bool labelled = dirs.size() > 1;
  m_titleText = labelled || labels.isEmpty() ? tr("Pass@1 by round") : tr("Pass@1 by round — %1").arg(labels.front());
  m_title->setText(m_titleText);
  for (int i = 0; i < dirs.size(); ++i) {
    const bool primary = i == 0 && !m_primary.isEmpty();
    plotExperiment(dirs[i], labels[i], labelled, seriesColor(m_primary.isEmpty() ? i + 1 : i), primary);
  }
  double maxRound = 1;
  for (int i = 0; i < m_passPlot->graphCount(); ++i) {
    bool found = false;
    const QCPRange range = m_passPlot->graph(i)->getKeyRange(found);
    if (found) maxRound = std::max(maxRound, range.upper);
  }
  m_passPlot->legend->setVisible(m_passPlot->graphCount() > 0);
  m_passPlot->xAxis->setRange(-0.3, maxRound + 0.3);
  m_passPlot->yAxis->setRange(0, 100);
  m_legendColumns = 0;  // the names changed: measure again
  applySize();
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
  m_lossPlot->xAxis->setLabel(m_lossRound >= 0 ? tr("training step (round %1)").arg(m_lossRound) : tr("training step"));
  // The axis spans the data, not 0 to the largest loss: a converged run's loss varies in its
  // second decimal, which a 0-based axis flattens into a line on the floor.
  double low = std::numeric_limits<double>::infinity(), high = -low;
  for (double l : m_loss)
    if (std::isfinite(l)) {
      low = std::min(low, l);
      high = std::max(high, l);
    }
  if (!std::isfinite(low)) {
    low = 0;
    high = 1;
  }
  const double pad = std::max({(high - low) * 0.08, std::abs(high) * 0.02, 1e-3});
  const double bottom = low >= 0 && low - pad < 0 ? 0.0 : low - pad;
  m_lossPlot->yAxis->setRange(bottom, high + pad);
  // Half a step of margin at both ends (more on long runs), so the first and last points are not
  // drawn on the axes.
  const double first = steps.isEmpty() ? 0.0 : steps.front(), last = steps.isEmpty() ? 1.0 : steps.back();
  const double margin = std::max(0.5, (last - first) * 0.01);
  m_lossPlot->xAxis->setRange(first - margin, last + margin);
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

QStringList ChartPanel::legendNames() const {
  QStringList names;
  for (int i = 0; i < m_passPlot->graphCount(); ++i) names << m_passPlot->graph(i)->name();
  return names;
}

QString ChartPanel::title() const { return m_titleText; }

void ChartPanel::setLossVisible(bool visible) { m_lossPlot->setVisible(visible); }

bool ChartPanel::exportTo(const QString& path, int width, int height) {
  if (path.endsWith(QStringLiteral(".pdf"), Qt::CaseInsensitive)) return m_passPlot->savePdf(path, width, height);
  return m_passPlot->savePng(path, width, height);
}

QByteArray ChartPanel::passPng(int width, int height, double scale) {
  // Laid out at the size asked for, so the legend's columns fit that width.
  const QSize shown = m_passPlot->size();
  m_passPlot->resize(width, height);
  m_legendColumns = 0;
  applySize();
  const QPixmap pixmap = m_passPlot->toPixmap(width, height, scale);
  m_passPlot->resize(shown);
  m_legendColumns = 0;
  applySize();
  m_passPlot->replot();
  QByteArray png;
  QBuffer buffer(&png);
  buffer.open(QIODevice::WriteOnly);
  pixmap.save(&buffer, "PNG");
  return png;
}

void ChartPanel::setPresentationStyle(bool large) {
  m_large = large;
  m_fontSize = 0;
  applySize();
  reload();
}

void ChartPanel::changeEvent(QEvent* event) {
  QWidget::changeEvent(event);
  // The dark theme arrives as an application palette change; a palette set on the panel (or an
  // ancestor) as a palette change.
  if ((event->type() == QEvent::PaletteChange || event->type() == QEvent::ApplicationPaletteChange) &&
      !m_applyingPalette) {
    applyPalette();
    reload();
  }
}

void ChartPanel::resizeEvent(QResizeEvent* event) {
  QWidget::resizeEvent(event);
  if (applySize()) {
    m_passPlot->replot();
    m_lossPlot->replot();
  }
}

void ChartPanel::applyPalette() {
  m_applyingPalette = true;
  const QPalette pal = palette();
  const QColor background = pal.color(QPalette::Base);
  const QColor text = pal.color(QPalette::Text);
  const QColor axis = blend(text, background, 0.7);
  const QColor grid = blend(text, background, 0.18);
  for (QCustomPlot* plot : {m_passPlot, m_lossPlot}) {
    plot->setBackground(background);
    plot->axisRect()->setBackground(Qt::NoBrush);
    for (QCPAxis* a : {plot->xAxis, plot->yAxis, plot->xAxis2, plot->yAxis2}) {
      a->setBasePen(QPen(axis, 1));
      a->setTickPen(QPen(axis, 1));
      a->setSubTickPen(QPen(axis, 1));
      a->setTickLabelColor(text);
      a->setLabelColor(text);
      a->grid()->setPen(QPen(grid, 1, Qt::DotLine));
      a->grid()->setZeroLinePen(QPen(blend(text, background, 0.35), 1));
    }
    // Outside the axes the legend needs no box of its own.
    plot->legend->setBrush(Qt::NoBrush);
    plot->legend->setBorderPen(Qt::NoPen);
    plot->legend->setTextColor(text);
  }
  m_title->setTextColor(text);
  const bool dark = background.lightnessF() < 0.5;
  m_lossPlot->graph(0)->setPen(QPen(dark ? kLossColor.lighter(120) : kLossColor, 1.5));
  m_lossPlot->graph(0)->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, dark ? kLossColor.lighter(120) : kLossColor, 4));
  m_applyingPalette = false;
}

bool ChartPanel::applySize() {
  bool changed = false;
  // Presentation: the type follows the panel, about a 30th of its height (a 50th of its width
  // when that is smaller), so the same chart reads on a laptop and on a projector.
  const double base = m_large ? std::clamp(std::min(width() / 50.0, height() / 30.0), 11.0, 30.0)
                              : std::max(8.0, QFont().pointSizeF());
  const double rounded = std::round(base * 2) / 2;
  if (rounded != m_fontSize) {
    m_fontSize = rounded;
    changed = true;
    for (QCustomPlot* plot : {m_passPlot, m_lossPlot}) {
      for (QCPAxis* axis : {plot->xAxis, plot->yAxis}) {
        axis->setTickLabelFont(sized(m_fontSize));
        axis->setLabelFont(sized(m_fontSize));
      }
      plot->legend->setFont(sized(m_fontSize * (m_large ? 0.9 : 1.0)));
      plot->legend->setIconSize(m_large ? QSize(int(m_fontSize * 2.5), int(m_fontSize * 1.2)) : QSize(32, 18));
    }
    m_title->setFont(sized(m_fontSize * (m_large ? 1.4 : 1.25), true));
  }

  // The legend's columns: as many curves to a row as fit the plot's width (three at most: one
  // experiment's curves to a row).
  QCPLegend* legend = m_passPlot->legend;
  const QFontMetrics metrics(legend->font());
  int widest = 0;
  for (int i = 0; i < m_passPlot->graphCount(); ++i)
    widest = std::max(widest, metrics.horizontalAdvance(m_passPlot->graph(i)->name()));
  const int item = widest + legend->iconSize().width() + legend->iconTextPadding() + 24;
  const int available = std::max(1, m_passPlot->width() - 40);
  const int columns = std::clamp(available / std::max(1, item), 1, 3);
  if (columns != m_legendColumns) {
    m_legendColumns = columns;
    legend->setWrap(columns);
    legend->setFillOrder(QCPLayoutGrid::foColumnsFirst, true);
    changed = true;
  }

  // The loss plot's ticks: no more than its axes have room for, so labels never overlap.
  const QFontMetrics tickMetrics(sized(m_fontSize));
  const int axisHeight = std::max(1, m_lossPlot->height() - 2 * tickMetrics.height() - 16);
  const int yTicks = std::clamp(axisHeight / (2 * tickMetrics.height()), 1, 5);
  const int xTicks = std::clamp(m_lossPlot->width() / (6 * tickMetrics.horizontalAdvance(QLatin1Char('0')) + 40), 2, 8);
  if (m_lossPlot->yAxis->ticker()->tickCount() != yTicks || m_lossPlot->xAxis->ticker()->tickCount() != xTicks) {
    m_lossPlot->yAxis->ticker()->setTickCount(yTicks);
    m_lossPlot->xAxis->ticker()->setTickCount(xTicks);
    changed = true;
  }
  return changed;
}

}  // namespace tpt::ui
