#include "main_window.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QDateTime>
#include <QDir>
#include <QDockWidget>
#include <QFileDialog>
#include <QFileInfo>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QPalette>
#include <QScreen>
#include <QSettings>
#include <QStatusBar>
#include <QStyleFactory>
#include <QVBoxLayout>

#include "chart_panel.h"
#include "config/experiment_config.h"
#include "demo/base_model.h"
#include "demo/demo.h"
#include "presentation_window.h"
#include "problems_panel.h"
#include "rules_panel.h"
#include "run_bridge.h"
#include "run_panel.h"
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
  setDockOptions(QMainWindow::AnimatedDocks | QMainWindow::AllowTabbedDocks);

  const runtime::RuntimeInfo runtime = runtime::runtime_info();
  m_runtimeSummary = QString::fromStdString(runtime::runtime_summary(runtime));
  if (auto warning = runtime::blas_warning(runtime)) m_runtimeWarning = QString::fromStdString(*warning);

  m_bridge = new RunBridge(this);

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
  m_chart = new ChartPanel(central);
  layout->addWidget(m_chart, 1);
  setCentralWidget(central);

  createDocks();
  createActions();
  auto* runtimeLabel = new QLabel(m_runtimeSummary, this);
  runtimeLabel->setObjectName(QStringLiteral("runtimeSummary"));
  statusBar()->addPermanentWidget(runtimeLabel);

  // Live updates: the chart re-reads the database when a round is scored, and the loss curve
  // at most once a second while Train runs.
  connect(m_bridge, &RunBridge::roundFinished, m_chart, &ChartPanel::reload);
  connect(m_bridge, &RunBridge::finished, m_chart, &ChartPanel::reload);
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
    if (m_presentation) m_presentation->reload();
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

  QSettings settings;
  if (!restoreGeometry(settings.value(QStringLiteral("mainWindow/geometry")).toByteArray())) resize(1280, 800);
  if (!restoreState(settings.value(QStringLiteral("mainWindow/state")).toByteArray())) {
    // First start: the chart gets most of the window, the form enough width to read.
    resizeDocks({findChild<QDockWidget*>(QStringLiteral("setupDock"))}, {430}, Qt::Horizontal);
    resizeDocks({findChild<QDockWidget*>(QStringLiteral("runDock"))}, {300}, Qt::Vertical);
  }
  setDarkTheme(settings.value(QStringLiteral("view/dark"), false).toBool());
  const QString last = settings.value(QString::fromLatin1(kLastKey)).toString();
  if (!last.isEmpty() && QFileInfo::exists(QDir(last).filePath(QStringLiteral("experiment.json"))))
    openExperiment(last);
  else
    openDemo();
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

void MainWindow::createDocks() {
  m_setup = new SetupPanel(this);
  auto* setupDock = new QDockWidget(tr("Setup"), this);
  setupDock->setObjectName(QStringLiteral("setupDock"));
  setupDock->setWidget(m_setup);
  addDockWidget(Qt::LeftDockWidgetArea, setupDock);

  m_runPanel = new RunPanel(m_bridge, this);
  auto* runDock = new QDockWidget(tr("Run"), this);
  runDock->setObjectName(QStringLiteral("runDock"));
  runDock->setWidget(m_runPanel);
  addDockWidget(Qt::BottomDockWidgetArea, runDock);

  // The review panels share the bottom area with the Run panel, as tabs.
  m_traces = new TraceBrowser(this);
  auto* tracesDock = new QDockWidget(tr("Traces"), this);
  tracesDock->setObjectName(QStringLiteral("tracesDock"));
  tracesDock->setWidget(m_traces);
  addDockWidget(Qt::BottomDockWidgetArea, tracesDock);
  tabifyDockWidget(runDock, tracesDock);

  m_rules = new RulesPanel(this);
  auto* rulesDock = new QDockWidget(tr("Pruning"), this);
  rulesDock->setObjectName(QStringLiteral("rulesDock"));
  rulesDock->setWidget(m_rules);
  addDockWidget(Qt::BottomDockWidgetArea, rulesDock);
  tabifyDockWidget(tracesDock, rulesDock);

  m_problems = new ProblemsPanel(this);
  auto* problemsDock = new QDockWidget(tr("Problems"), this);
  problemsDock->setObjectName(QStringLiteral("problemsDock"));
  problemsDock->setWidget(m_problems);
  addDockWidget(Qt::BottomDockWidgetArea, problemsDock);
  tabifyDockWidget(rulesDock, problemsDock);
  runDock->raise();

  const auto reloadReview = [this] {
    m_traces->reload();
    m_rules->reloadRounds();
    m_problems->reload();
  };
  connect(m_bridge, &RunBridge::roundFinished, this, reloadReview);
  connect(m_bridge, &RunBridge::finished, this, reloadReview);
  // Samples and decisions appear when Prune ends: the browser catches up as Train starts.
  connect(m_bridge, &RunBridge::phaseChanged, this, [this](int, run::Phase phase) {
    if (phase == run::Phase::Train) {
      m_traces->reload();
      m_rules->reloadRounds();
    }
  });
  connect(m_rules, &RulesPanel::ruleSetSaved, this, [this] {
    if (!m_setup->isModified()) m_setup->loadExperiment(m_dir);
  });
  connect(m_rules, &RulesPanel::roundRepruned, m_traces, &TraceBrowser::reload);
}

void MainWindow::createActions() {
  QMenu* fileMenu = menuBar()->addMenu(tr("&File"));
  QAction* newAction = fileMenu->addAction(tr("&New Experiment…"), this, &MainWindow::newExperiment);
  newAction->setShortcut(QKeySequence::New);
  newAction->setObjectName(QStringLiteral("actionNew"));
  QAction* open = fileMenu->addAction(tr("&Open Experiment…"), this, &MainWindow::chooseExperiment);
  open->setShortcut(QKeySequence::Open);
  open->setObjectName(QStringLiteral("actionOpen"));
  QAction* demo = fileMenu->addAction(tr("Open &Demo Experiment"), this, [this] { openDemo(false); });
  demo->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_D));
  demo->setObjectName(QStringLiteral("actionOpenDemo"));
  fileMenu->addAction(tr("Open &Quick Demo Experiment"), this, [this] { openDemo(true); });
  m_recentMenu = fileMenu->addMenu(tr("Open &Recent"));
  rebuildRecentMenu();
  QAction* save = fileMenu->addAction(tr("&Save Settings"), m_setup, &SetupPanel::save);
  save->setShortcut(QKeySequence::Save);
  save->setObjectName(QStringLiteral("actionSave"));
  fileMenu->addSeparator();
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
  for (QDockWidget* dock : findChildren<QDockWidget*>()) m_viewMenu->addAction(dock->toggleViewAction());
  m_viewMenu->addSeparator();
  QAction* compare = m_viewMenu->addAction(tr("Compare With Experiment…"), this, &MainWindow::compareWithExperiment);
  compare->setObjectName(QStringLiteral("actionCompare"));
  m_viewMenu->addAction(tr("Clear Comparisons"), m_chart, &ChartPanel::clearComparisons);
  m_viewMenu->addSeparator();
  m_darkAction = m_viewMenu->addAction(tr("&Dark Theme"));
  m_darkAction->setCheckable(true);
  m_darkAction->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_D));
  m_darkAction->setObjectName(QStringLiteral("actionDarkTheme"));
  connect(m_darkAction, &QAction::toggled, this, &MainWindow::setDarkTheme);
  QAction* present = m_viewMenu->addAction(tr("&Presentation Mode"), this, &MainWindow::showPresentation);
  present->setShortcut(QKeySequence(Qt::Key_F11));
  present->setObjectName(QStringLiteral("actionPresentation"));

  QMenu* helpMenu = menuBar()->addMenu(tr("&Help"));
  QAction* about = helpMenu->addAction(tr("&About TPT Workbench"), this, &MainWindow::showAbout);
  about->setShortcut(QKeySequence::HelpContents);
  about->setObjectName(QStringLiteral("actionAbout"));
}

bool MainWindow::openExperiment(const QString& path) {
  const QString dir = QFileInfo(path).isDir() ? QDir(path).absolutePath() : QFileInfo(path).absolutePath();
  if (m_bridge->isRunning()) {
    statusBar()->showMessage(tr("A run is in progress: cancel it before opening another experiment."), 8000);
    return false;
  }
  const bool ok = m_setup->loadExperiment(dir);
  m_dir = dir;
  m_chart->setExperiment(dir);
  m_traces->setExperiment(dir);
  m_rules->setExperiment(dir);
  m_problems->setExperiment(dir);
  const QString name = QString::fromStdString(m_setup->document().value("name", std::string()));
  setWindowTitle(tr("%1 — TPT Workbench").arg(name.isEmpty() ? QFileInfo(dir).fileName() : name));
  if (ok) rememberRecent(dir);
  statusBar()->showMessage(ok ? tr("Opened %1").arg(dir) : tr("Could not read %1/experiment.json").arg(dir), 5000);
  return ok;
}

void MainWindow::startRun() {
  if (m_bridge->isRunning()) return;
  if (m_dir.isEmpty()) {
    statusBar()->showMessage(tr("Open or create an experiment first (File menu)."), 8000);
    return;
  }
  if (!m_setup->isValid()) {
    statusBar()->showMessage(tr("The settings have problems (marked in the Setup panel); fix them to start."), 8000);
    return;
  }
  if (m_setup->isModified() && !m_setup->save()) return;
  // An experiment on the built-in base model builds it first (once; it is cached), on the
  // engine thread like the run itself.
  RunBridge::Prepare prepare;
  const std::string model = m_setup->document().value("/model/path"_json_pointer, std::string());
  for (const bool quick : {false, true}) {
    const demo::BaseModelRecipe recipe = demo::demo_spec({quick, true, 1}).base_model;
    if (model == demo::cached_base_model_dir(recipe) && !QFileInfo::exists(QString::fromStdString(model))) {
      prepare = [recipe](run::Observer& observer, run::RunControl& control) {
        demo::ensure_base_model(recipe, &observer, &control);
      };
    }
  }
  m_bridge->start(m_dir, prepare);
}

void MainWindow::newExperiment() {
  const QString dir = QFileDialog::getExistingDirectory(this, tr("Folder for the new experiment"));
  if (dir.isEmpty()) return;
  const QString file = QDir(dir).filePath(QStringLiteral("experiment.json"));
  if (!QFileInfo::exists(file)) {
    config::ExperimentConfig config;
    config.name = QFileInfo(dir).fileName().toStdString();
    config.save(file.toStdString());
  }
  openExperiment(dir);
}

void MainWindow::chooseExperiment() {
  const QString dir = QFileDialog::getExistingDirectory(this, tr("Open an experiment folder"), m_dir);
  if (!dir.isEmpty()) openExperiment(dir);
}

void MainWindow::compareWithExperiment() {
  const QString dir = QFileDialog::getExistingDirectory(this, tr("Experiment to compare with"), m_dir);
  if (!dir.isEmpty()) m_chart->addComparison(dir);
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
    connect(action, &QAction::triggered, this, [this, dir] { openExperiment(dir); });
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

PresentationWindow* MainWindow::presentationWindow() const { return m_presentation.data(); }

void MainWindow::showPresentation() {
  if (m_dir.isEmpty()) return;
  if (!m_presentation) {
    m_presentation = new PresentationWindow(m_dir, this);
    m_presentation->setAttribute(Qt::WA_DeleteOnClose);
  }
  // Sized to the screen before going full screen: without a window manager (a projector
  // box, Xvfb) full screen alone may keep the window small.
  if (QScreen* screen = this->screen()) m_presentation->setGeometry(screen->geometry());
  m_presentation->showFullScreen();
  m_presentation->raise();
}

void MainWindow::showAbout() {
  QMessageBox::about(this, tr("About TPT Workbench"),
                     tr("<h3>TPT Workbench %1</h3>"
                        "<p>A workbench for <i>Think, Prune, Train, Improve</i> (Costello et al., 2025): "
                        "self-improving language models, one round at a time.</p><p>%2</p>")
                         .arg(QStringLiteral(TPT_VERSION_STRING), m_runtimeSummary.toHtmlEscaped()));
}

void MainWindow::closeEvent(QCloseEvent* event) {
  if (m_bridge->isRunning()) {
    // The run is journaled: stopping it here loses at most the batch in flight.
    statusBar()->showMessage(tr("Stopping the run after the current batch…"));
    m_bridge->cancel();
  }
  QSettings settings;
  settings.setValue(QStringLiteral("mainWindow/geometry"), saveGeometry());
  settings.setValue(QStringLiteral("mainWindow/state"), saveState());
  event->accept();
}

}  // namespace tpt::ui
