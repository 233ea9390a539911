// The Pass@1 chart: Pass@1 per round (strict and flexible, with the base model at round 0) and
// pass@k, updated as rounds finish, with other experiments overlaid for comparison; below it,
// the training loss of the latest round that trained. Hover a point for its exact value and who
// sampled that round (the in-process engine, or a server with its URL and version);
// export as PNG or PDF. Reads experiments through their databases, read-only (WAL lets it
// read while a run writes).
//
// The legend sits under the plot, never over the data. Colours come from the widget's palette
// (the dark theme included, followed as it changes); in presentation style the type scales with
// the widget, so a projector and a laptop both read it.
#pragma once

#include <QColor>
#include <QHash>
#include <QMap>
#include <QStringList>
#include <QVector>
#include <QWidget>

class QCPGraph;
class QCPTextElement;
class QCustomPlot;
class QMouseEvent;

namespace tpt::ui {

class ChartPanel : public QWidget {
  Q_OBJECT

 public:
  explicit ChartPanel(QWidget* parent = nullptr);

  // The experiment the chart follows (and whose loss it plots).
  void setExperiment(const QString& dir);
  QString experiment() const { return m_primary; }
  // Overlays another experiment's Pass@1 curves.
  void addComparison(const QString& dir);
  void clearComparisons();
  QStringList comparisons() const { return m_comparisons; }

  // Writes the Pass@1 chart to `path`: PDF for .pdf, PNG otherwise. False when writing failed.
  bool exportTo(const QString& path, int width = 1200, int height = 700);
  // The Pass@1 chart as PNG bytes, `width` x `height` logical pixels drawn at `scale` (2: sharp
  // when shown at `width`), in the panel's palette.
  QByteArray passPng(int width, int height, double scale = 1.0);

  // For tests and presentation: the followed experiment's strict Pass@1 (%) by round.
  QVector<double> strictPass1() const { return m_strict; }
  QVector<double> lossCurve() const { return m_loss; }
  QCustomPlot* passPlot() const { return m_passPlot; }
  QCustomPlot* lossPlot() const { return m_lossPlot; }
  // The Pass@1 legend's entries, in order, and the chart's title.
  QStringList legendNames() const;
  QString title() const;

  // What each experiment is called in a legend: its name, with its folder added where two
  // experiments shown share a name (and the folder's parent where folders repeat too).
  static QStringList distinctLabels(const QStringList& names, const QStringList& dirs);

  // What hovering point `index` of `graph` in `plot` shows: the curve, round and value, and
  // for a Pass@1 point the round's sampler(s).
  QString pointText(QCustomPlot* plot, QCPGraph* graph, int index) const;

  // Large type for presentation mode, scaled with the panel's size.
  void setPresentationStyle(bool large);
  // Shows or hides the training-loss plot under the Pass@1 chart.
  void setLossVisible(bool visible);
  // The point size the axes' text has now (the title's is larger).
  double baseFontSize() const { return m_fontSize; }

 public Q_SLOTS:
  // Re-reads every experiment shown (after a round finished).
  void reload();
  // Re-reads the training loss only (during Train).
  void reloadLoss();

 protected:
  void changeEvent(QEvent* event) override;
  void resizeEvent(QResizeEvent* event) override;

 private:
  void showPointTip(QMouseEvent* event);
  void plotExperiment(const QString& dir, const QString& label, bool labelled, const QColor& color, bool primary);
  // Colours from the palette onto both plots (backgrounds, axes, grid, text).
  void applyPalette();
  // Fonts (scaled in presentation style), the legend's columns and the loss plot's tick counts
  // for the current size. True when something changed.
  bool applySize();
  QColor seriesColor(int index) const;

  QString m_primary;
  QStringList m_comparisons;
  QCustomPlot* m_passPlot = nullptr;
  QCustomPlot* m_lossPlot = nullptr;
  QCPTextElement* m_title = nullptr;
  QString m_titleText;
  // Per Pass@1 graph: round → "sampled by: …", from the store's sampler origins.
  QHash<const QCPGraph*, QMap<int, QString>> m_samplers;
  QVector<double> m_strict;
  QVector<double> m_loss;
  int m_lossRound = -1;
  bool m_large = false;
  double m_fontSize = 0;
  int m_legendColumns = 0;
  bool m_applyingPalette = false;
};

}  // namespace tpt::ui
