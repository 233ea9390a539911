// The workbench's main window: the Pass@1 chart in the middle, the Setup panel (a form over
// experiment.json) and the Run panel (start / pause / cancel, progress, log) docked around it.
// Docks can be moved and come back where they were; the last experiment reopens on start.
// The engine runs on its own thread (RunBridge); nothing here blocks the event loop.
#pragma once

#include <QMainWindow>
#include <QPointer>

class QAction;
class QLabel;
class QMenu;

namespace tpt::ui {

class ChartPanel;
class PresentationWindow;
class ProblemsPanel;
class RulesPanel;
class TraceBrowser;
class RunBridge;
class RunPanel;
class SetupPanel;

class MainWindow : public QMainWindow {
  Q_OBJECT

 public:
  explicit MainWindow(QWidget* parent = nullptr);
  ~MainWindow() override;

  // The engine's start-up report (libtorch, BLAS, threads, devices) as shown in the status bar.
  QString runtimeSummary() const;
  // Non-empty when the engine runs on a slow BLAS; shown as a warning banner.
  QString runtimeWarning() const;

  // Opens an experiment folder (its experiment.json) in every panel. False when it cannot be read.
  bool openExperiment(const QString& dir);
  // Opens the built-in demo (the quick one on request) in the user's data folder, creating it
  // the first time; its base model is built (once, cached) when the run starts.
  bool openDemo(bool quick = false);
  QString experimentDir() const { return m_dir; }

  SetupPanel* setupPanel() const { return m_setup; }
  RunPanel* runPanel() const { return m_runPanel; }
  ChartPanel* chartPanel() const { return m_chart; }
  RunBridge* bridge() const { return m_bridge; }
  TraceBrowser* traceBrowser() const { return m_traces; }
  RulesPanel* rulesPanel() const { return m_rules; }
  ProblemsPanel* problemsPanel() const { return m_problems; }
  // The presentation window while it is open, else null.
  PresentationWindow* presentationWindow() const;
  bool isDarkTheme() const { return m_dark; }

 public Q_SLOTS:
  void startRun();
  void setDarkTheme(bool dark);
  void showPresentation();

 protected:
  void closeEvent(QCloseEvent* event) override;

 private:
  void createActions();
  void createDocks();
  void showAbout();
  void newExperiment();
  void chooseExperiment();
  void compareWithExperiment();
  void exportChart();
  void rememberRecent(const QString& dir);
  void rebuildRecentMenu();

  QString m_runtimeSummary;
  QString m_runtimeWarning;
  QLabel* m_warningBanner = nullptr;
  QString m_dir;
  RunBridge* m_bridge = nullptr;
  SetupPanel* m_setup = nullptr;
  RunPanel* m_runPanel = nullptr;
  ChartPanel* m_chart = nullptr;
  TraceBrowser* m_traces = nullptr;
  RulesPanel* m_rules = nullptr;
  ProblemsPanel* m_problems = nullptr;
  QMenu* m_recentMenu = nullptr;
  QMenu* m_viewMenu = nullptr;
  QAction* m_startAction = nullptr;
  QAction* m_pauseAction = nullptr;
  QAction* m_cancelAction = nullptr;
  QAction* m_darkAction = nullptr;
  QPointer<PresentationWindow> m_presentation;
  bool m_dark = false;
  qint64 m_lastLossReload = 0;
};

}  // namespace tpt::ui
