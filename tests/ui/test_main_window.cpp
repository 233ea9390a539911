// The main window opens, tells the user what the engine runs on, and comes back where it was.
#include <QFile>
#include <QLabel>
#include <QSettings>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTemporaryDir>
#include <QtTest>

#include "main_window.h"
#include "runtime/torch_runtime.h"

class TestMainWindow : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void initTestCase() {
    QStandardPaths::setTestModeEnabled(true);
    // The demo the window opens by default lands in a throwaway data folder.
    static QTemporaryDir data;
    qputenv("XDG_DATA_HOME", data.path().toLocal8Bit());  // keep the user's real settings untouched
    QCoreApplication::setOrganizationName(QStringLiteral("TPT Workbench Tests"));
    QCoreApplication::setApplicationName(QStringLiteral("test_main_window"));
    QSettings().clear();
    tpt::runtime::init_runtime(1);
  }

  void windowShowsTitleAndEngineReport() {
    tpt::ui::MainWindow window;
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QVERIFY2(window.windowTitle().endsWith(QStringLiteral("TPT Workbench")), qPrintable(window.windowTitle()));
    QVERIFY2(!window.windowIcon().pixmap(32, 32).isNull(), "the application icon did not load");
    auto* summary = window.statusBar()->findChild<QLabel*>(QStringLiteral("runtimeSummary"));
    QVERIFY(summary);
    QVERIFY2(summary->text().contains(QStringLiteral("BLAS:")), qPrintable(summary->text()));
    QVERIFY(summary->text().contains(QStringLiteral("libtorch")));
  }

  void slowBlasWarningIsVisibleOnlyWhenThereIsOne() {
    tpt::ui::MainWindow window;
    window.show();
    auto* banner = window.findChild<QLabel*>(QStringLiteral("runtimeWarning"));
    QVERIFY(banner);
    QCOMPARE(banner->isVisible(), !window.runtimeWarning().isEmpty());
    // Whether netlib's reference BLAS is what this process runs on, read here from the loader's
    // own record rather than from the detection under test: Debian installs it as
    // .../blas/libblas.so.3 (OpenBLAS as .../openblas-pthread/libblas.so.3).
    QFile maps(QStringLiteral("/proc/self/maps"));
    QVERIFY(maps.open(QIODevice::ReadOnly));
    const QByteArray mapped = maps.readAll();
    const bool reference = mapped.contains("/blas/libblas.so") && !mapped.contains("openblas");
    QCOMPARE(!window.runtimeWarning().isEmpty(), reference);
  }

  void geometryIsRestoredAfterRestart() {
    {
      tpt::ui::MainWindow window;
      window.show();
      window.resize(1100, 800);
      window.move(40, 50);
      QVERIFY(QTest::qWaitForWindowExposed(&window));
      window.close();
    }
    tpt::ui::MainWindow reopened;
    reopened.show();
    QVERIFY(QTest::qWaitForWindowExposed(&reopened));
    QCOMPARE(reopened.size(), QSize(1100, 800));
  }
};

QTEST_MAIN(TestMainWindow)
#include "test_main_window.moc"
