// The workbench's main window: a mode bar on the left (as Qt Creator's) switches between six
// full-window workspaces, one per task — Setup (the experiment's settings), Run (start / pause /
// cancel, progress, log, the Pass@1 and loss charts), Review (the annotators' trace review),
// Pruning (the rule set and its funnel), Problems (per-problem outcomes across rounds) and
// Present (the demo view for stakeholders). Ctrl+1…Ctrl+6 switch; each mode keeps its own
// splitter sizes, and the window reopens on the last mode and experiment.
//
// One ExperimentDocument holds experiment.json for every panel; the title shows unsaved
// changes, and leaving the experiment with some asks Save / Discard / Cancel. The engine runs on
// its own thread (RunBridge); nothing here blocks the event loop.
#pragma once

#include <QMainWindow>
#include <QPointer>

class QAction;
class QActionGroup;
class QLabel;
class QMenu;
class QSplitter;
class QStackedWidget;
class QToolBar;

namespace tpt::ui {

class ChartPanel;
class ExperimentDocument;
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
  // The workspaces, in the mode bar's order (Ctrl+1 is Setup).
  enum class Mode { Setup, Run, Review, Pruning, Problems, Present };
  static constexpr int kModeCount = 6;

  explicit MainWindow(QWidget* parent = nullptr);
  ~MainWindow() override;

  // The engine's start-up report (libtorch, BLAS, threads, devices) as shown in the status bar.
  QString runtimeSummary() const;
  // Non-empty when the engine runs on a slow BLAS; shown as a warning banner.
  QString runtimeWarning() const;

  // Opens an experiment folder (its experiment.json) in every panel. False when it cannot be
  // read: then no experiment is open, every view is cleared and the status bar names the path
  // as given. Does not ask about unsaved changes (the menu actions do, first).
  bool openExperiment(const QString& dir);
  // Opens the built-in demo (the quick one on request) in the user's data folder, creating it
  // the first time; its base model is built (once, cached) when the run starts.
  bool openDemo(bool quick = false);
  QString experimentDir() const { return m_dir; }
  ExperimentDocument* experimentDocument() const { return m_document; }

  Mode mode() const;
  void setMode(Mode mode);
  // The page of a mode, and the View menu's action that switches to it.
  QWidget* modePage(Mode mode) const;
  QAction* modeAction(Mode mode) const;

  // With unsaved settings, asks Save / Discard / Cancel; true when the caller may go on (saved
  // or discarded), false when the user cancelled or the save failed.
  bool maybeSaveChanges();
  // Writes the open document's settings as a new experiment in `newDir` and opens it; the
  // open experiment stays as it was on disk. Returns false (and says why) on failure.
  bool forkExperiment(const QString& newDir);
  // Rounds whose trained model folder is gone, with what to do ("" when none).
  QString missingModelsText() const;
  // Every keyboard shortcut of the window (menus, modes, review keys): "Ctrl+3\tReview" lines.
  QStringList keyboardShortcuts() const;

  SetupPanel* setupPanel() const { return m_setup; }
  RunPanel* runPanel() const { return m_runPanel; }
  ChartPanel* chartPanel() const { return m_chart; }
  RunBridge* bridge() const { return m_bridge; }
  TraceBrowser* traceBrowser() const { return m_traces; }
  RulesPanel* rulesPanel() const { return m_rules; }
  ProblemsPanel* problemsPanel() const { return m_problems; }
  // The Present mode's page.
  PresentationWindow* presentPage() const;
  // The same page while it fills the screen (F11), else null.
  PresentationWindow* presentationWindow() const;
  bool isDarkTheme() const { return m_dark; }

 public Q_SLOTS:
  void startRun();
  void setDarkTheme(bool dark);
  // Present mode, full screen (F11; Esc or F11 returns).
  void showPresentation();
  void showKeyboardShortcuts();
  // File → Report…: the experiment as one HTML or PDF file.
  void saveReport();
  // Adds an enabled annotation_override rule to the experiment's rule set and saves it (what
  // the Review mode's first label offers). False, with a message, when it cannot be saved.
  bool addAnnotationOverride();

 protected:
  void closeEvent(QCloseEvent* event) override;

 private:
  void createPanels();
  void createModeBar();
  void createActions();
  void connectRun();
  void showAbout();
  void newExperiment();
  void chooseExperiment();
  void openFromMenu(const QString& dir);
  void compareWithExperiment();
  void exportChart();
  void rememberRecent(const QString& dir);
  void rebuildRecentMenu();
  void updateTitle();
  void offerFork(const QStringList& changes);
  void updateModelBanner();
  void reloadReviewViews();
  void saveModeLayout() const;
  void restoreModeLayout();

  QString m_runtimeSummary;
  QString m_runtimeWarning;
  QLabel* m_warningBanner = nullptr;
  QLabel* m_modelBanner = nullptr;
  QString m_dir;
  ExperimentDocument* m_document = nullptr;
  RunBridge* m_bridge = nullptr;
  QToolBar* m_modeBar = nullptr;
  QActionGroup* m_modeGroup = nullptr;
  QList<QAction*> m_modeActions;
  QStackedWidget* m_stack = nullptr;
  QSplitter* m_setupSplit = nullptr;
  QSplitter* m_runSplit = nullptr;
  SetupPanel* m_setup = nullptr;
  ChartPanel* m_setupChart = nullptr;
  RunPanel* m_runPanel = nullptr;
  ChartPanel* m_chart = nullptr;
  TraceBrowser* m_traces = nullptr;
  RulesPanel* m_rules = nullptr;
  ProblemsPanel* m_problems = nullptr;
  QPointer<PresentationWindow> m_presentPage;
  QMenu* m_recentMenu = nullptr;
  QMenu* m_viewMenu = nullptr;
  QAction* m_startAction = nullptr;
  QAction* m_pauseAction = nullptr;
  QAction* m_cancelAction = nullptr;
  QAction* m_darkAction = nullptr;
  bool m_dark = false;
  qint64 m_lastLossReload = 0;
};

}  // namespace tpt::ui
