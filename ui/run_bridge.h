// Runs an experiment on its own engine thread and reports to the GUI through queued signals.
// The GUI thread never calls into the runner: it only starts the thread and flips the
// RunControl's flags (pause, resume, cancel), which the engine checks between batches and
// steps.
#pragma once

#include <QObject>
#include <QString>
#include <QStringList>
#include <QVariantMap>

#include <functional>
#include <memory>

#include "run/control.h"
#include "run/observer.h"
#include "run/runner.h"

class QThread;

namespace tpt::ui {

// One progress report, as the GUI shows it.
struct RunProgress {
  int round = 0;
  run::Phase phase = run::Phase::Think;
  qint64 done = 0;
  qint64 total = 0;
  QString unit;
  double elapsedSeconds = 0.0;
  double tokensPerSecond = 0.0;
  double etaSeconds = -1.0;  // < 0: unknown
  bool hasLoss = false;
  double loss = 0.0;
};

// The model server a phase samples from (sampler.backend "openai"), as the GUI shows it.
struct ServerState {
  int round = 0;
  run::Phase phase = run::Phase::Think;
  QString state;    // "starting", "ready", "restarting", "failed", "stopped"
  QString url;
  QString command;  // empty when attached
  QString version;
  QStringList logLines;  // printed since the last report
};

// The external trainer a Train runs as a child process (trainer.backend "command"), as the GUI
// shows it.
struct TrainerState {
  int round = 0;
  QString state;    // "starting", "running", "paused", "finished", "failed", "stopped"
  QString command;  // the command line, placeholders filled in
  QString logFile;  // the whole output, in the experiment's logs/ folder
  QStringList logLines;  // printed since the last report
  bool stateChanged = true;  // false: the same state, only new log lines
};

class RunBridge : public QObject {
  Q_OBJECT

 public:
  // Work to do on the engine thread before the run (e.g. build the built-in demo model).
  using Prepare = std::function<void(run::Observer& observer, run::RunControl& control)>;

  explicit RunBridge(QObject* parent = nullptr);
  // Cancels a run in progress and waits for its thread.
  ~RunBridge() override;

  // The observer a run reports through: its callbacks, from any thread, become this bridge's
  // signals. start() makes one for the engine thread; work that runs beside the runner on
  // its own thread (and tests) can report through another.
  std::unique_ptr<run::Observer> makeObserver();

  bool isRunning() const;
  // Pause was asked for (the run holds after the batch in flight).
  bool isPaused() const;
  // The engine thread has reached that point and waits: nothing is written while held.
  bool isHeld() const;
  QString experimentDir() const { return m_dir; }

 public Q_SLOTS:
  // Starts `experimentDir` (its experiment.json) on the engine thread; ignored while running.
  void start(const QString& experimentDir, const tpt::ui::RunBridge::Prepare& prepare = {});
  void pause();
  void resume();
  void cancel();

 Q_SIGNALS:
  void started(const QString& experimentDir);
  void phaseChanged(int round, tpt::run::Phase phase);
  void progressed(const tpt::ui::RunProgress& progress);
  void logged(const QString& level, int round, const QString& phase, const QString& message);
  void serverChanged(const tpt::ui::ServerState& server);
  void trainerChanged(const tpt::ui::TrainerState& trainer);
  void roundFinished(int round, const QVariantMap& metrics);
  void pausedChanged(bool paused);
  // `detail` says why it stopped, or holds the error of a failed run.
  void finished(tpt::run::RunOutcome outcome, const QString& detail);

 private:
  QThread* m_thread = nullptr;
  std::unique_ptr<run::RunControl> m_control;
  QString m_dir;
};

}  // namespace tpt::ui

Q_DECLARE_METATYPE(tpt::ui::RunProgress)
Q_DECLARE_METATYPE(tpt::ui::ServerState)
Q_DECLARE_METATYPE(tpt::ui::TrainerState)
Q_DECLARE_METATYPE(tpt::run::Phase)
Q_DECLARE_METATYPE(tpt::run::RunOutcome)
