// tpt-workbench: the Qt GUI. `tpt-workbench [EXPERIMENT_DIR]` opens that experiment; without
// one, the last experiment used (or the built-in demo).
#include <QApplication>
#include <QCommandLineParser>

#include "main_window.h"
#include "runtime/torch_runtime.h"

int main(int argc, char** argv) {
  QApplication app(argc, argv);
  QApplication::setOrganizationName(QStringLiteral("TPT Workbench"));
  QApplication::setApplicationName(QStringLiteral("tpt-workbench"));
  QApplication::setApplicationDisplayName(QStringLiteral("TPT Workbench"));
  QApplication::setApplicationVersion(QStringLiteral(TPT_VERSION_STRING));
  QApplication::setWindowIcon(QIcon(QStringLiteral(":/icons/tpt-workbench.svg")));

  QCommandLineParser parser;
  parser.setApplicationDescription(QStringLiteral("Think, Prune, Train, Improve: run and review self-improvement rounds."));
  parser.addHelpOption();
  parser.addVersionOption();
  parser.addPositionalArgument(QStringLiteral("experiment"), QStringLiteral("An experiment folder to open."),
                               QStringLiteral("[EXPERIMENT_DIR]"));
  parser.process(app);

  tpt::runtime::init_runtime();
  tpt::ui::MainWindow window;
  if (!parser.positionalArguments().isEmpty()) window.openExperiment(parser.positionalArguments().first());
  window.show();
  return app.exec();
}
