// The Run panel: start, pause, resume and cancel; the current round and phase with a progress
// bar, ETA and tokens/s; and the run's log. It only talks to the RunBridge.
#pragma once

#include <QWidget>

class QLabel;
class QPlainTextEdit;
class QProgressBar;
class QPushButton;

namespace tpt::ui {

class RunBridge;
struct RunProgress;

class RunPanel : public QWidget {
  Q_OBJECT

 public:
  explicit RunPanel(RunBridge* bridge, QWidget* parent = nullptr);

  QPushButton* startButton() const { return m_start; }
  QPushButton* pauseButton() const { return m_pause; }
  QPushButton* cancelButton() const { return m_cancel; }
  QString statusText() const;
  QString logText() const;

 Q_SIGNALS:
  // The user asked to start: the window saves the settings and starts the bridge.
  void startRequested();

 public Q_SLOTS:
  void appendLog(const QString& level, const QString& message);

 private:
  void onProgress(const RunProgress& progress);
  void setRunning(bool running);

  RunBridge* m_bridge;
  QPushButton* m_start = nullptr;
  QPushButton* m_pause = nullptr;
  QPushButton* m_cancel = nullptr;
  QLabel* m_phase = nullptr;
  QProgressBar* m_progress = nullptr;
  QLabel* m_speed = nullptr;
  QPlainTextEdit* m_log = nullptr;
};

// "1m05s", "2h03m", "42s"
QString formatDuration(double seconds);

}  // namespace tpt::ui
