#include "run_panel.h"

#include <QDateTime>
#include <QDir>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QFontDatabase>
#include <QPushButton>
#include <QRegularExpression>
#include <QScrollBar>
#include <QTabWidget>
#include <QVBoxLayout>

#include <algorithm>
#include <deque>

#include "io/json_fields.h"
#include "report/status.h"
#include "run/paths.h"
#include "store/store.h"
#include "run_bridge.h"

namespace tpt::ui {

namespace {

// A child process's state as a coloured badge: the colour says the state at a glance.
void setBadge(QLabel* badge, const QString& text, const QString& color) {
  badge->setText(text.trimmed());
  badge->setStyleSheet(
      QStringLiteral("QLabel { background: %1; color: #212529; border-radius: 3px; padding: 2px 6px; }").arg(color));
  badge->show();
}

const QString kYellow = QStringLiteral("#fff3cd");
const QString kGreen = QStringLiteral("#d1e7dd");
const QString kRed = QStringLiteral("#f8d7da");
const QString kGrey = QStringLiteral("#e2e3e5");

// The output of a child process (a model server, an external trainer): bounded, because a
// server can log every request and a trainer every step, and apart from the run's own log so
// that the run's story stays readable. The whole output is in the experiment's logs/ folder.
QPlainTextEdit* makeProcessLog(QWidget* parent, const QString& name, int lines, const QString& placeholder) {
  auto* log = new QPlainTextEdit(parent);
  log->setObjectName(name);
  log->setReadOnly(true);
  log->setMaximumBlockCount(lines);
  log->setLineWrapMode(QPlainTextEdit::NoWrap);
  log->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
  log->setPlaceholderText(placeholder);
  return log;
}

// A line of a process's output as a terminal leaves it: progress bars (tqdm, which TRL,
// accelerate and LLaMA-Factory print) redraw themselves after carriage returns, and loggers
// colour with ANSI escapes; in a text view the first is noise and the second garbage.
QString terminalLine(const QString& line) {
  static const QRegularExpression ansi(QStringLiteral("\\x1b\\[[0-9;?]*[ -/]*[@-~]"));
  QString out = line;
  if (out.contains(QChar(0x1b))) out.remove(ansi);
  if (out.contains(QLatin1Char('\r'))) {
    const QStringList redraws = out.split(QLatin1Char('\r'), Qt::SkipEmptyParts);
    out = redraws.isEmpty() ? QString() : redraws.last();
  }
  return out;
}

}  // namespace

QString shortCommand(const QString& command) {
  const QStringList words = command.split(QLatin1Char(' '), Qt::SkipEmptyParts);
  QStringList kept;
  for (const QString& word : words) {
    if (word.startsWith(QLatin1Char('-')) || kept.size() == 3) break;
    // A program or script given with its folder ({tpt} is a full path) is named by its file.
    kept << (word.contains(QLatin1Char('/')) ? QFileInfo(word).fileName() : word);
  }
  if (kept.size() < words.size()) kept << QStringLiteral("…");
  return kept.join(QLatin1Char(' '));
}

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
  // The status changes with every phase ("… — paused"): wrapped, and never asking for width,
  // so the Run page's splitter does not jump as it changes.
  m_phase->setWordWrap(true);
  m_phase->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
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
  m_speed->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
  progressRow->addWidget(m_progress, 1);
  progressRow->addWidget(m_speed);
  layout->addLayout(progressRow);

  // Hidden until a phase samples on a server, or a Train runs an external trainer: in-process
  // runs have nothing to say here.
  m_server = new QLabel(this);
  m_server->setObjectName(QStringLiteral("serverStatus"));
  m_server->setTextInteractionFlags(Qt::TextSelectableByMouse);
  m_server->hide();
  layout->addWidget(m_server);
  m_trainer = new QLabel(this);
  m_trainer->setObjectName(QStringLiteral("trainerStatus"));
  m_trainer->setTextInteractionFlags(Qt::TextSelectableByMouse);
  m_trainer->hide();
  layout->addWidget(m_trainer);

  m_logTabs = new QTabWidget(this);
  m_logTabs->setObjectName(QStringLiteral("logTabs"));
  m_log = new QPlainTextEdit(m_logTabs);
  m_log->setObjectName(QStringLiteral("runLog"));
  m_log->setReadOnly(true);
  m_log->setMaximumBlockCount(5000);
  m_logTabs->addTab(m_log, tr("Run log"));
  m_serverLog = makeProcessLog(
      m_logTabs, QStringLiteral("serverLog"), kServerLogLines,
      tr("The output of a model server the run launches (sampler.launch) appears here; the whole log is in the "
         "experiment's logs/ folder."));
  m_logTabs->addTab(m_serverLog, tr("Server log"));
  m_trainerLog = makeProcessLog(
      m_logTabs, QStringLiteral("trainerLog"), kTrainerLogLines,
      tr("The output of an external trainer (trainer.backend \"command\": TRL, LLaMA-Factory, tpt sft) appears "
         "here while Train runs it; the whole log is in the experiment's logs/ folder."));
  m_logTabs->addTab(m_trainerLog, tr("Trainer log"));
  layout->addWidget(m_logTabs, 1);

  connect(m_start, &QPushButton::clicked, this, &RunPanel::startRequested);
  connect(m_pause, &QPushButton::clicked, this, [this] {
    if (m_bridge->isPaused()) m_bridge->resume();
    else m_bridge->pause();
  });
  connect(m_cancel, &QPushButton::clicked, m_bridge, &RunBridge::cancel);
  connect(m_bridge, &RunBridge::started, this, [this](const QString& dir) {
    setRunning(true);
    m_preparing = true;
    m_speed->clear();
    // A server or trainer of an earlier run (maybe another experiment's) is not this run's.
    m_server->hide();
    m_serverState.clear();
    m_trainer->hide();
    m_trainerState.clear();
    appendLog(QStringLiteral("info"), tr("starting %1").arg(dir));
  });
  connect(m_bridge, &RunBridge::pausedChanged, this, [this](bool paused) {
    m_pause->setText(paused ? tr("Resume") : tr("Pause"));
    if (paused) {
      m_phase->setText(m_phase->text() + tr(" — paused"));
      // A held run has no ETA: it resumes when the user says so.
      m_speed->setText(tr("paused"));
    }
    appendLog(QStringLiteral("info"), paused ? tr("paused (after the current batch)") : tr("resumed"));
  });
  connect(m_bridge, &RunBridge::phaseChanged, this, [this](int round, run::Phase phase) {
    m_preparing = false;
    m_phase->setText(phaseText(round, static_cast<int>(phase)));
    m_progress->setRange(0, 0);  // busy until the first report
  });
  connect(m_bridge, &RunBridge::progressed, this, &RunPanel::onProgress);
  connect(m_bridge, &RunBridge::serverChanged, this, &RunPanel::showServer);
  connect(m_bridge, &RunBridge::trainerChanged, this, &RunPanel::showTrainer);
  connect(m_bridge, &RunBridge::logged, this,
          [this](const QString& level, int, const QString&, const QString& message) { appendLog(level, message); });
  connect(m_bridge, &RunBridge::finished, this, [this](run::RunOutcome result, const QString& detail) {
    setRunning(false);
    m_speed->clear();  // the last batch's speed and "ETA 0s" say nothing about a finished run
    const QString outcome = QString::fromLatin1(run::to_string(result));
    m_phase->setText(detail.isEmpty() ? tr("Run %1").arg(outcome) : tr("Run %1: %2").arg(outcome, detail));
    appendLog(result == run::RunOutcome::Failed ? QStringLiteral("error") : QStringLiteral("info"),
              detail.isEmpty() ? tr("run %1").arg(outcome) : tr("run %1: %2").arg(outcome, detail));
    m_preparing = false;
    // What the experiment holds now (rounds done of planned), not the last batch's bar.
    showStoredState();
    if (!detail.isEmpty() && result != run::RunOutcome::Completed) m_phase->setText(m_phase->text() + QStringLiteral(": ") + detail);
  });
  setRunning(false);
}

void RunPanel::setRunning(bool running) {
  m_start->setEnabled(!running);
  m_pause->setEnabled(running);
  m_cancel->setEnabled(running);
  m_pause->setText(tr("Pause"));
}

QString RunPanel::phaseText(int round, int phaseIndex) const {
  const QString phase = QString::fromLatin1(run::to_string(static_cast<run::Phase>(phaseIndex)));
  if (m_preparing) return tr("Building the built-in base model (once; it is cached)");
  if (round == 0) return tr("Base model · %1").arg(phase);
  return m_roundsPlanned > 0 ? tr("Round %1 of %2 · %3").arg(round).arg(m_roundsPlanned).arg(phase)
                             : tr("Round %1 · %2").arg(round).arg(phase);
}

void RunPanel::setExperiment(const QString& dir) {
  m_dir = dir;
  clearRunState();
  showStoredState();
  showStoredLog();
}

void RunPanel::showStoredLog() {
  if (m_dir.isEmpty()) return;
  const auto paths = run::ExperimentPaths::locate(m_dir.toStdString());
  if (!QFileInfo::exists(QString::fromStdString(paths.store_file))) return;
  // The experiment's own story so far (its last lines): what ran, when, and how it ended.
  std::deque<store::EventRecord> last;
  try {
    store::Store store(paths.store_file, store::OpenMode::read_only);
    const auto experiments = store.list_experiments();
    if (experiments.empty()) return;
    std::int64_t after = 0;
    for (;;) {
      const auto page = store.list_events(experiments.front().id, after, 1000);
      for (const auto& e : page) {
        last.push_back(e);
        if (last.size() > static_cast<size_t>(kStoredLogLines)) last.pop_front();
      }
      if (page.size() < 1000) break;
      after = page.back().id;
    }
  } catch (const std::exception&) {
    return;  // an unreadable database is reported where it is read for the views
  }
  for (const auto& e : last) {
    const QString level = QString::fromStdString(e.level);
    const QString prefix = level == QStringLiteral("info") ? QString() : level.toUpper() + QStringLiteral(": ");
    // Stored times are UTC ("2026-12-06T21:49:03Z"); shown as local time, as new lines are.
    QDateTime time = QDateTime::fromString(QString::fromStdString(e.time), Qt::ISODate);
    const QString shown = time.isValid() ? time.toLocalTime().toString(QStringLiteral("MM-dd HH:mm:ss"))
                                         : QString::fromStdString(e.time);
    m_log->appendPlainText(QStringLiteral("%1  %2%3").arg(shown, prefix, QString::fromStdString(e.message)));
  }
}

void RunPanel::clearRunState() {
  m_speed->clear();
  m_log->clear();
  m_serverLog->clear();
  m_trainerLog->clear();
  m_server->hide();
  m_serverState.clear();
  m_trainer->hide();
  m_trainerState.clear();
  m_progress->setRange(0, 1);
  m_progress->setValue(0);
  m_progress->resetFormat();
}

void RunPanel::showStoredState() {
  m_roundsPlanned = 0;
  if (m_dir.isEmpty()) {
    m_phase->setText(tr("No experiment open"));
    m_progress->setRange(0, 1);
    m_progress->setValue(0);
    m_progress->setFormat(QString());
    return;
  }
  report::ExperimentStatus status;
  try {
    status = report::read_status(m_dir.toStdString());
  } catch (const std::exception&) {
    // No database yet: never run.
    try {
      const auto doc = io::read_json_file(QDir(m_dir).filePath(QStringLiteral("experiment.json")).toStdString());
      if (doc.is_object() && doc.contains("rounds") && doc["rounds"].is_number_integer()) m_roundsPlanned = doc["rounds"].get<int>();
    } catch (const std::exception&) {
    }
    m_phase->setText(tr("Not run yet: Start runs the base model's score, then %n round(s)", nullptr, m_roundsPlanned));
    m_progress->setRange(0, std::max(1, m_roundsPlanned));
    m_progress->setValue(0);
    m_progress->setFormat(tr("0 / %1 rounds").arg(m_roundsPlanned));
    return;
  }
  m_roundsPlanned = status.rounds_planned;
  // Rounds as the user counts them: round 0 is the base model's score, not a round done.
  int done = 0;
  bool baseScored = false;
  for (const auto& r : status.rounds) {
    if (r.state != store::RoundState::Done) continue;
    if (r.round == 0) baseScored = true;
    else ++done;
  }
  m_progress->setRange(0, std::max(1, m_roundsPlanned));
  m_progress->setValue(std::min(done, std::max(1, m_roundsPlanned)));
  m_progress->setFormat(tr("%1 / %2 rounds").arg(done).arg(m_roundsPlanned));
  const QString state = QString::fromStdString(status.state);
  QString text;
  if (state == QStringLiteral("completed"))
    text = tr("Completed: %1 of %2 rounds").arg(done).arg(m_roundsPlanned);
  else if (state == QStringLiteral("new"))
    text = tr("Not run yet: Start runs the base model's score, then %n round(s)", nullptr, m_roundsPlanned);
  else if (state == QStringLiteral("running"))
    text = tr("Running in another process (tpt run): %1 of %2 rounds done").arg(done).arg(m_roundsPlanned);
  else
    text = tr("%1 after %2 of %3 rounds%4; Start resumes")
               .arg(state.left(1).toUpper() + state.mid(1))
               .arg(done)
               .arg(m_roundsPlanned)
               .arg(baseScored ? QString() : tr(" (base model not scored yet)"));
  m_phase->setText(text);
}

QString RunPanel::progressText() const { return m_progress->text(); }

void RunPanel::onProgress(const RunProgress& p) {
  m_phase->setText(phaseText(p.round, static_cast<int>(p.phase)) + (m_bridge->isPaused() ? tr(" — paused") : QString()));
  if (p.total > 0) {
    // QProgressBar holds ints; scale large totals.
    const double scale = p.total > 1000000 ? 1000000.0 / p.total : 1.0;
    m_progress->setRange(0, static_cast<int>(p.total * scale));
    m_progress->setValue(static_cast<int>(p.done * scale));
    m_progress->setFormat(QStringLiteral("%1 / %2 %3").arg(p.done).arg(p.total).arg(p.unit));
  }
  if (m_bridge->isPaused()) {
    m_speed->setText(tr("paused"));
    return;
  }
  QString speed = tr("%1 tok/s").arg(p.tokensPerSecond, 0, 'f', 0);
  speed += QStringLiteral(" · ") + (p.etaSeconds >= 0 ? tr("ETA %1").arg(formatDuration(p.etaSeconds)) : tr("ETA –"));
  if (p.hasLoss) speed += QStringLiteral(" · ") + tr("loss %1").arg(p.loss, 0, 'f', 4);
  m_speed->setText(speed);
}

void RunPanel::appendLog(const QString& level, const QString& message) {
  const QString time = QDateTime::currentDateTime().toString(QStringLiteral("HH:mm:ss"));
  const QString prefix = level == QStringLiteral("info") ? QString() : level.toUpper() + QStringLiteral(": ");
  // The log follows new lines, unless the user scrolled up to read an earlier one.
  QScrollBar* bar = m_log->verticalScrollBar();
  const bool following = bar->value() >= bar->maximum();
  const int kept = bar->value();
  m_log->appendPlainText(QStringLiteral("%1  %2%3").arg(time, prefix, message));
  bar->setValue(following ? bar->maximum() : kept);
}

void RunPanel::showServer(const ServerState& s) {
  const QString where = tr("server · round %1 %2").arg(s.round).arg(QString::fromLatin1(run::to_string(s.phase)));
  const QString version = s.version.isEmpty() ? QString() : QStringLiteral(" (%1)").arg(s.version);
  QString text;
  QString color;
  if (s.state == QStringLiteral("starting")) {
    text = tr("%1: starting… %2").arg(where, s.url);
    color = kYellow;
  } else if (s.state == QStringLiteral("ready")) {
    text = tr("%1: ready at %2%3").arg(where, s.url, version);
    color = kGreen;
  } else if (s.state == QStringLiteral("restarting")) {
    text = tr("%1: restarting… %2").arg(where, s.url);
    color = kYellow;
  } else if (s.state == QStringLiteral("failed")) {
    text = tr("%1: failed (%2)").arg(where, s.url);
    color = kRed;
  } else {
    text = tr("%1: %2").arg(where, s.state.isEmpty() ? tr("stopped") : s.state);
    color = kGrey;
  }
  setBadge(m_server, text, color);
  m_server->setToolTip(s.command.isEmpty() ? tr("Attached: a server the run did not start (sampler.url)")
                                           : tr("Launched: %1").arg(s.command));
  // A line per state change keeps each phase's server output apart.
  const QString key = QStringLiteral("%1 %2 %3").arg(s.round).arg(int(s.phase)).arg(s.state);
  if (key != m_serverState) {
    m_serverLog->appendPlainText(QStringLiteral("── %1").arg(text.trimmed()));
    m_serverState = key;
  }
  for (const QString& line : s.logLines) m_serverLog->appendPlainText(terminalLine(line));
}

void RunPanel::showTrainer(const TrainerState& t) {
  const QString where = tr("trainer · round %1").arg(t.round);
  const QString command = shortCommand(t.command);
  QString text;
  QString color;
  if (t.state == QStringLiteral("starting")) {
    text = tr("%1: starting… (%2)").arg(where, command);
    color = kYellow;
  } else if (t.state == QStringLiteral("running")) {
    text = tr("%1: running (%2)").arg(where, command);
    color = kGreen;
  } else if (t.state == QStringLiteral("paused")) {
    text = tr("%1: paused (%2)").arg(where, command);
    color = kYellow;
  } else if (t.state == QStringLiteral("failed")) {
    text = tr("%1: failed (%2) — see the Trainer log").arg(where, command);
    color = kRed;
  } else {
    // "finished", "stopped": the process is gone.
    text = tr("%1: %2").arg(where, t.state.isEmpty() ? tr("stopped") : t.state);
    color = kGrey;
  }
  setBadge(m_trainer, text, color);
  // The badge holds only the command's start: the whole of it, and where its output is kept,
  // are a hover away.
  QString tip = tr("External trainer (trainer.backend \"command\"): %1").arg(t.command);
  if (!t.logFile.isEmpty()) tip += QStringLiteral("\n") + tr("Its whole output: %1").arg(t.logFile);
  m_trainer->setToolTip(tip);
  // A line per state change keeps each round's trainer output apart; the line it was started
  // with heads its output, as a shell would show it.
  const QString key = QStringLiteral("%1 %2").arg(t.round).arg(t.state);
  if (key != m_trainerState) {
    m_trainerLog->appendPlainText(QStringLiteral("── %1").arg(text.trimmed()));
    if (t.state == QStringLiteral("starting") && !t.command.isEmpty())
      m_trainerLog->appendPlainText(QStringLiteral("$ %1").arg(t.command));
    m_trainerState = key;
  }
  for (const QString& line : t.logLines) m_trainerLog->appendPlainText(terminalLine(line));
}

QString RunPanel::serverStatusText() const { return m_server->isHidden() ? QString() : m_server->text(); }

QString RunPanel::serverToolTip() const { return m_server->toolTip(); }

QString RunPanel::serverLogText() const { return m_serverLog->toPlainText(); }

QString RunPanel::trainerStatusText() const { return m_trainer->isHidden() ? QString() : m_trainer->text(); }

QString RunPanel::trainerToolTip() const { return m_trainer->toolTip(); }

QString RunPanel::trainerLogText() const { return m_trainerLog->toPlainText(); }

QString RunPanel::statusText() const { return m_phase->text(); }

QString RunPanel::logText() const { return m_log->toPlainText(); }

}  // namespace tpt::ui
