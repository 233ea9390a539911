// The main window opens, tells the user what the engine runs on, and comes back where it was;
// its modes switch by shortcut and keep their layout; one document holds experiment.json, with
// unsaved changes shown and asked about, saving checked as a run would check it, and forks; an
// experiment folder copied elsewhere uses its own models.
#include <QAction>
#include <QApplication>
#include <QDir>
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QPushButton>
#include <QSettings>
#include <QSplitter>
#include <QStackedWidget>
#include <QStatusBar>
#include <QTableView>
#include <QTemporaryDir>
#include <QTimer>
#include <QtTest>

#include <filesystem>

#include "config/experiment_config.h"
#include "experiment_document.h"
#include "io/json_fields.h"
#include "main_window.h"
#include "presentation_window.h"
#include "rules_panel.h"
#include "run_panel.h"
#include "run/experiment.h"
#include "runtime/torch_runtime.h"
#include "setup_panel.h"
#include "core/error.h"
#include "store/database.h"
#include "store/store.h"
#include "trace_browser.h"
#include "ui_test_setup.h"

namespace {

using Mode = tpt::ui::MainWindow::Mode;

// A small experiment folder: problem files, a model folder with a config.json (never loaded
// here), and experiment.json naming them relative to the folder.
QString makeExperiment(const QString& dir, const std::string& name = "copy-me") {
  QDir().mkpath(dir + QStringLiteral("/base-model"));
  for (const char* file : {"/train.jsonl", "/test.jsonl"}) {
    QFile f(dir + QString::fromLatin1(file));
    f.open(QIODevice::WriteOnly);
    f.write("{\"question\": \"1+1?\", \"answer\": \"#### 2\"}\n");
  }
  QFile config(dir + QStringLiteral("/base-model/config.json"));
  config.open(QIODevice::WriteOnly);
  config.write("{}");
  tpt::config::ExperimentConfig c;
  c.name = name;
  c.dataset.train = "train.jsonl";
  c.dataset.test = "test.jsonl";
  c.model.path = "base-model";
  c.save((dir + QStringLiteral("/experiment.json")).toStdString());
  return dir;
}

// Stores rounds 0..`rounds` as done, with the settings of experiment.json, as a run would;
// each trained round's model folder (a config.json) under models/round-N, digest recorded.
void storeRounds(const QString& dir, int rounds) {
  const std::string folder = dir.toStdString();
  tpt::store::Store store(folder + "/experiment.sqlite");
  tpt::store::ExperimentRecord record;
  record.name = "stored";
  record.config_json = tpt::io::read_json_file(folder + "/experiment.json").dump();
  const auto id = store.create_experiment(record);
  for (int r = 0; r <= rounds; ++r) {
    const auto round = store.ensure_round(id, r);
    if (r > 0) {
      const std::string model = folder + "/models/round-" + std::to_string(r);
      std::filesystem::create_directories(model);
      QFile config(QString::fromStdString(model + "/config.json"));
      config.open(QIODevice::WriteOnly);
      config.write("{}");
      store.set_round_model_path(round, model, "sha256:recorded-by-the-test");
    }
    store.set_round_state(round, tpt::store::RoundState::Done);
    tpt::store::EventRecord event;
    event.experiment_id = id;
    event.message = "round " + std::to_string(r) + " done (stored by the test)";
    store.log_event(event);
  }
}

// Answers the next modal dialog by clicking the button with this role (or text).
void answerNextDialog(QMessageBox::StandardButton button) {
  QTimer::singleShot(0, [button] {
    auto* box = qobject_cast<QMessageBox*>(QApplication::activeModalWidget());
    if (box && box->button(button)) box->button(button)->click();
  });
}

}  // namespace

class TestMainWindow : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void initTestCase() {
    tpt::testing::isolateSettings(QStringLiteral("test_main_window"), tpt::testing::DataFolder::Throwaway);
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

  void modesSwitchByShortcutAndShowTheirPage() {
    tpt::ui::MainWindow window;
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    window.activateWindow();
    const struct {
      Qt::Key key;
      Mode mode;
      QWidget* page;
    } cases[] = {{Qt::Key_3, Mode::Review, window.traceBrowser()},   {Qt::Key_4, Mode::Pruning, window.rulesPanel()},
                 {Qt::Key_1, Mode::Setup, window.setupPanel()},      {Qt::Key_6, Mode::Present, nullptr},
                 {Qt::Key_2, Mode::Run, window.runPanel()},          {Qt::Key_5, Mode::Problems, nullptr}};
    for (const auto& c : cases) {
      // With the focus somewhere else in the window (the current page's first field).
      QTest::keyClick(&window, c.key, Qt::ControlModifier);
      QCOMPARE(window.mode(), c.mode);
      auto* stack = window.findChild<QStackedWidget*>(QStringLiteral("modeStack"));
      QCOMPARE(stack->currentWidget(), window.modePage(c.mode));
      if (c.page) QVERIFY(c.page->isVisible());
      QVERIFY(window.modeAction(c.mode)->isChecked());
      // The shortcut is in the action's tooltip and in Help → Keyboard shortcuts.
      const QString key = QKeySequence(Qt::CTRL | c.key).toString(QKeySequence::NativeText);
      QVERIFY2(window.modeAction(c.mode)->toolTip().contains(key), qPrintable(window.modeAction(c.mode)->toolTip()));
      QVERIFY(window.keyboardShortcuts().contains(key + QLatin1Char('\t') + window.modeAction(c.mode)->text()));
    }
  }

  void everyMenuItemHasItsOwnAccessKey() {
    // Two items with one access key (File had "&Quick demo" and "&Quit", "&Recent" and
    // "&Report") make the key only highlight the first: a keyboard user opened nothing.
    tpt::ui::MainWindow window;
    const QList<QMenu*> menus = window.menuBar()->findChildren<QMenu*>();
    QVERIFY(menus.size() >= 4);
    QSet<QString> menuBarKeys;
    for (QAction* top : window.menuBar()->actions()) {
      const QKeySequence key = QKeySequence::mnemonic(top->text());
      QVERIFY2(!key.isEmpty(), qPrintable(top->text()));
      QVERIFY2(!menuBarKeys.contains(key.toString()), qPrintable(top->text()));
      menuBarKeys.insert(key.toString());
    }
    for (QMenu* menu : menus) {
      QHash<QString, QString> taken;
      for (QAction* action : menu->actions()) {
        if (action->isSeparator() || action->text().isEmpty()) continue;
        const QKeySequence key = QKeySequence::mnemonic(action->text());
        if (key.isEmpty()) continue;
        QVERIFY2(!taken.contains(key.toString()), qPrintable(menu->title() + QStringLiteral(": ") + action->text() +
                                                             QStringLiteral(" and ") + taken.value(key.toString())));
        taken.insert(key.toString(), action->text());
      }
    }
  }

  void theRunPageKeepsItsLayoutAsTheStatusChanges() {
    // The user test saw the Run page's splitter jump when the status gained " — paused".
    tpt::ui::MainWindow window;
    window.resize(1366, 768);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    window.setMode(Mode::Run);
    auto* splitter = window.findChild<QSplitter*>(QStringLiteral("runSplitter"));
    auto* status = window.runPanel()->findChild<QLabel*>(QStringLiteral("runStatus"));
    auto* speed = window.runPanel()->findChild<QLabel*>(QStringLiteral("runSpeed"));
    QVERIFY(splitter && status && speed);
    status->setText(QStringLiteral("Building the built-in base model (once; it is cached)"));
    QTest::qWait(50);
    const QList<int> before = splitter->sizes();
    for (const QString& text : {QStringLiteral("Building the built-in base model (once; it is cached) — paused"),
                                QStringLiteral("Round 2 of 4 · think — paused, and a longer explanation of what happens "
                                               "next that goes on and on"),
                                QStringLiteral("Not running")}) {
      status->setText(text);
      speed->setText(QStringLiteral("522 tok/s · ETA 9m29s · loss 1.4799 · and more figures than fit in the row"));
      QTest::qWait(50);
      QCOMPARE(splitter->sizes(), before);
    }
    QCOMPARE(window.size(), QSize(1366, 768));
  }

  void eachModeFitsTheSmallScreenAndKeepsItsLayout() {
    QList<int> setupSizes;
    {
      tpt::ui::MainWindow window;
      window.resize(1366, 768);
      window.show();
      QVERIFY(QTest::qWaitForWindowExposed(&window));
      // Nothing in any mode forces the window past a 1366×768 screen.
      QVERIFY2(window.minimumSizeHint().width() <= 1366 && window.minimumSizeHint().height() <= 740,
               qPrintable(QStringLiteral("%1x%2").arg(window.minimumSizeHint().width()).arg(window.minimumSizeHint().height())));
      QCOMPARE(window.size(), QSize(1366, 768));
      // Setup's form gets room to read without dragging a splitter.
      window.setMode(Mode::Setup);
      QVERIFY2(window.setupPanel()->width() >= 420, qPrintable(QString::number(window.setupPanel()->width())));
      auto* split = window.findChild<QSplitter*>(QStringLiteral("setupSplitter"));
      split->setSizes({700, 500});
      setupSizes = split->sizes();
      window.setMode(Mode::Pruning);
      window.close();
    }
    tpt::ui::MainWindow reopened;
    reopened.resize(1366, 768);
    reopened.show();
    QVERIFY(QTest::qWaitForWindowExposed(&reopened));
    QCOMPARE(reopened.mode(), Mode::Pruning);
    reopened.setMode(Mode::Setup);
    QCOMPARE(reopened.findChild<QSplitter*>(QStringLiteral("setupSplitter"))->sizes(), setupSizes);
  }

  void unsavedChangesShowInTheTitleAndAreAskedAbout() {
    QTemporaryDir temp;
    const QString dir = makeExperiment(temp.path() + QStringLiteral("/exp"));
    tpt::ui::MainWindow window;
    window.show();
    QVERIFY(window.openExperiment(dir));
    QVERIFY(!window.isWindowModified());
    auto* name = qobject_cast<QLineEdit*>(window.setupPanel()->fieldFor(QStringLiteral("name")));
    QVERIFY(name);
    name->setText(QStringLiteral("renamed"));
    QVERIFY(window.isWindowModified());
    QVERIFY(window.windowTitle().contains(QStringLiteral("[*]")));
    // The Pruning panel hears the same document: its next save writes the form's edit too,
    // never the file's stale copy.
    QCOMPARE(window.experimentDocument()->json()["name"].get<std::string>(), std::string("renamed"));

    const auto fileName = [&] {
      return tpt::io::read_json_file((dir + QStringLiteral("/experiment.json")).toStdString())["name"].get<std::string>();
    };
    answerNextDialog(QMessageBox::Cancel);
    QVERIFY(!window.close());  // Quit with unsaved changes, cancelled: the window stays
    QVERIFY(window.isVisible());
    QCOMPARE(fileName(), std::string("copy-me"));

    answerNextDialog(QMessageBox::Discard);
    QVERIFY(window.maybeSaveChanges());
    QCOMPARE(fileName(), std::string("copy-me"));
    QVERIFY(!window.isWindowModified());
    QCOMPARE(name->text(), QStringLiteral("copy-me"));  // the form shows the file again

    name->setText(QStringLiteral("renamed again"));
    answerNextDialog(QMessageBox::Save);
    QVERIFY(window.maybeSaveChanges());
    QCOMPARE(fileName(), std::string("renamed again"));
    QVERIFY(!window.isWindowModified());

    // The rule set saved from Pruning goes through the same document and keeps the name.
    QVERIFY(window.rulesPanel()->useForNextPrune());
    QCOMPARE(fileName(), std::string("renamed again"));
  }

  void savingChecksWhatARunChecksAndOffersAFork() {
    QTemporaryDir temp;
    const QString dir = makeExperiment(temp.path() + QStringLiteral("/exp"));
    tpt::ui::MainWindow window;
    window.show();
    QVERIFY(window.openExperiment(dir));
    // A file that does not exist is named at its field, and nothing is saved.
    auto* train = qobject_cast<QLineEdit*>(window.setupPanel()->fieldFor(QStringLiteral("dataset.train")));
    train->setText(QStringLiteral("missing.jsonl"));
    QVERIFY2(window.setupPanel()->issues().value(QStringLiteral("dataset.train")).contains(QStringLiteral("no such file")),
             qPrintable(window.setupPanel()->issues().value(QStringLiteral("dataset.train"))));
    QVERIFY(!window.setupPanel()->save());
    train->setText(QStringLiteral("train.jsonl"));
    QVERIFY(window.setupPanel()->isValid());
    QVERIFY(window.setupPanel()->save());

    // Once rounds ran, a setting they depend on may change only in a fork.
    storeRounds(dir, 1);
    QVERIFY(window.openExperiment(dir));
    auto* seed = window.setupPanel()->fieldFor(QStringLiteral("seed"));
    QVERIFY(seed);
    QMetaObject::invokeMethod(seed, "setValue", Q_ARG(int, 1234));
    QVERIFY2(window.setupPanel()->forkChanges().contains(QStringLiteral("seed")),
             qPrintable(QStringList(window.setupPanel()->forkChanges().keys()).join(QLatin1Char(' '))));
    QSignalSpy forkNeeded(window.setupPanel(), &tpt::ui::SetupPanel::forkNeeded);
    answerNextDialog(QMessageBox::Cancel);  // the Fork… / Cancel question
    QVERIFY(!window.setupPanel()->save());
    QCOMPARE(forkNeeded.count(), 1);
    QVERIFY(forkNeeded.first().first().toStringList().join(QLatin1Char('\n')).contains(QStringLiteral("seed")));
    const auto storedSeed = [](const QString& folder) {
      return tpt::io::read_json_file((folder + QStringLiteral("/experiment.json")).toStdString())["seed"].get<int>();
    };
    QVERIFY(storedSeed(dir) != 1234);

    const QString forked = temp.path() + QStringLiteral("/exp-fork");
    QVERIFY(window.forkExperiment(forked));
    QCOMPARE(window.experimentDir(), QDir(forked).absolutePath());
    QCOMPARE(storedSeed(forked), 1234);
    QVERIFY(storedSeed(dir) != 1234);  // the original stays as its rounds ran
    QVERIFY(!window.isWindowModified());
  }

  void theReviewsRuleOfferAddsTheOverrideRuleToTheExperiment() {
    QTemporaryDir temp;
    const QString dir = makeExperiment(temp.path() + QStringLiteral("/exp"));
    tpt::ui::MainWindow window;
    QVERIFY(window.openExperiment(dir));
    const auto ruleTypes = [&] {
      QStringList types;
      const auto doc = tpt::io::read_json_file((dir + QStringLiteral("/experiment.json")).toStdString());
      for (const auto& rule : doc["prune"]["rules"]) types << QString::fromStdString(rule["type"].get<std::string>());
      return types;
    };
    QVERIFY(!ruleTypes().contains(QStringLiteral("annotation_override")));
    // What the browser's "Add the rule" answer asks for.
    Q_EMIT window.traceBrowser()->overrideRuleRequested();
    QVERIFY2(ruleTypes().contains(QStringLiteral("annotation_override")), qPrintable(ruleTypes().join(QLatin1Char(' '))));
    QVERIFY(!window.isWindowModified());
    // The Pruning mode shows the rule set as saved.
    bool shown = false;
    for (const auto& rule : window.rulesPanel()->ruleSet().rules())
      shown |= rule.type == tpt::prune::RuleType::AnnotationOverride && rule.enabled;
    QVERIFY(shown);
  }

  void openingWhatIsNotAnExperimentClearsTheViews() {
    QTemporaryDir temp;
    const QString dir = makeExperiment(temp.path() + QStringLiteral("/exp"), "first");
    tpt::ui::MainWindow window;
    window.show();
    QVERIFY(window.openExperiment(dir));
    QVERIFY(window.windowTitle().startsWith(QStringLiteral("first")));
    QVERIFY(!window.openExperiment(temp.path()));  // a folder without experiment.json
    QVERIFY(window.experimentDir().isEmpty());
    QCOMPARE(window.windowTitle(), QStringLiteral("TPT Workbench"));
    QVERIFY(!window.experimentDocument()->isOpen());
    QVERIFY(window.statusBar()->currentMessage().contains(temp.path()));
    QVERIFY(window.runPanel()->statusText().contains(QStringLiteral("No experiment")));
    QCOMPARE(window.presentPage()->problemCount(), 0);  // Present shows nothing of the previous experiment
    const QString nowhere = QStringLiteral("no/such/experiment");
    QVERIFY(!window.openExperiment(nowhere));
    QVERIFY2(window.statusBar()->currentMessage().startsWith(nowhere + QStringLiteral(": no such")),
             qPrintable(window.statusBar()->currentMessage()));
  }

  void aCopiedExperimentUsesItsOwnModels() {
    QTemporaryDir temp;
    const QString original = makeExperiment(temp.path() + QStringLiteral("/original"));
    storeRounds(original, 2);
    const QString copy = temp.path() + QStringLiteral("/copy");
    std::filesystem::copy(original.toStdString(), copy.toStdString(), std::filesystem::copy_options::recursive);
    {
      tpt::store::Store store((copy + QStringLiteral("/experiment.sqlite")).toStdString(), tpt::store::OpenMode::read_only);
      const auto rounds = store.list_rounds(store.list_experiments().front().id);
      QCOMPARE(rounds.size(), size_t(3));
      QCOMPARE(QString::fromStdString(rounds[2].model_path), QDir(copy).absoluteFilePath(QStringLiteral("models/round-2")));
    }
    // An older database holds absolute paths: a copy still reads its own models/round-N.
    {
      tpt::store::Store store((copy + QStringLiteral("/experiment.sqlite")).toStdString());
      const auto id = store.list_rounds(store.list_experiments().front().id)[1].id;
      store.database().query("UPDATE rounds SET model_path = ?2 WHERE id = ?1", "test").bind(1, id)
          .bind(2, (original + QStringLiteral("/models/round-1")).toStdString()).run();
      QCOMPARE(QString::fromStdString(store.get_round(id)->model_path), QDir(copy).absoluteFilePath(QStringLiteral("models/round-1")));
    }
    // The copy's own model folder gone: reported on open, with what to do; the original is
    // not consulted.
    QDir(copy + QStringLiteral("/models/round-2")).removeRecursively();
    tpt::ui::MainWindow window;
    window.show();
    QVERIFY(window.openExperiment(copy));
    const QString report = window.missingModelsText();
    QVERIFY2(report.contains(QStringLiteral("Round 2")) && report.contains(QStringLiteral("copy/models/round-2")) &&
                 !report.contains(QStringLiteral("Round 1")) && report.contains(QStringLiteral("--train-again 2")),
             qPrintable(report));
    QVERIFY(window.findChild<QLabel*>(QStringLiteral("missingModels"))->isVisible());
    // The Run mode tells the experiment's state as stored, rounds counted as users count them.
    // Round 0 scored the base model: two rounds done, not three.
    QVERIFY2(window.runPanel()->progressText().startsWith(QStringLiteral("2 / ")),
             qPrintable(window.runPanel()->progressText()));
    // The Run log opens on the experiment's stored log, not an earlier experiment's lines.
    QVERIFY2(window.runPanel()->logText().contains(QStringLiteral("round 2 done (stored by the test)")),
             qPrintable(window.runPanel()->logText()));
    // Round 1 has a later round started from it; round 2 can train again.
    QVERIFY_THROWS_EXCEPTION(tpt::Error, tpt::run::train_round_again(copy.toStdString(), 1));
    tpt::run::train_round_again(copy.toStdString(), 2);
    QVERIFY(tpt::run::missing_round_models(copy.toStdString()).empty());
    tpt::store::Store store((copy + QStringLiteral("/experiment.sqlite")).toStdString(), tpt::store::OpenMode::read_only);
    QCOMPARE(store.list_rounds(store.list_experiments().front().id)[2].state, tpt::store::RoundState::Train);
  }
};

QTEST_MAIN(TestMainWindow)
#include "test_main_window.moc"
