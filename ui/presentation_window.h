// Presentation, for stakeholders: the Pass@1 chart in large type and one test problem's answer
// in every round — the answer going from wrong to right as the model improves. It opens on a
// problem the run taught the model and kept right to the last round; the picker names problems
// by their question's first words. Type scales with the widget, so the same page reads in the
// main window and full screen on a projector. "Report…" writes the one-click report
// (report.h).
//
// A plain QWidget: the main window embeds it as a page, and it goes full screen (F11, or
// setFullScreen / showFullScreen from outside) and back into its page (Esc or F11). Shown full
// screen while not in a layout (a window of its own), Esc closes it.
#pragma once

#include <QWidget>

class QComboBox;
class QLabel;
class QPushButton;
class QVBoxLayout;

namespace tpt::ui {

class ChartPanel;

class PresentationWindow : public QWidget {
  Q_OBJECT

 public:
  explicit PresentationWindow(const QString& experimentDir = QString(), QWidget* parent = nullptr);

  // Follows another experiment (empty: none; the page then says how to open one).
  void setExperiment(const QString& experimentDir);
  QString experiment() const { return m_dir; }

  // Shows the problem with this key; false when the experiment has not scored it.
  bool showProblem(const QString& problemKey);
  int problemCount() const;
  QString currentProblemKey() const;
  // The answer cards shown, one per scored round: "round N: right|wrong".
  QStringList cardSummaries() const { return m_cardSummaries; }
  // What the page says instead of chart and problems when it has nothing to show; empty when
  // it shows them.
  QString emptyMessage() const;
  ChartPanel* chartPanel() const { return m_chart; }
  QComboBox* problemPicker() const { return m_problem; }
  bool isFullScreenPresentation() const { return m_fullScreen; }

 public Q_SLOTS:
  // Re-reads the experiment (after a round finished).
  void reload();
  // Full screen on the widget's screen, or back where it was: into its page when it has one,
  // closed when it is a window of its own.
  void setFullScreen(bool fullScreen);
  void toggleFullScreen() { setFullScreen(!m_fullScreen); }
  // Asks where to save the report and writes it (report.h, saveReportAs).
  void saveReport();

 Q_SIGNALS:
  void fullScreenChanged(bool fullScreen);
  // A report was written to `path`.
  void reportSaved(const QString& path);

 protected:
  void keyPressEvent(QKeyEvent* event) override;
  void changeEvent(QEvent* event) override;
  void resizeEvent(QResizeEvent* event) override;

 private:
  void showSelectedProblem();
  void applyFontSize();
  // Whether the widget sits in its parent's layout (a page), rather than being a window.
  bool isInPage() const;

  QString m_dir;
  QLabel* m_empty = nullptr;
  QWidget* m_content = nullptr;
  ChartPanel* m_chart = nullptr;
  QComboBox* m_problem = nullptr;
  QPushButton* m_report = nullptr;
  QPushButton* m_fullScreenButton = nullptr;
  QLabel* m_heading = nullptr;
  QLabel* m_question = nullptr;
  QLabel* m_hint = nullptr;
  QWidget* m_cards = nullptr;
  QVBoxLayout* m_cardLayout = nullptr;
  QStringList m_cardSummaries;
  bool m_fullScreen = false;
  bool m_returnToPage = false;
  bool m_switching = false;
  double m_fontSize = 0;
};

}  // namespace tpt::ui
