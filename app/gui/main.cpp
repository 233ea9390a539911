// tpt-workbench: the Qt GUI.
#include <QApplication>

#include "main_window.h"
#include "runtime/torch_runtime.h"

int main(int argc, char** argv) {
  QApplication app(argc, argv);
  QApplication::setOrganizationName(QStringLiteral("TPT Workbench"));
  QApplication::setApplicationName(QStringLiteral("tpt-workbench"));
  QApplication::setApplicationDisplayName(QStringLiteral("TPT Workbench"));
  QApplication::setApplicationVersion(QStringLiteral(TPT_VERSION_STRING));
  QApplication::setWindowIcon(QIcon(QStringLiteral(":/icons/tpt-workbench.svg")));

  tpt::init_runtime();
  tpt::ui::MainWindow window;
  window.show();
  return app.exec();
}
