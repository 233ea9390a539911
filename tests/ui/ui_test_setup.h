// The start of every UI test: its settings (window layout, recent experiments, review keys) and,
// where the window may build the demo or the built-in model, its data folder are kept apart from
// the user's and from the other tests', and start empty.
#pragma once

#include <QByteArray>
#include <QCoreApplication>
#include <QSettings>
#include <QStandardPaths>
#include <QString>
#include <QTemporaryDir>

namespace tpt::testing {

enum class DataFolder {
  TestMode,   // QStandardPaths' test locations only: the test writes no demo or model
  Throwaway,  // also XDG_DATA_HOME in a temporary folder, for what the engine writes there
};

inline void isolateSettings(const QString& application, DataFolder data = DataFolder::TestMode) {
  QStandardPaths::setTestModeEnabled(true);
  if (data == DataFolder::Throwaway) {
    static QTemporaryDir folder;
    qputenv("XDG_DATA_HOME", folder.path().toLocal8Bit());
  }
  QCoreApplication::setOrganizationName(QStringLiteral("TPT Workbench Tests"));
  QCoreApplication::setApplicationName(application);
  QSettings().clear();
}

}  // namespace tpt::testing
