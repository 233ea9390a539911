#include "run_panel.h"

#include <QDateTime>
#include <QHBoxLayout>
#include <QLabel>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QFontDatabase>
#include <QPushButton>
#include <QTabWidget>
#include <QVBoxLayout>

#include "run_bridge.h"

namespace tpt::ui {

QString formatDuration(double seconds) {
  const qint64 s = static_cast<qint64>(seconds + 0.5);
  if (s < 60) return QStringLiteral("%1s").arg(s);
  if (s < 3600) return QStringLiteral("%1m%2s").arg(s / 60).arg(s % 60, 2, 10, QLatin1Char('0'));
  return QStringLiteral("%1h%2m").arg(s / 3600).arg(s / 60 % 60, 2, 10, QLatin1Char('0'));
}

RunPanel::RunPanel(RunBridge* bridge, QWidget* parent) : QWidget(parent), m_bridge(bridge) {
  setObjectName(QStringLiteral("runPanel"));
  auto* layout = new QVBoxLayout(this);
  auto* buttons = new QHBoxLayout;
  m_start = new QPushButton(tr("Start"), this);
  m_start->setObjectName(QStringLiteral("startRun"));
  m_start->setToolTip(tr("Run the experiment's rounds, or resume where it stopped (F5)"));
  m_pause = new QPushButton(tr("Pause"), this);
  m_pause->setObjectName(QStringLiteral("pauseRun"));
  m_pause->setToolTip(tr("Hold the run after the current batch (F6); press again to resume"));
  m_cancel = new QPushButton(tr("Cancel"), this);
  m_cancel->setObjectName(QStringLiteral("cancelRun"));
  m_cancel->setToolTip(tr("Stop after the current batch; the next Start resumes (Shift+F5)"));
  buttons->addWidget(m_start);
  buttons->addWidget(m_pause);
  buttons->addWidget(m_cancel);
  m_phase = new QLabel(tr("Not running"), this);
  m_phase->setObjectName(QStringLiteral("runStatus"));
  buttons->addWidget(m_phase, 1);
  layout->addLayout(buttons);

  auto* progressRow = new QHBoxLayout;
  m_progress = new QProgressBar(this);
  m_progress->setObjectName(QStringLiteral("runProgress"));
  m_progress->setRange(0, 1);
  m_progress->setValue(0);
  m_speed = new QLabel(this);
  m_speed->setObjectName(QStringLiteral("runSpeed"));
  m_speed->setMinimumWidth(260);
  progressRow->addWidget(m_progress, 1);
  progressRow->addWidget(m_speed);
  layout->addLayout(progressRow);

  // Hidden until a phase samples on a server: in-process runs have nothing to say here.
  m_server = new QLabel(this);
  m_server->setObjectName(QStringLiteral("serverStatus"));
  m_server->setTextInteractionFlags(Qt::TextSelectableByMouse);
  m_server->hide();
  layout->addWidget(m_server);

  m_logTabs = new QTabWidget(this);
  m_logTabs->setObjectName(QStringLiteral("logTabs"));
  m_log = new QPlainTextEdit(m_logTabs);
  m_log->setObjectName(QStringLiteral("runLog"));
  m_log->setReadOnly(true);
  m_log->setMaximumBlockCount(5000);
  m_logTabs->addTab(m_log, tr("Run log"));
  // A launched server can print thousands of lines (vLLM logs every request): bounded, and
  // apart from the run's own log so that the run's story stays readable.
  m_serverLog = new QPlainTextEdit(m_logTabs);
  m_serverLog->setObjectName(QStringLiteral("serverLog"));
  m_serverLog->setReadOnly(true);
  m_serverLog->setMaximumBlockCount(kServerLogLines);
  m_serverLog->setLineWrapMode(QPlainTextEdit::NoWrap);
  m_serverLog->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
  m_serverLog->setPlaceholderText(
      tr("The output of a model server the run launches (sampler.launch) appears here; the whole log is in the "
         "experiment's logs/ folder."));
  m_logTabs->addTab(m_serverLog, tr("Server log"));
  layout->addWidget(m_logTabs, 1);

  connect(m_start, &QPushButton::clicked, this, &RunPanel::startRequested);
  connect(m_pause, &QPushButton::clicked, this, [this] {
    if (m_bridge->isPaused()) m_bridge->resume();
    else m_bridge->pause();
  });
  connect(m_cancel, &QPushButton::clicked, m_bridge, &RunBridge::cancel);
  connect(m_bridge, &RunBridge::started, this, [this](const QString& dir) {
    setRunning(true);
    // A server of an earlier run (maybe another experiment's) is not this run's.
    m_server->hide();
    m_serverState.clear();
    appendLog(QStringLiteral("info"), tr("starting %1").arg(dir));
  });
  connect(m_bridge, &RunBridge::pausedChanged, this, [this](bool paused) {
    m_pause->setText(paused ? tr("Resume") : tr("Pause"));
    if (paused) m_phase->setText(m_phase->text() + tr(" — paused"));
    appendLog(QStringLiteral("info"), paused ? tr("paused (after the current batch)") : tr("resumed"));
  });
  connect(m_bridge, &RunBridge::phaseChanged, this, [this](int round, run::Phase phase) {
    m_phase->setText(tr("Round %1 · %2").arg(round).arg(QString::fromLatin1(run::to_string(phase))));
    m_progress->setRange(0, 0);  // busy until the first report
  });
  connect(m_bridge, &RunBridge::progressed, this, &RunPanel::onProgress);
  connect(m_bridge, &RunBridge::serverChanged, this, &RunPanel::showServer);
  connect(m_bridge, &RunBridge::logged, this,
          [this](const QString& level, int, const QString&, const QString& message) { appendLog(level, message); });
  connect(m_bridge, &RunBridge::finished, this, [this](run::RunOutcome result, const QString& detail) {
    setRunning(false);
    const QString outcome = QString::fromLatin1(run::to_string(result));
    m_phase->setText(detail.isEmpty() ? tr("Run %1").arg(outcome) : tr("Run %1: %2").arg(outcome, detail));
    appendLog(result == run::RunOutcome::Failed ? QStringLiteral("error") : QStringLiteral("info"),
              detail.isEmpty() ? tr("run %1").arg(outcome) : tr("run %1: %2").arg(outcome, detail));
    if (m_progress->maximum() == 0) m_progress->setRange(0, 1);
  });
  setRunning(false);
}

void RunPanel::setRunning(bool running) {
  m_start->setEnabled(!running);
  m_pause->setEnabled(running);
  m_cancel->setEnabled(running);
  m_pause->setText(tr("Pause"));
}

void RunPanel::onProgress(const RunProgress& p) {
  m_phase->setText(tr("Round %1 · %2").arg(p.round).arg(QString::fromLatin1(run::to_string(p.phase))) + (m_bridge->isPaused() ? tr(" — paused") : QString()));
  if (p.total > 0) {
    // QProgressBar holds ints; scale large totals.
    const double scale = p.total > 1000000 ? 1000000.0 / p.total : 1.0;
    m_progress->setRange(0, static_cast<int>(p.total * scale));
    m_progress->setValue(static_cast<int>(p.done * scale));
    m_progress->setFormat(QStringLiteral("%1 / %2 %3").arg(p.done).arg(p.total).arg(p.unit));
  }
  QString speed = tr("%1 tok/s").arg(p.tokensPerSecond, 0, 'f', 0);
  speed += QStringLiteral(" · ") + (p.etaSeconds >= 0 ? tr("ETA %1").arg(formatDuration(p.etaSeconds)) : tr("ETA –"));
  if (p.hasLoss) speed += QStringLiteral(" · ") + tr("loss %1").arg(p.loss, 0, 'f', 4);
  m_speed->setText(speed);
}

void RunPanel::appendLog(const QString& level, const QString& message) {
  const QString time = QDateTime::currentDateTime().toString(QStringLiteral("HH:mm:ss"));
  const QString prefix = level == QStringLiteral("info") ? QString() : level.toUpper() + QStringLiteral(": ");
  m_log->appendPlainText(QStringLiteral("%1  %2%3").arg(time, prefix, message));
}

void RunPanel::showServer(const ServerState& s) {
  const QString where = tr("server · round %1 %2").arg(s.round).arg(QString::fromLatin1(run::to_string(s.phase)));
  const QString version = s.version.isEmpty() ? QString() : QStringLiteral(" (%1)").arg(s.version);
  QString text;
  QString color;  // the badge's colour says the state at a glance
  if (s.state == QStringLiteral("starting")) {
    text = tr("%1: starting… %2").arg(where, s.url);
    color = QStringLiteral("#fff3cd");
  } else if (s.state == QStringLiteral("ready")) {
    text = tr("%1: ready at %2%3").arg(where, s.url, version);
    color = QStringLiteral("#d1e7dd");
  } else if (s.state == QStringLiteral("restarting")) {
    text = tr("%1: restarting… %2").arg(where, s.url);
    color = QStringLiteral("#fff3cd");
  } else if (s.state == QStringLiteral("failed")) {
    text = tr("%1: failed (%2)").arg(where, s.url);
    color = QStringLiteral("#f8d7da");
  } else {
    text = tr("%1: %2").arg(where, s.state.isEmpty() ? tr("stopped") : s.state);
    color = QStringLiteral("#e2e3e5");
  }
  m_server->setText(text.trimmed());
  m_server->setStyleSheet(QStringLiteral("QLabel { background: %1; color: #212529; border-radius: 3px; padding: 2px 6px; }")
                              .arg(color));
  m_server->setToolTip(s.command.isEmpty() ? tr("Attached: a server the run did not start (sampler.url)")
                                           : tr("Launched: %1").arg(s.command));
  m_server->show();
  // A line per state change keeps each phase's server output apart.
  const QString key = QStringLiteral("%1 %2 %3").arg(s.round).arg(int(s.phase)).arg(s.state);
  if (key != m_serverState) {
    m_serverLog->appendPlainText(QStringLiteral("── %1").arg(text.trimmed()));
    m_serverState = key;
  }
  for (const QString& line : s.logLines) m_serverLog->appendPlainText(line);
}

QString RunPanel::serverStatusText() const { return m_server->isHidden() ? QString() : m_server->text(); }

QString RunPanel::serverToolTip() const { return m_server->toolTip(); }

QString RunPanel::serverLogText() const { return m_serverLog->toPlainText(); }

QString RunPanel::statusText() const { return m_phase->text(); }

QString RunPanel::logText() const { return m_log->toPlainText(); }

}  // namespace tpt::ui
