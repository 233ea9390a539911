#include "main_window.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QSettings>
#include <QStatusBar>
#include <QVBoxLayout>

#include "runtime/torch_runtime.h"

// Resources compiled into a static library are only registered when asked for by name.
static void initResources() { Q_INIT_RESOURCE(resources); }

namespace tpt::ui {

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent) {
  initResources();
  setWindowTitle(tr("TPT Workbench"));
  setWindowIcon(QIcon(QStringLiteral(":/icons/tpt-workbench.svg")));
  setObjectName(QStringLiteral("MainWindow"));

  const RuntimeInfo runtime = runtime_info();
  m_runtimeSummary = QString::fromStdString(runtime_summary(runtime));
  if (auto warning = blas_warning(runtime)) m_runtimeWarning = QString::fromStdString(*warning);

  auto* central = new QWidget(this);
  auto* layout = new QVBoxLayout(central);
  m_warningBanner = new QLabel(central);
  m_warningBanner->setObjectName(QStringLiteral("runtimeWarning"));
  m_warningBanner->setWordWrap(true);
  m_warningBanner->setStyleSheet(QStringLiteral("QLabel { background: #fff3cd; color: #664d03; padding: 8px; }"));
  m_warningBanner->setText(m_runtimeWarning);
  m_warningBanner->setVisible(!m_runtimeWarning.isEmpty());
  layout->addWidget(m_warningBanner);

  auto* welcome = new QLabel(central);
  welcome->setObjectName(QStringLiteral("welcome"));
  welcome->setAlignment(Qt::AlignCenter);
  welcome->setWordWrap(true);
  welcome->setText(tr("<h2>TPT Workbench</h2>"
                      "<p>Think &#8594; Prune &#8594; Train &#8594; Improve</p>"
                      "<p>A model samples its own step-by-step solutions, keeps the correct ones, "
                      "learns from them, and improves round after round.</p>"));
  layout->addWidget(welcome, 1);
  setCentralWidget(central);

  createActions();
  auto* runtimeLabel = new QLabel(m_runtimeSummary, this);
  runtimeLabel->setObjectName(QStringLiteral("runtimeSummary"));
  statusBar()->addPermanentWidget(runtimeLabel);

  QSettings settings;
  if (!restoreGeometry(settings.value(QStringLiteral("mainWindow/geometry")).toByteArray())) resize(1100, 720);
  restoreState(settings.value(QStringLiteral("mainWindow/state")).toByteArray());
}

QString MainWindow::runtimeSummary() const { return m_runtimeSummary; }

QString MainWindow::runtimeWarning() const { return m_runtimeWarning; }

void MainWindow::createActions() {
  QMenu* fileMenu = menuBar()->addMenu(tr("&File"));
  QAction* quit = fileMenu->addAction(tr("&Quit"), this, &QWidget::close);
  quit->setShortcut(QKeySequence::Quit);
  quit->setObjectName(QStringLiteral("actionQuit"));

  QMenu* helpMenu = menuBar()->addMenu(tr("&Help"));
  QAction* about = helpMenu->addAction(tr("&About TPT Workbench"), this, &MainWindow::showAbout);
  about->setShortcut(QKeySequence::HelpContents);
  about->setObjectName(QStringLiteral("actionAbout"));
}

void MainWindow::showAbout() {
  QMessageBox::about(this, tr("About TPT Workbench"),
                     tr("<h3>TPT Workbench %1</h3>"
                        "<p>A workbench for <i>Think, Prune, Train, Improve</i> (Costello et al., 2025): "
                        "self-improving language models, one round at a time.</p><p>%2</p>")
                         .arg(QStringLiteral(TPT_VERSION_STRING), m_runtimeSummary.toHtmlEscaped()));
}

void MainWindow::closeEvent(QCloseEvent* event) {
  QSettings settings;
  settings.setValue(QStringLiteral("mainWindow/geometry"), saveGeometry());
  settings.setValue(QStringLiteral("mainWindow/state"), saveState());
  event->accept();
}

}  // namespace tpt::ui
