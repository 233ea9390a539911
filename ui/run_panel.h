// The Run panel: start, pause, resume and cancel; the current round and phase with a progress
// bar, ETA and tokens/s; the model server a phase samples from (sampler.backend "openai") and
// the external trainer a Train runs (trainer.backend "command"), each with its state and its own
// log; and the run's log. It only talks to the RunBridge.
#pragma once

#include <QWidget>

class QLabel;
class QPlainTextEdit;
class QProgressBar;
class QPushButton;
class QTabWidget;

namespace tpt::ui {

class RunBridge;
struct RunProgress;
struct ServerState;
struct TrainerState;

class RunPanel : public QWidget {
  Q_OBJECT

 public:
  explicit RunPanel(RunBridge* bridge, QWidget* parent = nullptr);

  QPushButton* startButton() const { return m_start; }
  QPushButton* pauseButton() const { return m_pause; }
  QPushButton* cancelButton() const { return m_cancel; }
  QString statusText() const;
  // The progress bar's text ("2 / 3 rounds").
  QString progressText() const;
  // Shows `dir`'s stored state (completed, cancelled in round 2, …; nothing for "") and clears
  // what an earlier experiment or run left: status, progress, speed, logs and badges.
  void setExperiment(const QString& dir);
  QString logText() const;
  // "server · round 1 think: ready at http://127.0.0.1:8000 (0.6.3)"; empty before any server.
  QString serverStatusText() const;
  QString serverToolTip() const;
  QString serverLogText() const;
  // The server log keeps this many lines, the newest.
  static constexpr int kServerLogLines = 2000;
  // "trainer · round 2: running (trl sft …)"; empty before any external trainer.
  QString trainerStatusText() const;
  QString trainerToolTip() const;
  QString trainerLogText() const;
  // The trainer log keeps this many lines, the newest.
  static constexpr int kTrainerLogLines = 2000;

 Q_SIGNALS:
  // The user asked to start: the window saves the settings and starts the bridge.
  void startRequested();

 public Q_SLOTS:
  void appendLog(const QString& level, const QString& message);
  void showServer(const tpt::ui::ServerState& server);
  void showTrainer(const tpt::ui::TrainerState& trainer);

 private:
  void onProgress(const RunProgress& progress);
  void setRunning(bool running);
  // "Round 2 of 3 · train", "Base model · eval" (round 0 scores the base model; it is not a
  // round done), or the built-in base model's build before the run's first phase.
  QString phaseText(int round, int phaseIndex) const;
  void showStoredState();
  // The experiment's stored log, its last kStoredLogLines lines.
  void showStoredLog();
  static constexpr int kStoredLogLines = 300;
  void clearRunState();

  QString m_dir;
  int m_roundsPlanned = 0;
  bool m_preparing = false;  // between Start and the first phase: building the built-in base model
  RunBridge* m_bridge;
  QPushButton* m_start = nullptr;
  QPushButton* m_pause = nullptr;
  QPushButton* m_cancel = nullptr;
  QLabel* m_phase = nullptr;
  QProgressBar* m_progress = nullptr;
  QLabel* m_speed = nullptr;
  QLabel* m_server = nullptr;
  QString m_serverState;  // round, phase and state last shown, to mark changes in the server log
  QLabel* m_trainer = nullptr;
  QString m_trainerState;  // round and state last shown, to mark changes in the trainer log
  QTabWidget* m_logTabs = nullptr;
  QPlainTextEdit* m_log = nullptr;
  QPlainTextEdit* m_serverLog = nullptr;
  QPlainTextEdit* m_trainerLog = nullptr;
};

// "1m05s", "2h03m", "42s"
QString formatDuration(double seconds);

// A command line as short as a badge can hold: its program (without folder) and the words
// before the first option, e.g. "trl sft …", "accelerate launch …", "tpt sft …".
QString shortCommand(const QString& command);

}  // namespace tpt::ui
