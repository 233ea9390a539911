// Writes the screenshots in docs/screenshots: the main window, each panel and presentation mode
// on a finished experiment, and the window during a run. Not a test; run it under Xvfb:
//
//   xvfb-run -s "-screen 0 1600x1000x24" build/tpt_screenshots docs/screenshots DONE_DIR [RUN_DIR]
//
// RUN_DIR is started, photographed once it is busy, then cancelled (it resumes later). When
// DONE_DIR samples on a server (sampler.backend "openai"), setup-sampler.png shows the form's
// sampler section; when it trains with an external command (trainer.backend "command"),
// setup-trainer.png shows the trainer section; when RUN_DIR samples on a server, run-server.png
// shows the Run panel's Server log.
#include <QApplication>
#include <QDir>
#include <QDockWidget>
#include <QElapsedTimer>
#include <QGroupBox>
#include <QScrollArea>
#include <QScrollBar>
#include <QTabWidget>
#include <QSignalSpy>
#include <QTimer>

#include <cstdio>

#include "chart_panel.h"
#include "main_window.h"
#include "presentation_window.h"
#include "run_bridge.h"
#include "run_panel.h"
#include "runtime/torch_runtime.h"
#include "setup_panel.h"

namespace {

void settle(int ms) {
  QElapsedTimer clock;
  clock.start();
  while (clock.elapsed() < ms) QApplication::processEvents(QEventLoop::AllEvents, 20);
}

bool save(QWidget* widget, const QString& path) {
  const bool ok = widget->grab().save(path);
  std::fprintf(stderr, "%s %s\n", ok ? "wrote" : "could not write", qPrintable(path));
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  QApplication app(argc, argv);
  QApplication::setOrganizationName(QStringLiteral("TPT Workbench Screenshots"));
  QApplication::setApplicationName(QStringLiteral("tpt_screenshots"));
  if (argc < 3) {
    std::fprintf(stderr, "usage: tpt_screenshots OUT_DIR DONE_EXPERIMENT [RUN_EXPERIMENT]\n");
    return 2;
  }
  const QString out = QString::fromLocal8Bit(argv[1]);
  QDir().mkpath(out);
  tpt::runtime::init_runtime();

  tpt::ui::MainWindow window;
  window.resize(1500, 920);
  window.show();
  if (!window.openExperiment(QString::fromLocal8Bit(argv[2]))) return 1;
  settle(800);
  bool ok = save(&window, out + QStringLiteral("/main-window.png"));
  ok &= save(window.setupPanel(), out + QStringLiteral("/setup.png"));
  ok &= save(window.chartPanel(), out + QStringLiteral("/chart.png"));
  if (window.setupPanel()->document().value("sampler", nlohmann::json::object()).value("backend", "") == "openai") {
    // The sampler section sits below the fold: scroll it into view first.
    QWidget* section = window.setupPanel()->fieldFor(QStringLiteral("sampler.backend"))->parentWidget();
    if (auto* scroll = window.setupPanel()->findChild<QScrollArea*>()) scroll->ensureWidgetVisible(section, 0, 0);
    settle(300);
    ok &= save(window.setupPanel(), out + QStringLiteral("/setup-sampler.png"));
  }
  if (window.setupPanel()->document().value("trainer", nlohmann::json::object()).value("backend", "") == "command") {
    // The section at the top, with the Train settings it hands to the trainer below it.
    QWidget* section = window.setupPanel()->fieldFor(QStringLiteral("trainer.backend"))->parentWidget();
    if (auto* scroll = window.setupPanel()->findChild<QScrollArea*>())
      scroll->verticalScrollBar()->setValue(section->y() - 4);
    settle(300);
    ok &= save(window.setupPanel(), out + QStringLiteral("/setup-trainer.png"));
  }
  // The review panels share the bottom dock area as tabs: bring each to the front first.
  const struct {
    const char* dock;
    const char* file;
  } docks[] = {{"tracesDock", "/traces.png"}, {"rulesDock", "/pruning.png"}, {"problemsDock", "/problems.png"}};
  for (const auto& d : docks) {
    auto* dock = window.findChild<QDockWidget*>(QString::fromLatin1(d.dock));
    if (!dock) continue;
    dock->raise();
    settle(600);
    ok &= save(&window, out + QStringLiteral("/window-") + QString::fromLatin1(d.file).mid(1));
    ok &= save(dock->widget(), out + QString::fromLatin1(d.file));
  }
  if (auto* run = window.findChild<QDockWidget*>(QStringLiteral("runDock"))) run->raise();
  window.showPresentation();
  settle(800);
  if (window.presentationWindow()) {
    ok &= save(window.presentationWindow(), out + QStringLiteral("/presentation.png"));
    window.presentationWindow()->close();
  }

  if (argc > 3) {
    window.openExperiment(QString::fromLocal8Bit(argv[3]));
    QSignalSpy finished(window.bridge(), &tpt::ui::RunBridge::finished);
    QSignalSpy progress(window.bridge(), &tpt::ui::RunBridge::progressed);
    window.startRun();
    // Wait until Think or Train is well under way.
    QElapsedTimer clock;
    clock.start();
    while (clock.elapsed() < 600000 && finished.isEmpty()) {
      settle(200);
      const QString status = window.runPanel()->statusText();
      // A phase on a server is busy once the server is up, not while it loads.
      const QString server = window.runPanel()->serverStatusText();
      const bool serverUp = server.isEmpty() || server.contains(QStringLiteral("ready"));
      if (progress.count() > 40 && serverUp &&
          (status.contains(QStringLiteral("think")) || status.contains(QStringLiteral("train"))))
        break;
    }
    settle(500);
    ok &= save(&window, out + QStringLiteral("/run-window.png"));
    ok &= save(window.runPanel(), out + QStringLiteral("/run.png"));
    if (!window.runPanel()->serverStatusText().isEmpty()) {
      auto* tabs = window.runPanel()->findChild<QTabWidget*>(QStringLiteral("logTabs"));
      tabs->setCurrentWidget(tabs->findChild<QWidget*>(QStringLiteral("serverLog")));
      settle(300);
      ok &= save(window.runPanel(), out + QStringLiteral("/run-server.png"));
      tabs->setCurrentIndex(0);
    }
    window.bridge()->cancel();
    while (finished.isEmpty()) settle(100);
  }
  return ok ? 0 : 1;
}
