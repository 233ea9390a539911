// Training with an external command, as the workbench shows it: the Setup form's trainer
// section (round-tripped through experiment.json, what each preset runs, the engine's message
// at the command field for a template without {config}), and the Run panel's trainer state and
// log as the bridge delivers them from the engine thread. No model is needed: the form only
// reads experiment.json, and the trainer's reports are made up here as the runner sends them.
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QLabel>
#include <QPlainTextEdit>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QtTest>

#include <fstream>
#include <thread>

#include "config/experiment_config.h"
#include "io/json_fields.h"
#include "run_bridge.h"
#include "run_panel.h"
#include "setup_panel.h"

using nlohmann::json;

namespace {

json readJson(const QString& path) { return tpt::io::read_json_file(path.toStdString()); }

// The engine's message for `path` in `doc`, as `tpt config check` prints it.
QString engineMessage(const json& doc, const std::string& path) {
  for (const auto& issue : tpt::config::ExperimentConfig::validate(doc))
    if (issue.path == path) return QString::fromStdString(issue.message);
  return {};
}

// The command hint's text with its shell continuations (" \" at a line's end) joined, as a
// shell reads it.
QString shown(const QLabel* label) {
  return QString(label->text()).replace(QStringLiteral(" \\\n  "), QStringLiteral(" "));
}

}  // namespace

class TestTrainer : public QObject {
  Q_OBJECT

  QTemporaryDir m_tmp;
  int m_count = 0;

  // An experiment folder with two problem files and an experiment.json holding `trainer` (no
  // section when null), as a user writes one: only the keys they care about.
  QString experiment(const json& trainer) {
    const QString dir = m_tmp.filePath(QStringLiteral("exp-%1").arg(m_count++));
    QDir().mkpath(dir);
    for (const char* name : {"/train.jsonl", "/test.jsonl"})
      std::ofstream((dir + QString::fromLatin1(name)).toStdString())
          << R"({"question": "Tom has 3 apples and gets 4 more. How many now?", "answer": "3+4=7\n#### 7"})" << "\n";
    // Saving checks what a run opens first: the model folder must hold a config.json (it is
    // not loaded here).
    QDir().mkpath(dir + QStringLiteral("/model"));
    std::ofstream((dir + QStringLiteral("/model/config.json")).toStdString()) << "{}";
    json config = {{"schema_version", 1},
                   {"name", "trainer"},
                   {"rounds", 2},
                   {"dataset", {{"train", "train.jsonl"}, {"test", "test.jsonl"}}},
                   {"model", {{"path", "model"}, {"device", "cpu"}}}};
    if (!trainer.is_null()) config["trainer"] = trainer;
    tpt::io::write_json_file((dir + QStringLiteral("/experiment.json")).toStdString(), config);
    return dir;
  }

  // Loads `trainer` into a form, saves it untouched, and returns what the file then holds.
  json roundTrip(const json& trainer, tpt::ui::SetupPanel& setup) {
    const QString dir = experiment(trainer);
    if (!setup.loadExperiment(dir)) return {};
    if (!setup.save()) return {};
    return readJson(dir + QStringLiteral("/experiment.json"));
  }

  static void choose(QComboBox* box, const QString& data) { box->setCurrentIndex(box->findData(data)); }

  // A trainer report, as the runner makes one.
  static tpt::run::TrainerStatus status(const std::string& state, std::vector<std::string> lines = {}) {
    tpt::run::TrainerStatus s;
    s.round = 2;
    s.state = state;
    s.command =
        "accelerate launch --num_processes 8 --use_deepspeed --zero_stage 3 -m trl.scripts.sft --config "
        "/exp/work/round-2/sft.yaml";
    s.log_file = "/exp/logs/train-round-2.log";
    s.log_lines = std::move(lines);
    return s;
  }

 private Q_SLOTS:
  void initTestCase() { QVERIFY(m_tmp.isValid()); }

  void setupRoundTripsAnExternalTrainer() {
    const json trainer = {{"backend", "command"}, {"command", "trl-multi-gpu"}, {"gpus", 8}, {"stall_timeout_s", 1800}};
    tpt::ui::SetupPanel setup;
    const json saved = roundTrip(trainer, setup);
    QVERIFY2(setup.isValid(), qPrintable(setup.issues().keys().join(QStringLiteral(", "))));
    QCOMPARE(QString::fromStdString(saved["trainer"].dump()), QString::fromStdString(trainer.dump()));
    QCOMPARE(tpt::config::ExperimentConfig::load((setup.experimentDir() + QStringLiteral("/experiment.json")).toStdString())
                 .trainer.gpus,
             8);

    // The form shows the file's values, and the command's rows.
    auto* backend = setup.findChild<QComboBox*>(QStringLiteral("trainer.backend"));
    auto* command = setup.findChild<QComboBox*>(QStringLiteral("trainer.command"));
    auto* gpus = setup.findChild<QSpinBox*>(QStringLiteral("trainer.gpus"));
    auto* stall = setup.findChild<QDoubleSpinBox*>(QStringLiteral("trainer.stall_timeout_s"));
    QCOMPARE(backend->currentText(), QStringLiteral("External command"));
    QCOMPARE(command->currentText(), QStringLiteral("trl-multi-gpu"));
    QVERIFY(command->isVisibleTo(&setup));
    QCOMPARE(gpus->value(), 8);
    QVERIFY(gpus->isEnabled());
    QCOMPARE(stall->value(), 1800.0);
    // What the preset runs is spelled out, as the engine expands it.
    const QString expanded = QString::fromStdString(tpt::config::trainer_command_template("trl-multi-gpu"));
    auto* hint = setup.findChild<QLabel*>(QStringLiteral("trainerCommandHint"));
    QVERIFY2(shown(hint).contains(expanded), qPrintable(shown(hint)));
    QVERIFY(hint->isVisibleTo(&setup));
    QVERIFY(command->toolTip().startsWith(expanded));
    QVERIFY(command->toolTip().contains(QStringLiteral("ZeRO-3")));

    // A changed value is saved, and the key the user never wrote stays out of the file.
    stall->setValue(0.0);
    QCOMPARE(stall->text(), QStringLiteral("never"));
    QVERIFY(setup.save());
    const json again = readJson(setup.experimentDir() + QStringLiteral("/experiment.json"));
    QCOMPARE(again["trainer"]["stall_timeout_s"], json(0));

    // In process: the command's rows go away, and the engine backend is what gets saved.
    choose(backend, QStringLiteral("engine"));
    QVERIFY(!command->isVisibleTo(&setup));
    QVERIFY(!hint->isVisibleTo(&setup));
    QVERIFY(!gpus->isVisibleTo(&setup));
    QVERIFY(!stall->isVisibleTo(&setup));
    QVERIFY(setup.save());
    const json inProcess = readJson(setup.experimentDir() + QStringLiteral("/experiment.json"));
    QCOMPARE(inProcess["trainer"]["backend"], json("engine"));
    // The command typed is kept for when the user switches back.
    QCOMPARE(inProcess["trainer"]["command"], json("trl-multi-gpu"));
  }

  void setupLeavesAFileWithoutTrainerAsItIs() {
    tpt::ui::SetupPanel setup;
    const json saved = roundTrip(nullptr, setup);
    QVERIFY(!saved.is_null());
    QVERIFY(!saved.contains("trainer"));
    QCOMPARE(setup.findChild<QComboBox*>(QStringLiteral("trainer.backend"))->currentData().toString(),
             QStringLiteral("engine"));
    QVERIFY(!setup.fieldFor(QStringLiteral("trainer.command"))->isVisibleTo(&setup));
  }

  void setupSaysWhatEachPresetRuns() {
    tpt::ui::SetupPanel setup;
    QVERIFY(setup.loadExperiment(experiment({{"backend", "command"}})));
    auto* command = setup.findChild<QComboBox*>(QStringLiteral("trainer.command"));
    auto* gpus = setup.findChild<QSpinBox*>(QStringLiteral("trainer.gpus"));
    auto* hint = setup.findChild<QLabel*>(QStringLiteral("trainerCommandHint"));
    // The default preset: TRL on one GPU, where a GPU count would change nothing.
    QCOMPARE(command->currentText(), QStringLiteral("trl"));
    QVERIFY(shown(hint).contains(QStringLiteral("trl sft --config {config}")));
    QVERIFY(!gpus->isEnabled());
    QVERIFY(gpus->toolTip().contains(QStringLiteral("Not used by this command")));
    // Every preset is in the list, each with the command it stands for as its tooltip.
    for (const auto& preset : tpt::config::trainer_command_presets()) {
      const int index = command->findText(QString::fromStdString(preset));
      QVERIFY2(index >= 0, preset.c_str());
      QVERIFY(command->itemData(index, Qt::ToolTipRole)
                  .toString()
                  .startsWith(QString::fromStdString(tpt::config::trainer_command_template(preset))));
    }
    command->setCurrentIndex(command->findText(QStringLiteral("accelerate")));
    QCOMPARE(setup.document()["trainer"]["command"], json("accelerate"));
    QVERIFY(shown(hint).contains(QStringLiteral("accelerate launch --num_processes {gpus}")));
    QVERIFY(gpus->isEnabled());
    // LLaMA-Factory reads its own formats: the form says that it gets them.
    command->setCurrentIndex(command->findText(QStringLiteral("llama-factory")));
    QVERIFY(shown(hint).contains(QStringLiteral("llamafactory-cli train {config}")));
    QVERIFY2(shown(hint).contains(QStringLiteral("LLaMA-Factory: its own config and dataset")), qPrintable(shown(hint)));
    QVERIFY(!gpus->isEnabled());
    QVERIFY(setup.isValid());
  }

  void setupMarksATemplateWithoutConfigAtItsField() {
    tpt::ui::SetupPanel setup;
    QVERIFY(setup.loadExperiment(experiment(nullptr)));
    choose(setup.findChild<QComboBox*>(QStringLiteral("trainer.backend")), QStringLiteral("command"));
    QVERIFY(setup.isValid());
    auto* command = setup.findChild<QComboBox*>(QStringLiteral("trainer.command"));
    QVERIFY(command->isVisibleTo(&setup));

    // A template that does not say where the config goes: the engine's message, at the field.
    command->setEditText(QStringLiteral("python my_sft.py --data {data} --gpus {gpus}"));
    QVERIFY(!setup.isValid());
    QVERIFY(command->property("invalid").toBool());
    const QString expected = engineMessage(setup.document(), "trainer.command");
    QVERIFY(expected.contains(QStringLiteral("{config}")));
    QCOMPARE(command->toolTip(), expected);
    QVERIFY(setup.findChild<QLabel*>(QStringLiteral("issueList"))->text().contains(QStringLiteral("trainer.command")));
    QVERIFY(!setup.save());
    // A custom template enables the GPU count when it uses {gpus}, and says what is filled in.
    QVERIFY(setup.findChild<QSpinBox*>(QStringLiteral("trainer.gpus"))->isEnabled());
    QVERIFY(shown(setup.findChild<QLabel*>(QStringLiteral("trainerCommandHint"))).contains(QStringLiteral("custom")));

    command->setEditText(QStringLiteral("python my_sft.py --config {config} --gpus {gpus}"));
    QVERIFY(setup.isValid());
    QVERIFY(!command->property("invalid").toBool());
    QVERIFY(setup.save());
    const QString file = setup.experimentDir() + QStringLiteral("/experiment.json");
    QCOMPARE(readJson(file)["trainer"]["command"], json("python my_sft.py --config {config} --gpus {gpus}"));
    const auto loaded = tpt::config::ExperimentConfig::load(file.toStdString());
    QVERIFY(loaded.trainer.backend == tpt::config::TrainerBackend::Command);
    QCOMPARE(loaded.trainer.command, std::string("python my_sft.py --config {config} --gpus {gpus}"));

    // Back in process, a half-typed template does not matter: the engine runs no command, so the
    // row hides and the form saves. Switching back to the command marks it again.
    auto* backend = setup.findChild<QComboBox*>(QStringLiteral("trainer.backend"));
    command->setEditText(QStringLiteral("python my_sft.py"));
    choose(backend, QStringLiteral("engine"));
    QVERIFY(setup.isValid());
    QVERIFY(!command->isVisibleTo(&setup));
    choose(backend, QStringLiteral("command"));
    QVERIFY(!setup.isValid());
    QVERIFY(command->property("invalid").toBool());
    command->setEditText(QStringLiteral("python my_sft.py --config {config}"));
    QVERIFY(setup.isValid());

    // Out-of-range values get the engine's messages too.
    auto* gpus = setup.findChild<QSpinBox*>(QStringLiteral("trainer.gpus"));
    gpus->setValue(0);
    QVERIFY(gpus->property("invalid").toBool());
    QCOMPARE(gpus->toolTip(), engineMessage(setup.document(), "trainer.gpus"));
    gpus->setValue(4);
    QVERIFY(setup.isValid());
  }

  void runPanelShowsTheTrainerFromTheEngineThread() {
    tpt::ui::RunBridge bridge;
    tpt::ui::RunPanel panel(&bridge);
    QVERIFY(panel.trainerStatusText().isEmpty());
    auto* tabs = panel.findChild<QTabWidget*>(QStringLiteral("logTabs"));
    auto* trainerLog = panel.findChild<QPlainTextEdit*>(QStringLiteral("trainerLog"));
    QCOMPARE(tabs->tabText(tabs->indexOf(trainerLog)), QStringLiteral("Trainer log"));

    std::unique_ptr<tpt::run::Observer> observer = bridge.makeObserver();
    // As the runner reports it: from its own thread, while the GUI thread runs its loop.
    std::thread engine([&] {
      observer->on_trainer(status("starting"));
      auto running = status("running", {"\x1b[32mINFO\x1b[0m loading checkpoint shards",
                                        "  0%|          | 0/12 [00:00<?, ?it/s]\r 50%|#####     | 6/12 [00:03<00:03]",
                                        "{'loss': 1.2345, 'grad_norm': 3.1, 'learning_rate': 1e-05, 'epoch': 0.5}"});
      observer->on_trainer(running);
      auto more = status("running", {"{'loss': 0.9876, 'grad_norm': 2.2, 'learning_rate': 5e-06, 'epoch': 1.0}"});
      more.state_changed = false;
      observer->on_trainer(more);
    });
    engine.join();
    QTRY_VERIFY(panel.trainerLogText().contains(QStringLiteral("'loss': 0.9876")));
    QCOMPARE(panel.trainerStatusText(), QStringLiteral("trainer · round 2: running (accelerate launch …)"));
    // The badge holds the command's start; the whole command and its log file are its tooltip.
    QVERIFY(panel.trainerToolTip().contains(QString::fromStdString(status("").command)));
    QVERIFY(panel.trainerToolTip().contains(QStringLiteral("/exp/logs/train-round-2.log")));
    const QString log = panel.trainerLogText();
    // The command heads its output, as in a shell, and each state is marked once.
    QVERIFY(log.contains(QStringLiteral("$ accelerate launch --num_processes 8")));
    QCOMPARE(log.count(QStringLiteral("── trainer · round 2: running")), 1);
    QVERIFY(log.contains(QStringLiteral("── trainer · round 2: starting")));
    // What a terminal would show: no colour codes, a progress bar's last redraw only.
    QVERIFY2(log.contains(QStringLiteral("INFO loading checkpoint shards")), qPrintable(log));
    QVERIFY(!log.contains(QChar(0x1b)));
    QVERIFY(log.contains(QStringLiteral(" 50%|#####     | 6/12")));
    QVERIFY(!log.contains(QStringLiteral("0/12")));
    // The trainer's lines stay out of the run's own log.
    QVERIFY(!panel.logText().contains(QStringLiteral("'loss'")));

    // Paused with the run, then failed: shown and marked in the log.
    std::thread([&] { observer->on_trainer(status("paused")); }).join();
    QTRY_VERIFY(panel.trainerStatusText().contains(QStringLiteral("paused")));
    std::thread([&] { observer->on_trainer(status("failed", {"torch.OutOfMemoryError: CUDA out of memory"})); }).join();
    QTRY_VERIFY(panel.trainerStatusText().contains(QStringLiteral("failed")));
    QVERIFY(panel.trainerStatusText().contains(QStringLiteral("Trainer log")));
    QVERIFY(panel.trainerLogText().contains(QStringLiteral("CUDA out of memory")));
    // The server badge is a different thing and stays hidden.
    QVERIFY(panel.serverStatusText().isEmpty());

    // More output than the view keeps: the newest lines stay.
    std::vector<std::string> steps;
    for (int i = 0; i < 2500; ++i) steps.push_back("step " + std::to_string(i));
    std::thread([&] { observer->on_trainer(status("running", steps)); }).join();
    QTRY_VERIFY(panel.trainerLogText().contains(QStringLiteral("step 2499")));
    QVERIFY(!panel.trainerLogText().contains(QStringLiteral("$ accelerate launch")));
    QVERIFY(trainerLog->blockCount() <= tpt::ui::RunPanel::kTrainerLogLines);
    std::thread([&] { observer->on_trainer(status("finished")); }).join();
    QTRY_COMPARE(panel.trainerStatusText(), QStringLiteral("trainer · round 2: finished"));

    // The next run starts without the last one's trainer.
    QSignalSpy finished(&bridge, &tpt::ui::RunBridge::finished);
    bridge.start(m_tmp.filePath(QStringLiteral("no-experiment-here")));
    QVERIFY(panel.trainerStatusText().isEmpty());
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 30000);
  }

  void aCommandIsShortenedForTheBadge() {
    QCOMPARE(tpt::ui::shortCommand(QStringLiteral("trl sft --config /exp/work/round-1/sft.yaml")),
             QStringLiteral("trl sft …"));
    QCOMPARE(tpt::ui::shortCommand(QStringLiteral("/usr/lib/tpt-workbench/bin/tpt sft --config x.yaml")),
             QStringLiteral("tpt sft …"));
    // A config given without an option is named by its file, as the program is.
    QCOMPARE(tpt::ui::shortCommand(QStringLiteral("llamafactory-cli train /exp/work/round-1/llamafactory.yaml")),
             QStringLiteral("llamafactory-cli train llamafactory.yaml"));
    QCOMPARE(tpt::ui::shortCommand(QStringLiteral("python train.py")), QStringLiteral("python train.py"));
  }
};

QTEST_MAIN(TestTrainer)
#include "test_trainer.moc"
