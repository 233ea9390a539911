#include "main_window.h"

#include <QAction>
#include <QActionGroup>
#include <QApplication>
#include <QCloseEvent>
#include <QDateTime>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QInputDialog>
#include <QLineEdit>
#include <QPushButton>
#include <QSplitter>
#include <QStackedWidget>
#include <QTableView>
#include <QTimer>
#include <QToolBar>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QPalette>
#include <QScreen>
#include <QSettings>
#include <QStatusBar>
#include <QStyleFactory>
#include <QVBoxLayout>

#include <algorithm>

#include "chart_panel.h"
#include "config/experiment_config.h"
#include "demo/base_model.h"
#include "demo/demo.h"
#include "core/error.h"
#include "experiment_document.h"
#include "prune/rule_set.h"
#include "presentation_window.h"
#include "report.h"
#include "problems_panel.h"
#include "rules_panel.h"
#include "run_bridge.h"
#include "run_panel.h"
#include "run/experiment.h"
#include "runtime/torch_runtime.h"
#include "setup_panel.h"
#include "trace_browser.h"

// Resources compiled into a static library are only registered when asked for by name.
static void initResources() { Q_INIT_RESOURCE(resources); }

namespace tpt::ui {

namespace {
const char* const kRecentKey = "experiments/recent";
const char* const kLastKey = "experiments/last";
const int kMaxRecent = 8;

QPalette darkPalette() {
  QPalette p;
  const QColor window(0x2b, 0x2b, 0x2b), base(0x1e, 0x1e, 0x1e), text(0xe6, 0xe6, 0xe6), accent(0x3d, 0x8e, 0xd8);
  p.setColor(QPalette::Window, window);
  p.setColor(QPalette::WindowText, text);
  p.setColor(QPalette::Base, base);
  p.setColor(QPalette::AlternateBase, window);
  p.setColor(QPalette::ToolTipBase, window);
  p.setColor(QPalette::ToolTipText, text);
  p.setColor(QPalette::Text, text);
  p.setColor(QPalette::Button, window);
  p.setColor(QPalette::ButtonText, text);
  p.setColor(QPalette::Highlight, accent);
  p.setColor(QPalette::HighlightedText, Qt::white);
  p.setColor(QPalette::Link, accent);
  // Qt's default placeholder grey is made for light fields: unreadable on a dark one.
  p.setColor(QPalette::PlaceholderText, QColor(0x9a, 0x9a, 0x9a));
  p.setColor(QPalette::Disabled, QPalette::Text, QColor(0x80, 0x80, 0x80));
  p.setColor(QPalette::Disabled, QPalette::ButtonText, QColor(0x80, 0x80, 0x80));
  p.setColor(QPalette::Disabled, QPalette::WindowText, QColor(0x80, 0x80, 0x80));
  return p;
}
}  // namespace

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent) {
  initResources();
  setWindowTitle(tr("TPT Workbench"));
  setWindowIcon(QIcon(QStringLiteral(":/icons/tpt-workbench.svg")));
  setObjectName(QStringLiteral("MainWindow"));

  const runtime::RuntimeInfo runtime = runtime::runtime_info();
  m_runtimeSummary = QString::fromStdString(runtime::runtime_summary(runtime));
  if (auto warning = runtime::blas_warning(runtime)) m_runtimeWarning = QString::fromStdString(*warning);

  m_bridge = new RunBridge(this);
  m_document = new ExperimentDocument(this);

  auto* central = new QWidget(this);
  auto* layout = new QVBoxLayout(central);
  layout->setContentsMargins(4, 4, 4, 4);
  m_warningBanner = new QLabel(central);
  m_warningBanner->setObjectName(QStringLiteral("runtimeWarning"));
  m_warningBanner->setWordWrap(true);
  m_warningBanner->setStyleSheet(QStringLiteral("QLabel { background: #fff3cd; color: #664d03; padding: 8px; }"));
  m_warningBanner->setText(m_runtimeWarning);
  m_warningBanner->setVisible(!m_runtimeWarning.isEmpty());
  layout->addWidget(m_warningBanner);
  m_modelBanner = new QLabel(central);
  m_modelBanner->setObjectName(QStringLiteral("missingModels"));
  m_modelBanner->setWordWrap(true);
  m_modelBanner->setTextFormat(Qt::RichText);
  m_modelBanner->setStyleSheet(QStringLiteral("QLabel { background: #f8d7da; color: #58151c; padding: 8px; }"));
  m_modelBanner->hide();
  layout->addWidget(m_modelBanner);
  m_stack = new QStackedWidget(central);
  m_stack->setObjectName(QStringLiteral("modeStack"));
  layout->addWidget(m_stack, 1);
  setCentralWidget(central);

  createPanels();
  createModeBar();
  createActions();
  connectRun();
  auto* runtimeLabel = new QLabel(m_runtimeSummary, this);
  runtimeLabel->setObjectName(QStringLiteral("runtimeSummary"));
  statusBar()->addPermanentWidget(runtimeLabel);

  connect(m_document, &ExperimentDocument::modifiedChanged, this, &MainWindow::updateTitle);
  connect(m_document, &ExperimentDocument::saved, this, &MainWindow::updateTitle);
  connect(m_setup, &SetupPanel::forkNeeded, this, &MainWindow::offerFork);

  QSettings settings;
  if (!restoreGeometry(settings.value(QStringLiteral("mainWindow/geometry")).toByteArray())) {
    // First start: most of the screen, at least the 1366×768 the layouts are made for.
    const QRect screen = this->screen() ? this->screen()->availableGeometry() : QRect(0, 0, 1366, 768);
    resize(std::min(screen.width(), 1600), std::min(screen.height(), 960));
  }
  restoreModeLayout();
  setDarkTheme(settings.value(QStringLiteral("view/dark"), false).toBool());
  const QString last = settings.value(QString::fromLatin1(kLastKey)).toString();
  if (!last.isEmpty() && QFileInfo::exists(QDir(last).filePath(QStringLiteral("experiment.json"))))
    openExperiment(last);
  else
    openDemo();
}

void MainWindow::createPanels() {
  // Setup: the form, and beside it the experiment's scores so far.
  m_setup = new SetupPanel(this, m_document);
  m_setupChart = new ChartPanel(this);
  m_setupChart->setObjectName(QStringLiteral("setupChart"));
  m_setupSplit = new QSplitter(Qt::Horizontal, this);
  m_setupSplit->setObjectName(QStringLiteral("setupSplitter"));
  m_setupSplit->addWidget(m_setup);
  m_setupSplit->addWidget(m_setupChart);
  m_setupSplit->setStretchFactor(0, 0);
  m_setupSplit->setStretchFactor(1, 1);
  m_setupSplit->setSizes({560, 800});

  // Run: the controls, progress and log beside the Pass@1 and loss charts.
  m_runPanel = new RunPanel(m_bridge, this);
  m_chart = new ChartPanel(this);
  m_runSplit = new QSplitter(Qt::Horizontal, this);
  m_runSplit->setObjectName(QStringLiteral("runSplitter"));
  m_runSplit->addWidget(m_runPanel);
  m_runSplit->addWidget(m_chart);
  m_runSplit->setStretchFactor(0, 2);
  m_runSplit->setStretchFactor(1, 3);
  m_runSplit->setSizes({560, 800});

  m_traces = new TraceBrowser(this);
  m_rules = new RulesPanel(this);
  m_rules->setExperimentDocument(m_document);
  m_problems = new ProblemsPanel(this);
  // Present: the presentation itself, in the window; F11 lifts it onto the whole screen.
  m_presentPage = new PresentationWindow(QString(), this);
  m_presentPage->setObjectName(QStringLiteral("presentPage"));

  for (QWidget* page : {static_cast<QWidget*>(m_setupSplit), static_cast<QWidget*>(m_runSplit),
                        static_cast<QWidget*>(m_traces), static_cast<QWidget*>(m_rules),
                        static_cast<QWidget*>(m_problems), static_cast<QWidget*>(m_presentPage.data())})
    m_stack->addWidget(page);

  connect(m_bridge, &RunBridge::roundFinished, this, &MainWindow::reloadReviewViews);
  connect(m_bridge, &RunBridge::finished, this, &MainWindow::reloadReviewViews);
  // Think stores samples batch by batch, Prune its decisions at the end: the browser catches up
  // at each phase, and when a pause holds the run (samples so far show their checkers' verdict).
  connect(m_bridge, &RunBridge::phaseChanged, this, [this](int, run::Phase phase) {
    m_traces->reload();
    if (phase == run::Phase::Train) m_rules->reloadRounds();
  });
  connect(m_bridge, &RunBridge::pausedChanged, this, [this](bool paused) {
    if (paused) QTimer::singleShot(0, m_traces, &TraceBrowser::reload);
  });
  // A label without an annotation_override rule in the rule set would change nothing: the
  // browser offers the rule, and it goes into the experiment through the one document.
  connect(m_traces, &TraceBrowser::overrideRuleRequested, this, &MainWindow::addAnnotationOverride);
  connect(m_rules, &RulesPanel::roundRepruned, m_traces, &TraceBrowser::reload);
}

bool MainWindow::addAnnotationOverride() {
  if (!m_document->isOpen()) return false;
  try {
    const nlohmann::json& doc = m_document->json();
    std::vector<FieldIssue> issues;
    const prune::RuleSet current = prune::RuleSet::parse(
        doc.is_object() ? doc.value("prune", nlohmann::json::object()) : nlohmann::json::object(), "prune", issues);
    if (!issues.empty()) throw Error(issues.front().to_string());
    m_document->setSection("prune", withAnnotationOverride(current).to_json());
  } catch (const std::exception& e) {
    statusBar()->showMessage(tr("Could not add the annotation_override rule: %1").arg(QString::fromStdString(e.what())), 10000);
    return false;
  }
  if (!m_setup->save()) {
    statusBar()->showMessage(tr("The annotation_override rule is in the settings; save them (Ctrl+S) for the next Prune "
                                "to use it."),
                             10000);
    return false;
  }
  statusBar()->showMessage(tr("Added the annotation_override rule: labels change the next Prune."), 10000);
  return true;
}

void MainWindow::reloadReviewViews() {
  m_traces->reload();
  m_rules->reloadRounds();
  m_problems->reload();
  m_document->reloadStoredSettings();
  updateModelBanner();
}

void MainWindow::createModeBar() {
  m_modeBar = new QToolBar(tr("Modes"), this);
  m_modeBar->setObjectName(QStringLiteral("modeBar"));
  m_modeBar->setMovable(false);
  m_modeBar->setFloatable(false);
  m_modeBar->setToolButtonStyle(Qt::ToolButtonTextOnly);
  m_modeBar->setContextMenuPolicy(Qt::PreventContextMenu);
  m_modeBar->setStyleSheet(QStringLiteral("QToolBar#modeBar QToolButton { padding: 10px 6px; min-width: 76px; }"
                                          "QToolBar#modeBar QToolButton:checked { font-weight: bold; }"));
  addToolBar(Qt::LeftToolBarArea, m_modeBar);
  m_modeGroup = new QActionGroup(this);
  m_modeGroup->setExclusive(true);
  const QStringList names = {tr("Setup"), tr("Run"), tr("Review"), tr("Pruning"), tr("Problems"), tr("Present")};
  const QStringList purposes = {tr("the experiment's settings"), tr("start, pause and watch the rounds"),
                                tr("read and label the sampled traces"), tr("the rule set and its funnel"),
                                tr("each test problem across the rounds"), tr("the result, for a demo")};
  const QStringList ids = {QStringLiteral("Setup"),   QStringLiteral("Run"),      QStringLiteral("Review"),
                           QStringLiteral("Pruning"), QStringLiteral("Problems"), QStringLiteral("Present")};
  for (int i = 0; i < kModeCount; ++i) {
    auto* action = new QAction(names[i], this);
    action->setObjectName(QStringLiteral("actionMode") + ids[i]);
    action->setCheckable(true);
    action->setShortcut(QKeySequence(Qt::CTRL | static_cast<Qt::Key>(Qt::Key_1 + i)));
    action->setShortcutContext(Qt::ApplicationShortcut);
    action->setToolTip(tr("%1: %2 (%3)").arg(names[i], purposes[i], action->shortcut().toString(QKeySequence::NativeText)));
    m_modeGroup->addAction(action);
    m_modeBar->addAction(action);
    m_modeActions << action;
    connect(action, &QAction::triggered, this, [this, i] { setMode(static_cast<Mode>(i)); });
  }
  m_modeActions.first()->setChecked(true);
}

MainWindow::Mode MainWindow::mode() const { return static_cast<Mode>(m_stack->currentIndex()); }

void MainWindow::setMode(Mode mode) {
  const int index = static_cast<int>(mode);
  if (index < 0 || index >= kModeCount) return;
  m_stack->setCurrentIndex(index);
  m_modeActions[index]->setChecked(true);
  // The page's main view takes the keyboard: the Review list, so J/K work at once.
  if (mode == Mode::Review) m_traces->table()->setFocus();
  QSettings().setValue(QStringLiteral("modes/current"), index);
}

QWidget* MainWindow::modePage(Mode mode) const { return m_stack->widget(static_cast<int>(mode)); }

QAction* MainWindow::modeAction(Mode mode) const { return m_modeActions.value(static_cast<int>(mode)); }

void MainWindow::saveModeLayout() const {
  QSettings settings;
  settings.setValue(QStringLiteral("modes/setupSplitter"), m_setupSplit->saveState());
  settings.setValue(QStringLiteral("modes/runSplitter"), m_runSplit->saveState());
  settings.setValue(QStringLiteral("modes/current"), m_stack->currentIndex());
}

void MainWindow::restoreModeLayout() {
  QSettings settings;
  m_setupSplit->restoreState(settings.value(QStringLiteral("modes/setupSplitter")).toByteArray());
  m_runSplit->restoreState(settings.value(QStringLiteral("modes/runSplitter")).toByteArray());
  setMode(static_cast<Mode>(std::clamp(settings.value(QStringLiteral("modes/current"), 0).toInt(), 0, kModeCount - 1)));
}

void MainWindow::connectRun() {
  // Live updates: the charts re-read the database when a round is scored, and the loss curve
  // at most once a second while Train runs.
  for (ChartPanel* chart : {m_chart, m_setupChart}) {
    connect(m_bridge, &RunBridge::roundFinished, chart, &ChartPanel::reload);
    connect(m_bridge, &RunBridge::finished, chart, &ChartPanel::reload);
  }
  connect(m_bridge, &RunBridge::progressed, this, [this](const RunProgress& p) {
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    if (p.phase == run::Phase::Train && now - m_lastLossReload > 1000) {
      m_lastLossReload = now;
      m_chart->reloadLoss();
    }
  });
  connect(m_bridge, &RunBridge::roundFinished, this, [this](int round, const QVariantMap& metrics) {
    statusBar()->showMessage(tr("Round %1 done: Pass@1 %2% strict, %3% flexible")
                                 .arg(round)
                                 .arg(100 * metrics.value(QStringLiteral("pass@1.strict")).toDouble(), 0, 'f', 1)
                                 .arg(100 * metrics.value(QStringLiteral("pass@1.flexible")).toDouble(), 0, 'f', 1),
                             10000);
    m_presentPage->reload();
  });
  connect(m_bridge, &RunBridge::started, this, [this] {
    m_startAction->setEnabled(false);
    m_pauseAction->setEnabled(true);
    m_cancelAction->setEnabled(true);
  });
  connect(m_bridge, &RunBridge::finished, this, [this](run::RunOutcome outcome, const QString& detail) {
    m_startAction->setEnabled(true);
    m_pauseAction->setEnabled(false);
    m_cancelAction->setEnabled(false);
    if (outcome == run::RunOutcome::Failed)
      QMessageBox::warning(this, tr("Run failed"), tr("The run stopped with an error:\n\n%1\n\n"
                                                      "Everything committed so far is kept; Start resumes.")
                                                       .arg(detail));
  });
  connect(m_runPanel, &RunPanel::startRequested, this, &MainWindow::startRun);
}

bool MainWindow::openDemo(bool quick) {
  try {
    demo::DemoOptions options;
    options.quick = quick;
    const demo::DemoSpec spec = demo::demo_spec(options);
    const std::string dir = demo::user_data_dir() + "/experiments/" + demo::default_demo_dir(options);
    const std::string ready = demo::prepare_demo(options, dir, demo::cached_base_model_dir(spec.base_model));
    return openExperiment(QString::fromStdString(ready));
  } catch (const std::exception& e) {
    statusBar()->showMessage(tr("Could not create the demo experiment: %1").arg(QString::fromStdString(e.what())));
    return false;
  }
}

MainWindow::~MainWindow() = default;

QString MainWindow::runtimeSummary() const { return m_runtimeSummary; }

QString MainWindow::runtimeWarning() const { return m_runtimeWarning; }

void MainWindow::createActions() {
  QMenu* fileMenu = menuBar()->addMenu(tr("&File"));
  QAction* newAction = fileMenu->addAction(tr("&New Experiment…"), this, &MainWindow::newExperiment);
  newAction->setShortcut(QKeySequence::New);
  newAction->setObjectName(QStringLiteral("actionNew"));
  QAction* open = fileMenu->addAction(tr("&Open Experiment…"), this, &MainWindow::chooseExperiment);
  open->setShortcut(QKeySequence::Open);
  open->setObjectName(QStringLiteral("actionOpen"));
  QAction* demo = fileMenu->addAction(tr("Open &Demo Experiment"), this, [this] {
    if (maybeSaveChanges()) openDemo(false);
  });
  demo->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_D));
  demo->setObjectName(QStringLiteral("actionOpenDemo"));
  QAction* quickDemo = fileMenu->addAction(tr("Open Q&uick Demo Experiment"), this, [this] {
    if (maybeSaveChanges()) openDemo(true);
  });
  quickDemo->setObjectName(QStringLiteral("actionOpenQuickDemo"));
  m_recentMenu = fileMenu->addMenu(tr("Open &Recent"));
  rebuildRecentMenu();
  QAction* save = fileMenu->addAction(tr("&Save Settings"), m_setup, &SetupPanel::save);
  save->setShortcut(QKeySequence::Save);
  save->setObjectName(QStringLiteral("actionSave"));
  QAction* fork = fileMenu->addAction(tr("&Fork Into a New Experiment…"), this, [this] { offerFork({}); });
  fork->setObjectName(QStringLiteral("actionFork"));
  fileMenu->addSeparator();
  QAction* report = fileMenu->addAction(tr("Re&port…"), this, &MainWindow::saveReport);
  report->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_R));
  report->setObjectName(QStringLiteral("actionReport"));
  QAction* exportAction = fileMenu->addAction(tr("&Export Chart…"), this, &MainWindow::exportChart);
  exportAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_E));
  exportAction->setObjectName(QStringLiteral("actionExportChart"));
  fileMenu->addSeparator();
  QAction* quit = fileMenu->addAction(tr("&Quit"), this, &QWidget::close);
  quit->setShortcut(QKeySequence::Quit);
  quit->setObjectName(QStringLiteral("actionQuit"));

  QMenu* runMenu = menuBar()->addMenu(tr("&Run"));
  m_startAction = runMenu->addAction(tr("&Start / Resume"), this, &MainWindow::startRun);
  m_startAction->setShortcut(QKeySequence(Qt::Key_F5));
  m_startAction->setObjectName(QStringLiteral("actionStart"));
  m_pauseAction = runMenu->addAction(tr("&Pause / Resume"), this, [this] {
    if (m_bridge->isPaused()) m_bridge->resume();
    else m_bridge->pause();
  });
  m_pauseAction->setShortcut(QKeySequence(Qt::Key_F6));
  m_pauseAction->setObjectName(QStringLiteral("actionPause"));
  m_pauseAction->setEnabled(false);
  m_cancelAction = runMenu->addAction(tr("&Cancel"), m_bridge, &RunBridge::cancel);
  m_cancelAction->setShortcut(QKeySequence(Qt::SHIFT | Qt::Key_F5));
  m_cancelAction->setObjectName(QStringLiteral("actionCancel"));
  m_cancelAction->setEnabled(false);

  m_viewMenu = menuBar()->addMenu(tr("&View"));
  for (QAction* action : m_modeActions) m_viewMenu->addAction(action);
  m_viewMenu->addSeparator();
  QAction* compare = m_viewMenu->addAction(tr("Compare With Experiment…"), this, &MainWindow::compareWithExperiment);
  compare->setObjectName(QStringLiteral("actionCompare"));
  m_viewMenu->addAction(tr("Clear Comparisons"), this, [this] {
    m_chart->clearComparisons();
    m_setupChart->clearComparisons();
  });
  m_viewMenu->addSeparator();
  m_darkAction = m_viewMenu->addAction(tr("&Dark Theme"));
  m_darkAction->setCheckable(true);
  m_darkAction->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_D));
  m_darkAction->setObjectName(QStringLiteral("actionDarkTheme"));
  connect(m_darkAction, &QAction::toggled, this, &MainWindow::setDarkTheme);
  QAction* present = m_viewMenu->addAction(tr("&Full-Screen Presentation"), this, &MainWindow::showPresentation);
  present->setShortcut(QKeySequence(Qt::Key_F11));
  present->setObjectName(QStringLiteral("actionPresentation"));

  QMenu* helpMenu = menuBar()->addMenu(tr("&Help"));
  QAction* keys = helpMenu->addAction(tr("&Keyboard Shortcuts"), this, &MainWindow::showKeyboardShortcuts);
  keys->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_Slash));
  keys->setObjectName(QStringLiteral("actionKeyboardShortcuts"));
  QAction* about = helpMenu->addAction(tr("&About TPT Workbench"), this, &MainWindow::showAbout);
  about->setShortcut(QKeySequence::HelpContents);
  about->setObjectName(QStringLiteral("actionAbout"));
}

bool MainWindow::openExperiment(const QString& path) {
  if (m_bridge->isRunning()) {
    statusBar()->showMessage(tr("A run is in progress: cancel it before opening another experiment."), 8000);
    return false;
  }
  QString error;
  const bool ok = m_document->open(path, &error);
  const QString databaseError = ok ? m_document->databaseError() : QString();
  // A folder that is not an experiment leaves nothing of the previous one on screen.
  m_dir = ok ? m_document->dir() : QString();
  for (ChartPanel* chart : {m_chart, m_setupChart}) {
    chart->clearComparisons();
    chart->setExperiment(m_dir);
  }
  m_traces->setExperiment(m_dir);
  m_rules->setExperiment(m_dir);
  m_problems->setExperiment(m_dir);
  m_runPanel->setExperiment(m_dir);
  m_presentPage->setExperiment(m_dir);
  updateTitle();
  updateModelBanner();
  if (ok) rememberRecent(m_dir);
  if (!ok) statusBar()->showMessage(error);
  else if (!databaseError.isEmpty()) statusBar()->showMessage(databaseError);
  else statusBar()->showMessage(tr("Opened %1").arg(m_dir), 5000);
  return ok;
}

void MainWindow::updateTitle() {
  QString title = tr("TPT Workbench");
  if (m_document->isOpen()) {
    const nlohmann::json& doc = m_document->json();
    const QString name = QString::fromStdString(doc.is_object() && doc.contains("name") && doc["name"].is_string()
                                                    ? doc["name"].get<std::string>()
                                                    : std::string());
    // "[*]" is where Qt puts the unsaved-changes mark.
    title = tr("%1[*] — TPT Workbench").arg(name.isEmpty() ? QFileInfo(m_dir).fileName() : name);
  }
  setWindowTitle(title);
  setWindowModified(m_document->isModified());
}

void MainWindow::updateModelBanner() {
  const QString text = missingModelsText();
  m_modelBanner->setText(text);
  m_modelBanner->setVisible(!text.isEmpty());
}

QString MainWindow::missingModelsText() const {
  if (m_dir.isEmpty()) return {};
  std::vector<run::MissingModel> missing;
  try {
    missing = run::missing_round_models(m_dir.toStdString());
  } catch (const std::exception&) {
    return {};  // an unreadable database is reported by the views that read it
  }
  QStringList lines;
  for (const auto& m : missing) {
    const QString folder = QString::fromStdString(m.folder).toHtmlEscaped();
    if (m.later_rounds_started)
      lines << tr("Round %1's model folder <code>%2</code> is missing. Later rounds started from it, so it cannot "
                  "be trained again here: restore the folder, or fork a new experiment (File → Fork) from round %3's "
                  "settings.")
                   .arg(m.round)
                   .arg(folder)
                   .arg(m.round - 1);
    else
      lines << tr("Round %1's model folder <code>%2</code> is missing. Restore it, or train round %1 again: "
                  "<code>tpt run %3 --train-again %1</code> (its samples and decisions are kept), or fork a new "
                  "experiment (File → Fork).")
                   .arg(m.round)
                   .arg(folder, m_dir.toHtmlEscaped());
  }
  return lines.join(QStringLiteral("<br>"));
}

bool MainWindow::maybeSaveChanges() {
  if (!m_document->isModified()) return true;
  QMessageBox box(QMessageBox::Warning, tr("Unsaved settings"),
                  tr("The settings of %1 have changed. Save them?").arg(QFileInfo(m_dir).fileName()),
                  QMessageBox::Save | QMessageBox::Discard | QMessageBox::Cancel, this);
  box.setObjectName(QStringLiteral("unsavedChangesBox"));
  box.setInformativeText(tr("Discard keeps experiment.json as it is on disk."));
  box.setDefaultButton(QMessageBox::Save);
  switch (box.exec()) {
    case QMessageBox::Save:
      return m_setup->save();
    case QMessageBox::Discard: {
      QString error;
      m_document->open(m_dir, &error);  // back to the file: no panel keeps the discarded edits
      return true;
    }
    default:
      return false;
  }
}

void MainWindow::offerFork(const QStringList& changes) {
  if (!m_document->isOpen()) return;
  if (!changes.isEmpty()) {
    QMessageBox box(QMessageBox::Question, tr("Settings changed since the rounds ran"),
                    tr("%1 round(s) of this experiment ran with other settings. Changing them would mix settings "
                       "within one experiment; run them as a new experiment (a fork) instead?")
                        .arg(m_document->roundsStored()),
                    QMessageBox::Cancel, this);
    box.setObjectName(QStringLiteral("forkBox"));
    box.setDetailedText(changes.join(QLatin1Char('\n')));
    QPushButton* forkButton = box.addButton(tr("Fork…"), QMessageBox::AcceptRole);
    box.setDefaultButton(forkButton);
    box.exec();
    if (box.clickedButton() != forkButton) return;
  }
  QString suggestion = m_dir + QStringLiteral("-fork");
  for (int n = 2; QFileInfo::exists(suggestion); ++n) suggestion = m_dir + QStringLiteral("-fork-%1").arg(n);
  bool ok = false;
  const QString target = QInputDialog::getText(this, tr("Fork into a new experiment"),
                                               tr("Folder for the new experiment (created):"), QLineEdit::Normal,
                                               suggestion, &ok);
  if (ok && !target.trimmed().isEmpty()) forkExperiment(target.trimmed());
}

bool MainWindow::forkExperiment(const QString& newDir) {
  QString error;
  const QString forked = m_document->fork(newDir, &error);
  if (forked.isEmpty()) {
    QMessageBox::warning(this, tr("Fork failed"), error);
    return false;
  }
  // The edits went into the fork; this experiment stays as it is on disk.
  if (!openExperiment(forked)) return false;
  statusBar()->showMessage(tr("Forked into %1: Start runs the new settings from round 0.").arg(forked), 10000);
  return true;
}

void MainWindow::startRun() {
  if (m_bridge->isRunning()) return;
  if (m_dir.isEmpty()) {
    statusBar()->showMessage(tr("Open or create an experiment first (File menu)."), 8000);
    return;
  }
  if (!m_setup->isValid()) {
    setMode(Mode::Setup);
    statusBar()->showMessage(tr("The settings have problems (marked in Setup); fix them to start."), 8000);
    return;
  }
  if (m_setup->isModified() && !m_setup->save()) return;
  // An experiment on the built-in base model builds it first (once; it is cached), on the
  // engine thread like the run itself.
  RunBridge::Prepare prepare;
  const std::string model = m_document->json().value("/model/path"_json_pointer, std::string());
  for (const bool quick : {false, true}) {
    const demo::BaseModelRecipe recipe = demo::demo_spec({quick, true, 1}).base_model;
    if (model == demo::cached_base_model_dir(recipe) && !QFileInfo::exists(QString::fromStdString(model))) {
      prepare = [recipe](run::Observer& observer, run::RunControl& control) {
        demo::ensure_base_model(recipe, &observer, &control);
      };
    }
  }
  if (mode() == Mode::Setup) setMode(Mode::Run);
  m_bridge->start(m_dir, prepare);
}

void MainWindow::openFromMenu(const QString& dir) {
  if (maybeSaveChanges()) openExperiment(dir);
}

void MainWindow::newExperiment() {
  if (!maybeSaveChanges()) return;
  const QString dir = QFileDialog::getExistingDirectory(this, tr("Folder for the new experiment"));
  if (dir.isEmpty()) return;
  const QString file = QDir(dir).filePath(QStringLiteral("experiment.json"));
  if (!QFileInfo::exists(file)) {
    config::ExperimentConfig config;
    config.name = QFileInfo(dir).fileName().toStdString();
    config.save(file.toStdString());
  }
  if (openExperiment(dir)) setMode(Mode::Setup);
}

void MainWindow::chooseExperiment() {
  if (!maybeSaveChanges()) return;
  const QString dir = QFileDialog::getExistingDirectory(this, tr("Open an experiment folder"), m_dir);
  if (!dir.isEmpty()) openExperiment(dir);
}

void MainWindow::compareWithExperiment() {
  const QString dir = QFileDialog::getExistingDirectory(this, tr("Experiment to compare with"), m_dir);
  if (dir.isEmpty()) return;
  m_chart->addComparison(dir);
  m_setupChart->addComparison(dir);
}

void MainWindow::exportChart() {
  const QString path = QFileDialog::getSaveFileName(this, tr("Export the Pass@1 chart"),
                                                    QDir(m_dir).filePath(QStringLiteral("exports/pass1.png")),
                                                    tr("PNG image (*.png);;PDF document (*.pdf)"));
  if (path.isEmpty()) return;
  QDir().mkpath(QFileInfo(path).absolutePath());
  if (!m_chart->exportTo(path)) QMessageBox::warning(this, tr("Export failed"), tr("Could not write %1").arg(path));
  else statusBar()->showMessage(tr("Chart written to %1").arg(path), 5000);
}

void MainWindow::rememberRecent(const QString& dir) {
  QSettings settings;
  QStringList recent = settings.value(QString::fromLatin1(kRecentKey)).toStringList();
  recent.removeAll(dir);
  recent.prepend(dir);
  while (recent.size() > kMaxRecent) recent.removeLast();
  settings.setValue(QString::fromLatin1(kRecentKey), recent);
  settings.setValue(QString::fromLatin1(kLastKey), dir);
  rebuildRecentMenu();
}

void MainWindow::rebuildRecentMenu() {
  if (!m_recentMenu) return;
  m_recentMenu->clear();
  const QStringList recent = QSettings().value(QString::fromLatin1(kRecentKey)).toStringList();
  for (int i = 0; i < recent.size(); ++i) {
    QAction* action = m_recentMenu->addAction(QStringLiteral("&%1 %2").arg(i + 1).arg(recent[i]));
    const QString dir = recent[i];
    connect(action, &QAction::triggered, this, [this, dir] { openFromMenu(dir); });
  }
  m_recentMenu->setEnabled(!recent.isEmpty());
}

void MainWindow::setDarkTheme(bool dark) {
  m_dark = dark;
  static const QPalette light = QApplication::palette();
  QApplication::setStyle(QStyleFactory::create(QStringLiteral("Fusion")));
  QApplication::setPalette(dark ? darkPalette() : light);
  if (m_darkAction && m_darkAction->isChecked() != dark) m_darkAction->setChecked(dark);
  QSettings().setValue(QStringLiteral("view/dark"), dark);
}

PresentationWindow* MainWindow::presentPage() const { return m_presentPage.data(); }

PresentationWindow* MainWindow::presentationWindow() const {
  return m_presentPage && m_presentPage->isFullScreenPresentation() ? m_presentPage.data() : nullptr;
}

void MainWindow::showPresentation() {
  if (m_dir.isEmpty()) return;
  setMode(Mode::Present);
  m_presentPage->setFullScreen(true);
}

void MainWindow::saveReport() {
  if (m_dir.isEmpty()) {
    statusBar()->showMessage(tr("Open an experiment first: the report is of its rounds."), 8000);
    return;
  }
  const QString path = saveReportAs(this, m_dir);
  if (!path.isEmpty()) statusBar()->showMessage(tr("Report written to %1").arg(path), 10000);
}

QStringList MainWindow::keyboardShortcuts() const {
  QStringList lines;
  QSet<QString> seen;
  // Menus first, in their order; then the keys that live in a mode (Review's J/K/A/R/F/U…).
  QList<QAction*> actions;
  for (QAction* menu : menuBar()->actions())
    if (menu->menu())
      for (QAction* action : menu->menu()->actions()) actions << action;
  actions << findChildren<QAction*>();
  for (QAction* action : actions) {
    if (action->shortcut().isEmpty()) continue;
    const QString text = action->text().remove(QLatin1Char('&'));
    const QString line = action->shortcut().toString(QKeySequence::NativeText) + QLatin1Char('\t') + text;
    if (seen.contains(line)) continue;
    seen.insert(line);
    lines << line;
  }
  return lines;
}

void MainWindow::showKeyboardShortcuts() {
  QString html = QStringLiteral("<table cellspacing='0' cellpadding='4'>");
  for (const QString& line : keyboardShortcuts()) {
    const QStringList parts = line.split(QLatin1Char('\t'));
    html += QStringLiteral("<tr><td><b>%1</b></td><td>%2</td></tr>").arg(parts[0].toHtmlEscaped(), parts.value(1).toHtmlEscaped());
  }
  html += QStringLiteral("</table>");
  QMessageBox box(QMessageBox::NoIcon, tr("Keyboard shortcuts"), html, QMessageBox::Close, this);
  box.setObjectName(QStringLiteral("keyboardShortcutsBox"));
  box.setTextFormat(Qt::RichText);
  box.exec();
}

void MainWindow::showAbout() {
  QMessageBox::about(this, tr("About TPT Workbench"),
                     tr("<h3>TPT Workbench %1</h3>"
                        "<p>A workbench for <i>Think, Prune, Train, Improve</i> (Costello et al., 2025): "
                        "self-improving language models, one round at a time.</p><p>%2</p>")
                         .arg(QStringLiteral(TPT_VERSION_STRING), m_runtimeSummary.toHtmlEscaped()));
}

void MainWindow::closeEvent(QCloseEvent* event) {
  if (!maybeSaveChanges()) {
    event->ignore();
    return;
  }
  if (m_bridge->isRunning()) {
    // The run is journaled: stopping it here loses at most the batch in flight.
    statusBar()->showMessage(tr("Stopping the run after the current batch…"));
    m_bridge->cancel();
  }
  QSettings settings;
  settings.setValue(QStringLiteral("mainWindow/geometry"), saveGeometry());
  saveModeLayout();
  event->accept();
}

}  // namespace tpt::ui
