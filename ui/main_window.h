// The workbench's main window. Panels (setup, run, traces, rules, charts) dock into it; for
// now it shows what the engine runs on and restores its geometry across restarts.
#pragma once

#include <QMainWindow>

class QLabel;

namespace tpt::ui {

class MainWindow : public QMainWindow {
  Q_OBJECT

 public:
  explicit MainWindow(QWidget* parent = nullptr);

  // The engine's start-up report (libtorch, BLAS, threads, devices) as shown in the status bar.
  QString runtimeSummary() const;
  // Non-empty when the engine runs on a slow BLAS; shown as a warning banner.
  QString runtimeWarning() const;

 protected:
  void closeEvent(QCloseEvent* event) override;

 private:
  void createActions();
  void showAbout();

  QString m_runtimeSummary;
  QString m_runtimeWarning;
  QLabel* m_warningBanner = nullptr;
};

}  // namespace tpt::ui
