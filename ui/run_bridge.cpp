#include "run_bridge.h"

#include <QThread>

#include <chrono>

#include "run/runner.h"

namespace tpt::ui {

namespace {

// Forwards the engine's callbacks as signals. Emitted from the engine thread, they reach
// GUI-thread receivers queued. Progress is thinned to 20 reports a second: generation reports
// every decoding step, far more often than anyone can read.
class SignalObserver : public run::Observer {
 public:
  explicit SignalObserver(RunBridge* bridge) : m_bridge(bridge) {}

  void on_phase(int round, run::Phase phase) override {
    Q_EMIT m_bridge->phaseChanged(round, phase);
  }
  void on_progress(const run::Progress& p) override {
    const auto now = std::chrono::steady_clock::now();
    const bool last = p.total > 0 && p.done >= p.total;
    if (!last && now - m_lastProgress < std::chrono::milliseconds(50)) return;
    m_lastProgress = now;
    RunProgress out;
    out.round = p.round;
    out.phase = p.phase;
    out.done = p.done;
    out.total = p.total;
    out.unit = QString::fromStdString(p.unit);
    out.elapsedSeconds = p.elapsed_seconds;
    out.tokensPerSecond = p.tokens_per_second;
    out.etaSeconds = p.eta_seconds;
    out.hasLoss = p.loss.has_value();
    out.loss = p.loss.value_or(0.0);
    Q_EMIT m_bridge->progressed(out);
  }
  void on_log(const run::LogLine& line) override {
    Q_EMIT m_bridge->logged(QString::fromStdString(line.level), line.round, QString::fromStdString(line.phase),
                            QString::fromStdString(line.message));
  }
  void on_server(const run::ServerStatus& s) override {
    ServerState out;
    out.round = s.round;
    out.phase = s.phase;
    out.state = QString::fromStdString(s.state);
    out.url = QString::fromStdString(s.url);
    out.command = QString::fromStdString(s.command);
    out.version = QString::fromStdString(s.version);
    for (const auto& line : s.log_lines) out.logLines << QString::fromStdString(line);
    Q_EMIT m_bridge->serverChanged(out);
  }
  void on_trainer(const run::TrainerStatus& s) override {
    TrainerState out;
    out.round = s.round;
    out.state = QString::fromStdString(s.state);
    out.command = QString::fromStdString(s.command);
    out.logFile = QString::fromStdString(s.log_file);
    out.stateChanged = s.state_changed;
    for (const auto& line : s.log_lines) out.logLines << QString::fromStdString(line);
    Q_EMIT m_bridge->trainerChanged(out);
  }
  void on_round_done(int round, const std::map<std::string, double>& metrics) override {
    QVariantMap map;
    for (const auto& [name, value] : metrics) map.insert(QString::fromStdString(name), value);
    Q_EMIT m_bridge->roundFinished(round, map);
  }

 private:
  RunBridge* m_bridge;
  std::chrono::steady_clock::time_point m_lastProgress{};
};

}  // namespace

RunBridge::RunBridge(QObject* parent) : QObject(parent) {
  qRegisterMetaType<tpt::ui::RunProgress>();
  qRegisterMetaType<tpt::ui::ServerState>();
  qRegisterMetaType<tpt::ui::TrainerState>();
  qRegisterMetaType<tpt::run::Phase>();
  qRegisterMetaType<tpt::run::RunOutcome>();
}

RunBridge::~RunBridge() {
  if (m_thread) {
    m_control->cancel();
    m_thread->wait();
    delete m_thread;
  }
}

std::unique_ptr<run::Observer> RunBridge::makeObserver() { return std::make_unique<SignalObserver>(this); }

bool RunBridge::isRunning() const { return m_thread && !m_thread->isFinished(); }

bool RunBridge::isPaused() const { return m_control && m_control->paused(); }

bool RunBridge::isHeld() const { return isRunning() && m_control && m_control->held(); }

void RunBridge::start(const QString& experimentDir, const Prepare& prepare) {
  if (isRunning()) return;
  if (m_thread) m_thread->wait();  // finished; its deleteLater is queued
  m_dir = experimentDir;
  m_control = std::make_unique<run::RunControl>();
  run::RunControl* control = m_control.get();
  const std::string dir = experimentDir.toStdString();
  m_thread = QThread::create([this, control, dir, prepare] {
    SignalObserver observer(this);
    run::RunOutcome outcome = run::RunOutcome::Failed;
    QString detail;
    try {
      if (prepare) prepare(observer, *control);
      if (control->cancel_requested()) {
        outcome = run::RunOutcome::Cancelled;
      } else {
        const run::RunResult result = run::Runner(dir, &observer, control).run();
        outcome = result.outcome;
        detail = QString::fromStdString(result.detail);
      }
    } catch (const std::exception& e) {
      detail = QString::fromStdString(e.what());
    }
    Q_EMIT finished(outcome, detail);
  });
  m_thread->setObjectName(QStringLiteral("tpt-engine"));
  // The thread object is deleted on the GUI thread once it has finished.
  QThread* thread = m_thread;
  connect(thread, &QThread::finished, this, [this, thread] {
    thread->deleteLater();
    if (m_thread == thread) m_thread = nullptr;
  });
  m_thread->start();
  Q_EMIT started(experimentDir);
}

void RunBridge::pause() {
  if (!isRunning() || m_control->paused()) return;
  m_control->pause();
  Q_EMIT pausedChanged(true);
}

void RunBridge::resume() {
  if (!isRunning() || !m_control->paused()) return;
  m_control->resume();
  Q_EMIT pausedChanged(false);
}

void RunBridge::cancel() {
  if (!isRunning()) return;
  m_control->cancel();
}

}  // namespace tpt::ui
