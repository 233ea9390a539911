// Sampling on a server, as the workbench shows it: the Setup form's sampler section (attach
// and launch, round-tripped through experiment.json, the engine's messages at its fields, the
// API key never stored), the Run panel's server state and log as the bridge delivers them from
// another thread, and a whole run on an attached OpenAI-compatible server (a test-owned one on
// 127.0.0.1): the chart's tooltip and the trace detail name the server, and truncated samples
// are marked.
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QSettings>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTableView>
#include <QTemporaryDir>
#include <QtTest>

#include <httplib.h>

#include <atomic>
#include <thread>

#include "chart_panel.h"
#include "config/experiment_config.h"
#include "io/json_fields.h"
#include "main_window.h"
#include "qcustomplot_include.h"
#include "run_bridge.h"
#include "run_panel.h"
#include "runtime/torch_runtime.h"
#include "sample_table_model.h"
#include "setup_panel.h"
#include "store/store.h"
#include "tiny_experiment.h"
#include "trace_browser.h"
#include "ui_test_setup.h"

using nlohmann::json;

namespace {

// An OpenAI-compatible server on 127.0.0.1 that answers every completion at once: odd seeds
// finish ("stop") with an answer line, even seeds run out of tokens ("length"), as a real
// server does when max_tokens cuts a trace short.
class ScriptedServer {
 public:
  ScriptedServer() {
    m_server.Get("/health", [](const httplib::Request&, httplib::Response& res) { res.set_content("", "text/plain"); });
    m_server.Get("/version", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(R"({"version": "scripted 1.0"})", "application/json");
    });
    m_server.Get("/v1/models", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(R"({"object": "list", "data": [{"id": "tiny-served", "object": "model"}]})", "application/json");
    });
    m_server.Post("/v1/completions", [this](const httplib::Request& req, httplib::Response& res) {
      const json body = json::parse(req.body);
      const auto seed = body.at("seed").get<uint64_t>();
      const int maxTokens = body.at("max_tokens").get<int>();
      const bool cut = seed % 2 == 0;
      ++m_requests;
      const json answer = {
          {"id", "cmpl-" + std::to_string(seed)},
          {"object", "text_completion"},
          {"choices",
           {{{"index", 0},
             {"text", cut ? std::string("Tom has some apples and then") : "3+4=7\n#### " + std::to_string(seed % 50)},
             {"finish_reason", cut ? "length" : "stop"},
             {"stop_reason", nullptr}}}},
          {"usage", {{"prompt_tokens", 10}, {"completion_tokens", cut ? maxTokens : 6}, {"total_tokens", 16}}}};
      res.set_content(answer.dump(), "application/json");
    });
    m_port = m_server.bind_to_any_port("127.0.0.1");
    m_thread = std::thread([this] { m_server.listen_after_bind(); });
    while (!m_server.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ~ScriptedServer() {
    m_server.stop();
    m_thread.join();
  }
  QString url() const { return QStringLiteral("http://127.0.0.1:%1").arg(m_port); }
  int requests() const { return m_requests; }

 private:
  httplib::Server m_server;
  int m_port = 0;
  std::thread m_thread;
  std::atomic<int> m_requests{0};
};

json readJson(const QString& path) { return tpt::io::read_json_file(path.toStdString()); }

}  // namespace

class TestSampler : public QObject {
  Q_OBJECT

  QTemporaryDir m_tmp;
  std::string m_model;
  int m_count = 0;

  // An experiment folder whose experiment.json is the tiny one with `sampler` (none when null).
  QString experiment(const json& sampler) {
    json config = tpt::testing::tiny_experiment_config(m_model);
    if (!sampler.is_null()) config["sampler"] = sampler;
    const QString dir = m_tmp.filePath(QStringLiteral("exp-%1").arg(m_count++));
    tpt::testing::write_tiny_experiment(dir.toStdString(), config);
    return dir;
  }

  // Loads `sampler` into a form, saves it untouched, and returns what the file then holds.
  json roundTrip(const json& sampler, tpt::ui::SetupPanel& setup) {
    const QString dir = experiment(sampler);
    if (!setup.loadExperiment(dir)) return {};
    if (!setup.save()) return {};
    return readJson(dir + QStringLiteral("/experiment.json"));
  }

 private Q_SLOTS:
  void initTestCase() {
    tpt::testing::isolateSettings(QStringLiteral("test_sampler"), tpt::testing::DataFolder::Throwaway);
    tpt::runtime::init_runtime(1);
    QVERIFY(m_tmp.isValid());
    m_model = tpt::testing::write_tiny_model(m_tmp.filePath(QStringLiteral("model")).toStdString());
  }

  void setupRoundTripsAnAttachedServer() {
    const json sampler = {{"backend", "openai"},   {"url", "http://gpu-box:8000"}, {"api", "chat"},
                          {"model_name", "qwen"},  {"concurrency", 64},            {"request_timeout_s", 120},
                          {"retries", 2},          {"api_key_env", "TPT_TEST_SERVER_KEY"}};
    tpt::ui::SetupPanel setup;
    const json saved = roundTrip(sampler, setup);
    QVERIFY2(setup.isValid(), qPrintable(setup.issues().keys().join(QStringLiteral(", "))));
    QCOMPARE(QString::fromStdString(saved["sampler"].dump()), QString::fromStdString(sampler.dump()));
    // The form shows the server's values, and only the fields attach mode uses.
    auto* url = setup.findChild<QLineEdit*>(QStringLiteral("sampler.url"));
    QCOMPARE(url->text(), QStringLiteral("http://gpu-box:8000"));
    QVERIFY(url->isVisibleTo(&setup));
    QVERIFY(!setup.fieldFor(QStringLiteral("sampler.launch"))->isVisibleTo(&setup));
    QVERIFY(!setup.fieldFor(QStringLiteral("sampler.startup_timeout_s"))->isVisibleTo(&setup));
    QCOMPARE(setup.findChild<QComboBox*>(QStringLiteral("serverMode"))->currentData().toString(),
             QStringLiteral("attach"));
    QCOMPARE(setup.findChild<QSpinBox*>(QStringLiteral("sampler.concurrency"))->value(), 64);
    QCOMPARE(setup.findChild<QComboBox*>(QStringLiteral("sampler.api"))->currentData().toString(),
             QStringLiteral("chat"));

    // In process: the server's fields go away, and the engine backend is what gets saved.
    auto* backend = setup.findChild<QComboBox*>(QStringLiteral("sampler.backend"));
    backend->setCurrentIndex(backend->findData(QStringLiteral("engine")));
    QVERIFY(!url->isVisibleTo(&setup));
    QVERIFY(!setup.fieldFor(QStringLiteral("sampler.concurrency"))->isVisibleTo(&setup));
    QCOMPARE(setup.document()["sampler"]["backend"], json("engine"));
  }

  void setupRoundTripsALaunchedServer() {
    // Only some keys, as a user writes them: the others stay out of the file.
    const json sampler = {{"backend", "openai"}, {"launch", "vllm"}, {"startup_timeout_s", 1800}};
    tpt::ui::SetupPanel setup;
    const json saved = roundTrip(sampler, setup);
    QVERIFY(setup.isValid());
    QCOMPARE(QString::fromStdString(saved["sampler"].dump()), QString::fromStdString(sampler.dump()));
    auto* launch = setup.findChild<QComboBox*>(QStringLiteral("sampler.launch"));
    QVERIFY(launch->isVisibleTo(&setup));
    QVERIFY(!setup.fieldFor(QStringLiteral("sampler.url"))->isVisibleTo(&setup));
    QCOMPARE(launch->currentText(), QStringLiteral("vllm"));
    // The preset's command is shown, as the engine will run it.
    const QString expanded = QString::fromStdString(tpt::config::launch_template("vllm"));
    QVERIFY(setup.findChild<QLabel*>(QStringLiteral("launchHint"))->text().contains(expanded));
    QCOMPARE(launch->toolTip(), expanded);

    // A custom template is checked by the engine at the launch field.
    launch->setEditText(QStringLiteral("my-server --model {model}"));
    QVERIFY(!setup.isValid());
    QVERIFY(launch->property("invalid").toBool());
    QVERIFY2(launch->toolTip().contains(QStringLiteral("{port}")), qPrintable(launch->toolTip()));
    launch->setEditText(QStringLiteral("my-server --model {model} --port {port}"));
    QVERIFY(setup.isValid());
    QVERIFY(setup.save());
    const json again = readJson(setup.experimentDir() + QStringLiteral("/experiment.json"));
    QCOMPARE(again["sampler"]["launch"], json("my-server --model {model} --port {port}"));
    QVERIFY(!again["sampler"].contains("url"));
    QCOMPARE(tpt::config::ExperimentConfig::load((setup.experimentDir() + QStringLiteral("/experiment.json")).toStdString())
                 .sampler.launch,
             std::string("my-server --model {model} --port {port}"));
  }

  void setupLeavesAFileWithoutSamplerAsItIs() {
    tpt::ui::SetupPanel setup;
    const json saved = roundTrip(nullptr, setup);
    QVERIFY(!saved.is_null());
    QVERIFY(!saved.contains("sampler"));
    QCOMPARE(setup.findChild<QComboBox*>(QStringLiteral("sampler.backend"))->currentData().toString(),
             QStringLiteral("engine"));
  }

  void setupMarksABadServerUrlAtItsField() {
    tpt::ui::SetupPanel setup;
    QVERIFY(setup.loadExperiment(experiment(nullptr)));
    auto* backend = setup.findChild<QComboBox*>(QStringLiteral("sampler.backend"));
    backend->setCurrentIndex(backend->findData(QStringLiteral("openai")));
    auto* url = setup.findChild<QLineEdit*>(QStringLiteral("sampler.url"));
    QVERIFY(url->isVisibleTo(&setup));
    // No URL yet: the engine asks for one of url and launch, at the URL.
    QVERIFY(url->property("invalid").toBool());
    QVERIFY2(url->toolTip().contains(QStringLiteral("exactly one of")), qPrintable(url->toolTip()));
    url->setText(QStringLiteral("gpu-box:8000"));
    QVERIFY(!setup.isValid());
    QVERIFY(url->property("invalid").toBool());
    std::string expected;
    for (const auto& issue : tpt::config::ExperimentConfig::validate(setup.document()))
      if (issue.path == "sampler.url") expected = issue.message;
    QCOMPARE(url->toolTip(), QString::fromStdString(expected));
    QVERIFY(url->toolTip().contains(QStringLiteral("http://")));
    QVERIFY(setup.findChild<QLabel*>(QStringLiteral("issueList"))->text().contains(QStringLiteral("sampler.url")));
    QVERIFY(!setup.save());
    url->setText(QStringLiteral("http://gpu-box:8000"));
    QVERIFY(setup.isValid());
    QVERIFY(!url->property("invalid").toBool());

    // Launch mode without a command: the same message, at the launch field the user sees.
    auto* mode = setup.findChild<QComboBox*>(QStringLiteral("serverMode"));
    mode->setCurrentIndex(mode->findData(QStringLiteral("launch")));
    auto* launch = setup.fieldFor(QStringLiteral("sampler.launch"));
    QVERIFY(!url->isVisibleTo(&setup));
    QVERIFY(launch->property("invalid").toBool());
    QVERIFY(launch->toolTip().contains(QStringLiteral("exactly one of")));
    // Back to attach: the URL typed before is still there.
    mode->setCurrentIndex(mode->findData(QStringLiteral("attach")));
    QVERIFY(setup.isValid());
    QCOMPARE(setup.document()["sampler"]["url"], json("http://gpu-box:8000"));
  }

  void setupNeverStoresTheApiKey() {
    const QByteArray secret = "sk-test-0123456789-do-not-store";
    qputenv("TPT_TEST_SERVER_KEY", secret);
    tpt::ui::SetupPanel setup;
    QVERIFY(setup.loadExperiment(experiment({{"backend", "openai"}, {"url", "http://gpu-box:8000"}})));
    auto* keyEnv = setup.findChild<QLineEdit*>(QStringLiteral("sampler.api_key_env"));
    keyEnv->setText(QStringLiteral("TPT_TEST_SERVER_KEY"));
    const QString state = setup.findChild<QLabel*>(QStringLiteral("apiKeyState"))->text();
    QVERIFY2(state.contains(QStringLiteral("is set")), qPrintable(state));
    QVERIFY(!state.contains(QString::fromLatin1(secret)));
    QVERIFY(setup.save());
    QFile file(setup.experimentDir() + QStringLiteral("/experiment.json"));
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QByteArray text = file.readAll();
    QVERIFY(text.contains("TPT_TEST_SERVER_KEY"));
    QVERIFY(!text.contains(secret));
    // A key pasted where the name belongs is refused by the engine, at the field.
    keyEnv->setText(QString::fromLatin1(secret));
    QVERIFY(keyEnv->property("invalid").toBool());
    QVERIFY(keyEnv->toolTip().contains(QStringLiteral("not the key itself")));
    QVERIFY(!setup.save());
    qunsetenv("TPT_TEST_SERVER_KEY");
  }

  void runPanelShowsTheServerStateFromTheEngineThread() {
    tpt::ui::RunBridge bridge;
    tpt::ui::RunPanel panel(&bridge);
    QVERIFY(panel.serverStatusText().isEmpty());
    std::unique_ptr<tpt::run::Observer> observer = bridge.makeObserver();
    const std::string command = "vllm serve /models/round-1 --host 127.0.0.1 --port 8123 --served-model-name round-1";
    // As the runner reports it: from its own thread, while the GUI thread runs its loop.
    std::thread engine([&] {
      tpt::run::ServerStatus s;
      s.round = 1;
      s.phase = tpt::run::Phase::Think;
      s.url = "http://127.0.0.1:8123";
      s.command = command;
      s.state = "starting";
      s.log_lines = {"INFO loading weights"};
      observer->on_server(s);
      s.state = "ready";
      s.version = "0.6.3";
      s.log_lines = {"INFO Uvicorn running on http://127.0.0.1:8123"};
      observer->on_server(s);
    });
    engine.join();
    QTRY_VERIFY(panel.serverStatusText().contains(QStringLiteral("ready at http://127.0.0.1:8123 (0.6.3)")));
    QVERIFY(panel.serverStatusText().contains(QStringLiteral("round 1 think")));
    QVERIFY(panel.serverToolTip().contains(QString::fromStdString(command)));
    QVERIFY(panel.serverLogText().contains(QStringLiteral("INFO loading weights")));
    QVERIFY(panel.serverLogText().contains(QStringLiteral("INFO Uvicorn running")));

    // A restart is shown and marked in the log.
    tpt::run::ServerStatus s;
    s.round = 1;
    s.phase = tpt::run::Phase::Think;
    s.url = "http://127.0.0.1:8123";
    s.command = command;
    s.state = "restarting";
    std::thread([&] { observer->on_server(s); }).join();
    QTRY_VERIFY(panel.serverStatusText().contains(QStringLiteral("restarting")));
    QVERIFY(panel.serverLogText().contains(QStringLiteral("restarting")));
    // More output than the view keeps: the newest lines stay.
    s.state = "ready";
    for (int i = 0; i < 2500; ++i) s.log_lines.push_back("request " + std::to_string(i));
    std::thread([&] { observer->on_server(s); }).join();
    QTRY_VERIFY(panel.serverLogText().contains(QStringLiteral("request 2499")));
    QVERIFY(panel.serverStatusText().contains(QStringLiteral("ready")));
    QVERIFY(!panel.serverLogText().contains(QStringLiteral("INFO loading weights")));
    QVERIFY(panel.findChild<QPlainTextEdit*>(QStringLiteral("serverLog"))->blockCount() <=
            tpt::ui::RunPanel::kServerLogLines);
  }

  void aRunOnAnAttachedServerNamesItEverywhere() {
    ScriptedServer server;
    const QString dir = experiment({{"backend", "openai"}, {"url", server.url().toStdString()}});
    tpt::ui::MainWindow window;
    window.show();
    QVERIFY(window.openExperiment(dir));
    QVERIFY(window.setupPanel()->isValid());
    QSignalSpy finished(window.bridge(), &tpt::ui::RunBridge::finished);
    QTest::mouseClick(window.runPanel()->startButton(), Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 300000);
    QVERIFY2(finished.at(0).at(0).value<tpt::run::RunOutcome>() == tpt::run::RunOutcome::Completed,
             qPrintable(window.runPanel()->logText()));
    QVERIFY(server.requests() > 0);

    // The Run panel: the server the last phase sampled on, attached (no launch command).
    const QString expectedUrl = server.url();
    QTRY_VERIFY(window.runPanel()->serverStatusText().contains(QStringLiteral("ready at ") + expectedUrl +
                                                               QStringLiteral(" (scripted 1.0)")));
    QVERIFY(window.runPanel()->serverToolTip().contains(QStringLiteral("Attached")));

    // The chart: a round's point names the server that sampled it.
    tpt::ui::ChartPanel* chart = window.chartPanel();
    QTRY_COMPARE_WITH_TIMEOUT(chart->strictPass1().size(), 3, 10000);
    QCPGraph* strict = chart->passPlot()->graph(0);
    const QString tip = chart->pointText(chart->passPlot(), strict, 1);
    const QString described = QStringLiteral("openai %1 (scripted 1.0), model tiny-served, attached").arg(expectedUrl);
    QVERIFY2(tip.contains(QStringLiteral("round 1")) && tip.contains(QStringLiteral("sampled by: ") + described),
             qPrintable(tip));

    // The trace browser: the sample's round was drawn by the server; truncated samples show.
    tpt::ui::TraceBrowser* browser = window.traceBrowser();
    browser->reload();
    tpt::ui::SampleTableModel* model = browser->model();
    while (model->canFetchMore({})) model->fetchMore({});
    QVERIFY(model->rowCount() > 0);
    int truncated = -1, finished_ = -1;
    for (int row = 0; row < model->rowCount(); ++row) {
      if (model->rowData(row)->finish_reason == "length" && truncated < 0) truncated = row;
      if (model->rowData(row)->finish_reason != "length" && finished_ < 0) finished_ = row;
    }
    QVERIFY(truncated >= 0 && finished_ >= 0);
    const QModelIndex finishCell = model->index(truncated, tpt::ui::SampleTableModel::Finish);
    QVERIFY(model->data(finishCell).toString().contains(QStringLiteral("truncated")));
    QVERIFY(!model->data(model->index(finished_, tpt::ui::SampleTableModel::Finish)).toString().contains(
        QStringLiteral("truncated")));

    QVERIFY(browser->selectSample(model->sampleId(truncated)));
    QString detail = browser->detailHtml();
    QVERIFY2(detail.contains(QStringLiteral("Sampled by:")) && detail.contains(described.toHtmlEscaped()),
             qPrintable(detail));
    QVERIFY2(detail.contains(QStringLiteral("truncated at max_new_tokens = 12")), qPrintable(detail));
    QVERIFY(browser->selectSample(model->sampleId(finished_)));
    detail = browser->detailHtml();
    QVERIFY(!detail.contains(QStringLiteral("truncated at max_new_tokens")));
    QVERIFY(detail.contains(described.toHtmlEscaped()));
  }

  void anInProcessRoundIsNamedAsTheEngine() {
    // A round sampled in process says so too, and nothing of a server shows in the Run panel.
    const QString dir = experiment(nullptr);
    json config = readJson(dir + QStringLiteral("/experiment.json"));
    config["rounds"] = 1;
    tpt::io::write_json_file((dir + QStringLiteral("/experiment.json")).toStdString(), config);
    tpt::ui::MainWindow window;
    window.show();
    QVERIFY(window.openExperiment(dir));
    QSignalSpy finished(window.bridge(), &tpt::ui::RunBridge::finished);
    QTest::mouseClick(window.runPanel()->startButton(), Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 300000);
    QVERIFY2(finished.at(0).at(0).value<tpt::run::RunOutcome>() == tpt::run::RunOutcome::Completed,
             qPrintable(window.runPanel()->logText()));
    QVERIFY(window.runPanel()->serverStatusText().isEmpty());
    tpt::ui::ChartPanel* chart = window.chartPanel();
    QTRY_COMPARE_WITH_TIMEOUT(chart->strictPass1().size(), 2, 10000);
    QVERIFY(chart->pointText(chart->passPlot(), chart->passPlot()->graph(0), 1)
                .contains(QStringLiteral("sampled by: engine (in process)")));
    tpt::ui::TraceBrowser* browser = window.traceBrowser();
    browser->reload();
    QVERIFY(browser->model()->rowCount() > 0);
    QVERIFY(browser->selectSample(browser->model()->sampleId(0)));
    QVERIFY(browser->detailHtml().contains(QStringLiteral("engine (in process)")));
  }
};

QTEST_MAIN(TestSampler)
#include "test_sampler.moc"
