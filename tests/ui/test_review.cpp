// The review panels against a real experiment: the trace browser's filters return the rows
// the database holds, Think's samples carry both checkers' verdicts before Prune, an
// annotation survives a restart and changes the next Prune, a rule
// edit changes the funnel and the next Prune, and the heatmap's counts match the stored
// answers. Reference counts come from SQL written here, not from the panels' code.
#include <QAction>
#include <QComboBox>
#include <QLineEdit>
#include <QListWidget>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSettings>
#include <QTableView>
#include <QTemporaryDir>
#include <QtTest>

#include "eval/metrics.h"
#include "main_window.h"
#include "problems_panel.h"
#include "rules_panel.h"
#include "run/runner.h"
#include "runtime/torch_runtime.h"
#include "sample_table_model.h"
#include "store/store.h"
#include "tiny_experiment.h"
#include "trace_browser.h"
#include "ui_test_setup.h"

namespace {

// Stops a run as round 1's Prune is announced: samples stored, nothing pruned yet.
struct StopBeforePrune : tpt::run::Observer {
  tpt::run::RunControl* control = nullptr;
  void on_phase(int round, tpt::run::Phase phase) override {
    if (round == 1 && phase == tpt::run::Phase::Prune) control->cancel();
  }
};

std::int64_t sqlCount(tpt::store::Store& store, const std::string& sql) {
  auto q = store.database().query(sql, "count in the test");
  return q.step() ? q.int64(0) : -1;
}

void selectData(QComboBox* box, const QVariant& value) {
  const int index = box->findData(value);
  QVERIFY2(index >= 0, qPrintable(value.toString()));
  box->setCurrentIndex(index);
}

// Loads every row of the browser's table.
void fetchAll(tpt::ui::SampleTableModel* model) {
  while (model->canFetchMore({})) model->fetchMore({});
}

}  // namespace

class TestReview : public QObject {
  Q_OBJECT

  QTemporaryDir m_tmp;
  std::string m_model;
  int m_count = 0;

  nlohmann::json config() {
    auto c = tpt::testing::tiny_experiment_config(m_model);
    // The annotator's word goes before the one-per-problem choice.
    c["prune"]["rules"] = {{{"type", "length"}, {"min_chars", 1}},
                           {{"type", "annotation_override"}},
                           {{"type", "max_per_problem"}, {"k", 1}}};
    return c;
  }
  QString experiment(bool stopBeforePrune) {
    const QString dir = m_tmp.filePath(QStringLiteral("exp-%1").arg(m_count++));
    tpt::testing::write_tiny_experiment(dir.toStdString(), config());
    tpt::run::RunControl control;
    StopBeforePrune observer;
    observer.control = &control;
    tpt::run::Runner(dir.toStdString(), stopBeforePrune ? &observer : nullptr, &control).run();
    if (stopBeforePrune) {
      tpt::store::Store store(storeOf(dir), tpt::store::OpenMode::read_only);
      if (sqlCount(store, "SELECT count(*) FROM decisions") != 0) qFatal("the run was not stopped before Prune");
    }
    return dir;
  }
  std::string storeOf(const QString& dir) { return (dir + QStringLiteral("/experiment.sqlite")).toStdString(); }

 private Q_SLOTS:
  void initTestCase() {
    tpt::testing::isolateSettings(QStringLiteral("test_review"), tpt::testing::DataFolder::Throwaway);
    tpt::runtime::init_runtime(1);
    m_model = tpt::testing::write_tiny_model(m_tmp.filePath(QStringLiteral("model")).toStdString());
  }

  void traceBrowserFiltersReturnTheStoredRows() {
    const QString dir = experiment(false);
    tpt::ui::MainWindow window;
    QVERIFY(window.openExperiment(dir));
    tpt::ui::TraceBrowser* browser = window.traceBrowser();
    tpt::store::Store store(storeOf(dir), tpt::store::OpenMode::read_only);
    auto* model = browser->model();
    fetchAll(model);
    QCOMPARE(model->rowCount(), int(sqlCount(store, "SELECT count(*) FROM samples")));

    // Round 1, wrong answers.
    selectData(browser->findChild<QComboBox*>(QStringLiteral("roundFilter")), 1);
    selectData(browser->findChild<QComboBox*>(QStringLiteral("verdictFilter")), QStringLiteral("wrong"));
    fetchAll(model);
    const auto wrong = sqlCount(store,
                                "SELECT count(*) FROM decisions d JOIN rounds r ON r.id = d.round_id"
                                " WHERE r.round_index = 1 AND d.verdict = 'wrong'");
    QCOMPARE(model->rowCount(), int(wrong));
    QCOMPARE(model->totalMatches(), wrong);
    for (int i = 0; i < model->rowCount(); ++i) {
      QCOMPARE(model->rowData(i)->round_index, 1);
      QVERIFY(*model->rowData(i)->verdict == tpt::prune::Verdict::Wrong);
    }

    // Dropped by the one-per-problem rule, any verdict.
    selectData(browser->findChild<QComboBox*>(QStringLiteral("verdictFilter")), QVariant());
    selectData(browser->findChild<QComboBox*>(QStringLiteral("ruleFilter")), QStringLiteral("max_per_problem"));
    fetchAll(model);
    QCOMPARE(model->rowCount(), int(sqlCount(store,
                                             "SELECT count(*) FROM decisions d JOIN rounds r ON r.id = d.round_id"
                                             " WHERE r.round_index = 1 AND d.dropped_by = 'max_per_problem'")));
    for (int i = 0; i < model->rowCount(); ++i) QVERIFY(!*model->rowData(i)->kept);

    // Kept, all rounds.
    selectData(browser->findChild<QComboBox*>(QStringLiteral("ruleFilter")), QVariant());
    selectData(browser->findChild<QComboBox*>(QStringLiteral("roundFilter")), QVariant());
    selectData(browser->findChild<QComboBox*>(QStringLiteral("keptFilter")), true);
    fetchAll(model);
    QCOMPARE(model->rowCount(), int(sqlCount(store, "SELECT count(*) FROM decisions WHERE kept = 1")));

    // One problem id: the samples in both rounds of every problem whose id starts with it.
    selectData(browser->findChild<QComboBox*>(QStringLiteral("keptFilter")), QVariant());
    const std::string key = model->rowData(0)->problem_key;
    auto* problem = browser->findChild<QLineEdit*>(QStringLiteral("problemFilter"));
    problem->setText(QString::fromStdString(key));
    Q_EMIT problem->editingFinished();
    fetchAll(model);
    QCOMPARE(model->rowCount(), int(sqlCount(store, "SELECT count(*) FROM samples s JOIN problems p ON p.id ="
                                                    " s.problem_id WHERE substr(p.problem_key, 1, " +
                                                    std::to_string(key.size()) + ") = '" + key + "'")));
    for (int i = 0; i < model->rowCount(); ++i) QVERIFY(model->rowData(i)->problem_key.rfind(key, 0) == 0);
    problem->clear();
    Q_EMIT problem->editingFinished();

    // Text search: a letter some traces hold (the tiny model writes noise, so ask the store which:
    // the most common of a few).
    std::string letter = "e";
    std::int64_t most = 0;
    for (const char* candidate : {"e", "a", "o", "t", "i", "n", "s"}) {
      const std::int64_t n = sqlCount(store, std::string("SELECT count(*) FROM samples WHERE instr(lower(text), '") +
                                                 candidate + "') > 0");
      if (n > most) most = n, letter = candidate;
    }
    QVERIFY(most > 0);
    auto* search = browser->findChild<QLineEdit*>(QStringLiteral("textFilter"));
    search->setText(QString::fromStdString(letter));
    Q_EMIT search->editingFinished();
    fetchAll(model);
    QCOMPARE(model->rowCount(), int(most));
    // The detail view shows the selected trace with its decision.
    QVERIFY(browser->selectSample(model->sampleId(0)));
    QVERIFY(browser->detailHtml().contains(QStringLiteral("Gold answer")));
  }

  void samplesStoppedBeforePruneShowTheCheckersVerdicts() {
    const QString dir = experiment(true);
    // Think judged each sample with both of Improve's checkers as it stored it.
    tpt::store::Store store(storeOf(dir), tpt::store::OpenMode::read_only);
    QCOMPARE(sqlCount(store, "SELECT count(*) FROM samples WHERE correct_strict IS NULL OR correct_flexible IS NULL"),
             std::int64_t{0});
    auto q = store.database().query(
        "SELECT s.text, p.gold, s.correct_strict, s.correct_flexible FROM samples s JOIN problems p ON p.id = s.problem_id",
        "read the samples");
    int samples = 0;
    while (q.step()) {
      const tpt::eval::Judged judged = tpt::eval::judge(q.text(0), q.text(1));
      QCOMPARE(q.int64(2) != 0, judged.correct_strict);
      QCOMPARE(q.int64(3) != 0, judged.correct_flexible);
      ++samples;
    }
    QCOMPARE(samples, 18);
    // The browser shows them before any decision: the strict checker's verdict, in brackets.
    tpt::ui::MainWindow window;
    QVERIFY(window.openExperiment(dir));
    auto* model = window.traceBrowser()->model();
    QVERIFY(model->rowCount() > 0);
    for (int row = 0; row < model->rowCount(); ++row) {
      QVERIFY(!model->rowData(row)->verdict);
      const QString verdict = model->data(model->index(row, tpt::ui::SampleTableModel::Verdict)).toString();
      QCOMPARE(verdict, *model->rowData(row)->correct_strict ? QStringLiteral("(correct)") : QStringLiteral("(wrong)"));
    }
  }

  void anAnnotationSurvivesARestartAndChangesTheNextPrune() {
    // The same experiment twice, both stopped before round 1's Prune; one gets an annotation.
    const QString plain = experiment(true), annotated = experiment(true);
    tpt::run::Runner(plain.toStdString()).run();
    // Which sample would the one-per-problem rule keep for the first problem?
    std::int64_t keptId = 0;
    std::string keptKey;
    int keptIndex = -1;
    {
      tpt::store::Store store(storeOf(plain), tpt::store::OpenMode::read_only);
      auto q = store.database().query(
          "SELECT p.problem_key, s.sample_index FROM decisions d JOIN samples s ON s.id = d.sample_id JOIN problems p"
          " ON p.id = s.problem_id JOIN rounds r ON r.id = s.round_id WHERE r.round_index = 1 AND d.kept = 1"
          " ORDER BY p.problem_key LIMIT 1",
          "find a kept sample");
      QVERIFY(q.step());
      keptKey = q.text(0);
      keptIndex = static_cast<int>(q.int64(1));
    }
    {
      tpt::store::Store store(storeOf(annotated), tpt::store::OpenMode::read_only);
      auto q = store.database().query(
          "SELECT s.id FROM samples s JOIN problems p ON p.id = s.problem_id JOIN rounds r ON r.id = s.round_id"
          " WHERE r.round_index = 1 AND p.problem_key = ?1 AND s.sample_index = ?2",
          "find the same sample");
      q.bind(1, keptKey).bind(2, keptIndex);
      QVERIFY(q.step());
      keptId = q.int64(0);
    }
    {
      tpt::ui::MainWindow window;
      QVERIFY(window.openExperiment(annotated));
      tpt::ui::TraceBrowser* browser = window.traceBrowser();
      browser->setAnnotator(QStringLiteral("ada"));
      QVERIFY(browser->selectSample(keptId));
      // The R key's action rejects the selected trace (test_annotation presses the keys).
      QAction* reject = nullptr;
      for (QAction* action : browser->reviewActions())
        if (action->objectName() == QStringLiteral("rejectAction")) reject = action;
      QVERIFY(reject);
      reject->trigger();
      QCOMPARE(browser->model()->rowData(browser->model()->rowOf(keptId))->latest_label,
               std::optional<tpt::store::Label>(tpt::store::Label::Reject));
    }
    // After a restart the label is still there.
    {
      tpt::ui::MainWindow window;
      QVERIFY(window.openExperiment(annotated));
      selectData(window.traceBrowser()->findChild<QComboBox*>(QStringLiteral("labelFilter")), QStringLiteral("reject"));
      QCOMPARE(window.traceBrowser()->model()->rowCount(), 1);
      QCOMPARE(window.traceBrowser()->model()->sampleId(0), keptId);
    }
    // The next Prune drops it, naming the annotation; the problem keeps another sample.
    tpt::run::Runner(annotated.toStdString()).run();
    tpt::store::Store store(storeOf(annotated), tpt::store::OpenMode::read_only);
    const auto detail = store.get_sample(keptId);
    QVERIFY(detail && detail->decision);
    QVERIFY(!detail->decision->kept);
    QCOMPARE(detail->decision->dropped_by, std::string("annotation_override"));
    QVERIFY(detail->decision->reason.find("ada") != std::string::npos);
    const auto keptOfProblem = sqlCount(store,
                                        "SELECT count(*) FROM decisions d JOIN samples s ON s.id = d.sample_id JOIN"
                                        " problems p ON p.id = s.problem_id JOIN rounds r ON r.id = s.round_id"
                                        " WHERE r.round_index = 1 AND d.kept = 1 AND p.problem_key = '" + keptKey + "'");
    const auto nonEmpty = sqlCount(store,
                                   "SELECT count(*) FROM samples s JOIN problems p ON p.id = s.problem_id JOIN rounds r"
                                   " ON r.id = s.round_id WHERE r.round_index = 1 AND length(s.text) > 0 AND"
                                   " p.problem_key = '" + keptKey + "'");
    QCOMPARE(keptOfProblem, nonEmpty > 1 ? std::int64_t{1} : std::int64_t{0});
  }

  void aRuleEditChangesTheFunnelAndTheNextPrune() {
    const QString dir = experiment(true);
    tpt::ui::MainWindow window;
    QVERIFY(window.openExperiment(dir));
    tpt::ui::RulesPanel* rules = window.rulesPanel();
    QVERIFY(rules->selectRound(1));
    tpt::store::Store reader(storeOf(dir), tpt::store::OpenMode::read_only);
    // Expected from the samples themselves: non-empty traces, at most k per problem.
    const auto keptWith = [&](int k) {
      return sqlCount(reader, "SELECT sum(min(n, " + std::to_string(k) +
                                  ")) FROM (SELECT count(*) AS n FROM samples s JOIN rounds r ON r.id = s.round_id"
                                  " WHERE r.round_index = 1 AND length(s.text) > 0 GROUP BY s.problem_id)");
    };
    QCOMPARE(rules->funnel().samples, std::int64_t{18});
    QCOMPARE(rules->funnel().kept, keptWith(1));
    // Edit max_per_problem to k = 2 through its parameters.
    auto* list = rules->findChild<QListWidget*>(QStringLiteral("ruleList"));
    list->setCurrentRow(2);
    rules->findChild<QPlainTextEdit*>(QStringLiteral("ruleJson"))
        ->setPlainText(QStringLiteral(R"({"type": "max_per_problem", "k": 2})"));
    rules->findChild<QPushButton*>(QStringLiteral("ruleApply"))->click();
    QCOMPARE(rules->funnel().kept, keptWith(2));
    QCOMPARE(rules->funnel().steps.back().remaining, keptWith(2));
    // Disabling the rule keeps every non-empty trace.
    list->item(2)->setCheckState(Qt::Unchecked);
    QCOMPARE(rules->funnel().kept, keptWith(100));
    list->item(2)->setCheckState(Qt::Checked);
    QVERIFY(rules->useForNextPrune());
    tpt::run::Runner(dir.toStdString()).run();
    QCOMPARE(sqlCount(reader, "SELECT count(*) FROM decisions d JOIN rounds r ON r.id = d.round_id"
                              " WHERE r.round_index = 1 AND d.kept = 1"),
             keptWith(2));
    // Once a round has trained, it cannot be re-pruned.
    rules->reloadRounds();
    QVERIFY(rules->selectRound(1));
    QVERIFY(!rules->repruneRound());
    QVERIFY2(rules->message().contains(QStringLiteral("already trained")), qPrintable(rules->message()));
  }

  void theHeatmapMatchesTheStoredAnswers() {
    const QString dir = experiment(false);
    tpt::ui::MainWindow window;
    QVERIFY(window.openExperiment(dir));
    tpt::ui::ProblemsPanel* panel = window.problemsPanel();
    tpt::store::Store store(storeOf(dir), tpt::store::OpenMode::read_only);
    // Solved = at least half the answers right; learned = not by round 0, yes by round 2.
    const std::string solved = "(SELECT p.problem_key AS key, r.round_index AS round, avg(e.correct_strict) >= 0.5 AS ok"
                               " FROM eval_samples e JOIN problems p ON p.id = e.problem_id JOIN rounds r ON"
                               " r.id = e.round_id GROUP BY 1, 2)";
    const auto learned = sqlCount(store, "SELECT count(*) FROM " + solved + " a JOIN " + solved +
                                             " b ON a.key = b.key WHERE a.round = 0 AND b.round = 2 AND NOT a.ok AND b.ok");
    const auto forgotten = sqlCount(store, "SELECT count(*) FROM " + solved + " a JOIN " + solved +
                                               " b ON a.key = b.key WHERE a.round = 0 AND b.round = 2 AND a.ok AND NOT b.ok");
    QCOMPARE(panel->summary().learned, learned);
    QCOMPARE(panel->summary().forgotten, forgotten);
    QCOMPARE(panel->heatmapRounds(), 3);
    for (int row = 0; row < static_cast<int>(panel->summary().problems.size()); ++row) {
      const std::string key = panel->summary().problems[static_cast<size_t>(row)].problem_key;
      for (int round = 0; round < 3; ++round) {
        auto q = store.database().query(
            "SELECT avg(e.correct_strict) FROM eval_samples e JOIN problems p ON p.id = e.problem_id JOIN rounds r"
            " ON r.id = e.round_id WHERE p.problem_key = ?1 AND r.round_index = ?2",
            "a cell");
        q.bind(1, key).bind(2, round);
        QVERIFY(q.step());
        QCOMPARE(panel->heatmapValue(row, round), q.real(0));
      }
    }
    QVERIFY(panel->summaryText().contains(QStringLiteral("learned")));
  }
};

QTEST_MAIN(TestReview)
#include "test_review.moc"
