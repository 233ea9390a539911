// Presentation mode, for demos: full screen, large type, the Pass@1 chart, and one test
// problem's answer in every round — the trace going from wrong to right as the model improves.
// Problems the run taught the model (learned) are offered first. Esc or F11 leaves.
#pragma once

#include <QWidget>

class QComboBox;
class QLabel;
class QVBoxLayout;

namespace tpt::ui {

class ChartPanel;

class PresentationWindow : public QWidget {
  Q_OBJECT

 public:
  explicit PresentationWindow(const QString& experimentDir, QWidget* parent = nullptr);

  // Re-reads the experiment (after a round finished).
  void reload();
  // Shows the problem with this key; false when the experiment has not scored it.
  bool showProblem(const QString& problemKey);
  int problemCount() const;
  // The answer cards shown, one per scored round: "round N: right|wrong".
  QStringList cardSummaries() const { return m_cardSummaries; }

 protected:
  void keyPressEvent(QKeyEvent* event) override;

 private:
  void showSelectedProblem();

  QString m_dir;
  ChartPanel* m_chart = nullptr;
  QComboBox* m_problem = nullptr;
  QLabel* m_question = nullptr;
  QWidget* m_cards = nullptr;
  QVBoxLayout* m_cardLayout = nullptr;
  QStringList m_cardSummaries;
};

}  // namespace tpt::ui
