// The workbench driven as a user drives it: a real window (offscreen), a real experiment folder,
// the engine on its own thread. Covers the Setup form's validation (the engine's messages at
// the fields), a run from the Start button to the chart, pause / resume / cancel, presentation
// mode, and that the event loop keeps turning while the engine works.
#include <QComboBox>
#include <QApplication>
#include <QDoubleSpinBox>
#include <QElapsedTimer>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTimer>
#include <QtTest>

#include "chart_panel.h"
#include "config/experiment_config.h"
#include "main_window.h"
#include "presentation_window.h"
#include "report/status.h"
#include "run_bridge.h"
#include "run_panel.h"
#include "runtime/torch_runtime.h"
#include "setup_panel.h"
#include "store/database.h"
#include "store/store.h"
#include "tiny_experiment.h"
#include "ui_test_setup.h"

namespace {

// Measures the longest interval between two turns of the event loop while alive.
class LoopWatch : public QObject {
 public:
  LoopWatch() {
    m_timer.setInterval(5);
    connect(&m_timer, &QTimer::timeout, this, [this] {
      const qint64 now = m_clock.nsecsElapsed();
      m_worst = std::max(m_worst, now - m_last);
      m_last = now;
    });
    m_clock.start();
    m_last = 0;
    m_timer.start();
  }
  double worstMs() const { return m_worst / 1e6; }

 private:
  QTimer m_timer;
  QElapsedTimer m_clock;
  qint64 m_last = 0, m_worst = 0;
};

}  // namespace

class TestWorkbench : public QObject {
  Q_OBJECT

  QTemporaryDir m_tmp;
  QString m_model;
  int m_experiments = 0;

  QString newExperiment(nlohmann::json config = {}) {
    if (config.is_null()) config = tpt::testing::tiny_experiment_config(m_model.toStdString());
    const QString dir = m_tmp.filePath(QStringLiteral("experiment-%1").arg(m_experiments++));
    tpt::testing::write_tiny_experiment(dir.toStdString(), config);
    return dir;
  }

 private Q_SLOTS:
  void initTestCase() {
    tpt::testing::isolateSettings(QStringLiteral("test_workbench"), tpt::testing::DataFolder::Throwaway);
    tpt::runtime::init_runtime(1);
    QVERIFY(m_tmp.isValid());
    m_model = QString::fromStdString(tpt::testing::write_tiny_model(m_tmp.filePath(QStringLiteral("model")).toStdString()));
  }

  void opensOnTheBuiltInDemoWhenNothingWasOpenedBefore() {
    tpt::ui::MainWindow window;
    QVERIFY2(window.experimentDir().endsWith(QStringLiteral("/experiments/tpt-demo")), qPrintable(window.experimentDir()));
    // Ready to run with one click: valid settings, its problem files written.
    QVERIFY(window.setupPanel()->isValid());
    QVERIFY(QFileInfo::exists(window.experimentDir() + QStringLiteral("/train.jsonl")));
    QVERIFY(QFileInfo::exists(window.experimentDir() + QStringLiteral("/test.jsonl")));
    QVERIFY(window.runPanel()->startButton()->isEnabled());
    QVERIFY(window.setupPanel()->findChild<QLabel*>(QStringLiteral("modelSummary"))->text().contains(
        QStringLiteral("built-in base model")));
  }

  void setupFormShowsTheEnginesMessageAtTheField() {
    tpt::ui::MainWindow window;
    QVERIFY(window.openExperiment(newExperiment()));
    tpt::ui::SetupPanel* setup = window.setupPanel();
    QVERIFY(setup->isValid());
    auto* temperature = setup->findChild<QDoubleSpinBox*>(QStringLiteral("think.temperature"));
    QVERIFY(temperature);
    temperature->setValue(-1);
    QVERIFY(!setup->isValid());
    QVERIFY(temperature->property("invalid").toBool());
    // The message is the engine's own, for the same document.
    std::string expected;
    for (const auto& issue : tpt::config::ExperimentConfig::validate(setup->document()))
      if (issue.path == "think.temperature") expected = issue.message;
    QVERIFY(!expected.empty());
    QCOMPARE(temperature->toolTip(), QString::fromStdString(expected));
    QVERIFY2(temperature->toolTip().contains(QStringLiteral("got -1")), qPrintable(temperature->toolTip()));
    auto* issues = setup->findChild<QLabel*>(QStringLiteral("issueList"));
    QVERIFY(issues->text().contains(QStringLiteral("think.temperature")));
    QVERIFY(!setup->findChild<QPushButton*>(QStringLiteral("saveSettings"))->isEnabled());
    // Text where a number belongs is named too.
    auto* rate = setup->findChild<QLineEdit*>(QStringLiteral("train.learning_rate"));
    rate->setText(QStringLiteral("fast"));
    QVERIFY(rate->property("invalid").toBool());
    QVERIFY(!rate->toolTip().isEmpty());
    // Fixed values clear the marks and allow saving.
    temperature->setValue(0.7);
    rate->setText(QStringLiteral("0.001"));
    QVERIFY(setup->isValid());
    QVERIFY(!temperature->property("invalid").toBool());
    QVERIFY(setup->save());
    QCOMPARE(tpt::config::ExperimentConfig::load((window.experimentDir() + QStringLiteral("/experiment.json")).toStdString())
                 .think.temperature,
             0.7);
    // The model folder is summarised without loading it; the estimate counts the files.
    const QString summary = setup->findChild<QLabel*>(QStringLiteral("modelSummary"))->text();
    QVERIFY2(summary.contains(QStringLiteral("llama")) && summary.contains(QStringLiteral("2 layers")),
             qPrintable(summary));
    const QString estimate = setup->findChild<QLabel*>(QStringLiteral("estimate"))->text();
    QVERIFY2(estimate.contains(QStringLiteral("18 samples on 6 problems")), qPrintable(estimate));
    QVERIFY2(estimate.contains(QStringLiteral("8 answers on 4 test problems")), qPrintable(estimate));
  }

  void aRunStartedFromTheWindowCompletesAndChartsEveryRound() {
    tpt::ui::MainWindow window;
    window.show();
    QVERIFY(window.openExperiment(newExperiment()));
    QSignalSpy finished(window.bridge(), &tpt::ui::RunBridge::finished);
    QSignalSpy rounds(window.bridge(), &tpt::ui::RunBridge::roundFinished);
    LoopWatch watch;
    QTest::mouseClick(window.runPanel()->startButton(), Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 300000);
    QCOMPARE(finished.at(0).at(0).value<tpt::run::RunOutcome>(), tpt::run::RunOutcome::Completed);
    QCOMPARE(rounds.count(), 3);
    // The chart shows the base round and both trained rounds, as stored. The spy hears
    // `finished` on the engine thread; the chart reloads from the same signal queued to the GUI
    // thread, so it is given the event loop to catch up.
    const auto status = tpt::report::read_status(window.experimentDir().toStdString());
    QTRY_COMPARE_WITH_TIMEOUT(window.chartPanel()->strictPass1().size(), 3, 10000);
    for (int r = 0; r < 3; ++r)
      QCOMPARE(window.chartPanel()->strictPass1()[r], 100 * *status.rounds[r].metric("pass@1.strict"));
    QVERIFY(!window.chartPanel()->lossCurve().isEmpty());
    QVERIFY(window.runPanel()->logText().contains(QStringLiteral("round 2 done")));
    // Rounds as the user counts them, and nothing left of the last batch's speed and ETA.
    QTRY_VERIFY_WITH_TIMEOUT(window.runPanel()->logText().contains(QStringLiteral("base model scored, 2 of 2 rounds done")),
                             10000);
    QVERIFY2(window.runPanel()->statusText().contains(QStringLiteral("Completed: 2 of 2 rounds")),
             qPrintable(window.runPanel()->statusText()));
    QCOMPARE(window.runPanel()->findChild<QLabel*>(QStringLiteral("runSpeed"))->text(), QString());
    // How long the event loop waited at most during the run: a measured figure, printed with the
    // test's output, not asserted (on a loaded 2-core machine it measures the machine).
    qInfo("longest event-loop gap during the run: %.1f ms", watch.worstMs());
    // Exports of the chart are real files.
    const QString png = m_tmp.filePath(QStringLiteral("chart.png")), pdf = m_tmp.filePath(QStringLiteral("chart.pdf"));
    QVERIFY(window.chartPanel()->exportTo(png));
    QVERIFY(window.chartPanel()->exportTo(pdf));
    QVERIFY(QImage(png).width() == 1200);
    QFile pdfFile(pdf);
    QVERIFY(pdfFile.open(QIODevice::ReadOnly));
    QVERIFY(pdfFile.read(5) == "%PDF-");

    // Presentation mode: the chart and one problem's answer in each round.
    window.showPresentation();
    QVERIFY(window.presentationWindow());
    QCOMPARE(window.presentationWindow()->problemCount(), 4);
    QCOMPARE(window.presentationWindow()->cardSummaries().size(), 3);
    // Esc puts the presentation back in its page, in Present mode.
    QTest::keyClick(window.presentationWindow(), Qt::Key_Escape);
    QVERIFY(!window.presentationWindow());
    QCOMPARE(window.mode(), tpt::ui::MainWindow::Mode::Present);
  }

  void pauseResumeAndCancelFromTheWindow() {
    tpt::ui::MainWindow window;
    window.show();
    nlohmann::json config = tpt::testing::tiny_experiment_config(m_model.toStdString());
    config["think"]["pool_size"] = 10;
    config["think"]["samples_per_problem"] = 8;
    QVERIFY(window.openExperiment(newExperiment(config)));
    QSignalSpy progress(window.bridge(), &tpt::ui::RunBridge::progressed);
    QSignalSpy paused(window.bridge(), &tpt::ui::RunBridge::pausedChanged);
    QSignalSpy finished(window.bridge(), &tpt::ui::RunBridge::finished);
    tpt::ui::RunPanel* panel = window.runPanel();
    QTest::mouseClick(panel->startButton(), Qt::LeftButton);
    QVERIFY(!panel->startButton()->isEnabled());
    QTRY_VERIFY_WITH_TIMEOUT(progress.count() > 0, 60000);
    QTest::mouseClick(panel->pauseButton(), Qt::LeftButton);
    QCOMPARE(paused.count(), 1);
    QCOMPARE(panel->pauseButton()->text(), QStringLiteral("Resume"));
    // The batch in flight finishes and the engine thread holds; from then on nothing moves and
    // nothing is written, however long the pause lasts.
    QTRY_VERIFY_WITH_TIMEOUT(window.bridge()->isHeld(), 60000);
    const int held = progress.count();
    const auto stored = [&] {
      tpt::store::Store store((window.experimentDir() + QStringLiteral("/experiment.sqlite")).toStdString(),
                              tpt::store::OpenMode::read_only);
      auto q = store.database().query("SELECT (SELECT count(*) FROM samples) + (SELECT count(*) FROM eval_samples)"
                                      " + (SELECT count(*) FROM train_steps)", "count");
      return q.step() ? q.int64(0) : -1;
    };
    const auto before = stored();
    for (int i = 0; i < 20; ++i) QCoreApplication::processEvents(QEventLoop::AllEvents, 20);
    QTest::qWait(200);
    QVERIFY(window.bridge()->isHeld());
    QCOMPARE(progress.count(), held);
    QCOMPARE(stored(), before);
    QCOMPARE(finished.count(), 0);
    QTest::mouseClick(panel->pauseButton(), Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT(progress.count() > held || finished.count() > 0, 60000);
    QTest::mouseClick(panel->cancelButton(), Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 60000);
    QCOMPARE(finished.at(0).at(0).value<tpt::run::RunOutcome>(), tpt::run::RunOutcome::Cancelled);
    QCOMPARE(tpt::report::read_status(window.experimentDir().toStdString()).state, std::string("cancelled"));
    // Start again resumes and finishes.
    QTRY_VERIFY(panel->startButton()->isEnabled());
    QTest::mouseClick(panel->startButton(), Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 2, 300000);
    QCOMPARE(finished.at(1).at(0).value<tpt::run::RunOutcome>(), tpt::run::RunOutcome::Completed);
  }

  void modeThemeAndLastExperimentComeBackAfterRestart() {
    QString dir = newExperiment();
    {
      tpt::ui::MainWindow window;
      window.show();
      QVERIFY(QTest::qWaitForWindowExposed(&window));
      QVERIFY(window.openExperiment(dir));
      window.setMode(tpt::ui::MainWindow::Mode::Review);
      window.setDarkTheme(true);
      window.close();
    }
    tpt::ui::MainWindow reopened;
    reopened.show();
    QVERIFY(QTest::qWaitForWindowExposed(&reopened));
    QCOMPARE(reopened.experimentDir(), dir);
    QCOMPARE(reopened.mode(), tpt::ui::MainWindow::Mode::Review);
    QVERIFY(reopened.isDarkTheme());
    // Placeholder text follows the dark palette: light grey on the dark field, not the default.
    const QPalette palette = QApplication::palette();
    QVERIFY(palette.color(QPalette::PlaceholderText).lightness() > palette.color(QPalette::Base).lightness() + 80);
    reopened.setDarkTheme(false);
  }
};

QTEST_MAIN(TestWorkbench)
#include "test_workbench.moc"
