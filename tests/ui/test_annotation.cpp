// Labelling in the trace browser, on a store the test writes itself (no model): the review keys
// act wherever the focus is in the browser but never while a text field takes the typing; a
// label advances to the next trace (a remembered setting); U takes the last label back; a
// relabel replaces the sample's label (one current row, the old one kept as history); a label
// that cannot change pruning says so; a label on a trained round says it changes no training;
// the verifier audit's counts are the ones SQL gives over the samples table; the filters apply
// as you type; the trace gets the room at 1366x768.
//
// Reference counts come from SQL run here through sqlite3 itself, not through the store's code.
#include <QAction>
#include <QApplication>
#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QLineEdit>
#include <QMessageBox>
#include <QPushButton>
#include <QScrollBar>
#include <QSettings>
#include <QSignalSpy>
#include <QSplitter>
#include <QTableView>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTextBrowser>
#include <QTimer>
#include <QtTest>

#include <sqlite3.h>

#include <nlohmann/json.hpp>

#include "sample_table_model.h"
#include "store/store.h"
#include "trace_browser.h"
#include "ui_test_setup.h"

using tpt::store::Label;
using tpt::ui::TraceBrowser;

namespace {

// Problem keys chosen so that "p-1" is a prefix of two of them.
const char* const kKeys[] = {"p-1", "p-2", "p-10", "q-3"};

struct Experiment {
  QString dir;
  std::vector<std::int64_t> round1;  // Think paused: stored, not pruned
  std::vector<std::int64_t> round2;  // pruned and trained
};

void writeRuleSet(const QString& dir, bool withOverride) {
  nlohmann::json rules = nlohmann::json::array({{{"type", "correct_answer"}}});
  if (withOverride) rules.push_back({{"type", "annotation_override"}});
  QFile file(QDir(dir).filePath(QStringLiteral("experiment.json")));
  QVERIFY(file.open(QIODevice::WriteOnly | QIODevice::Truncate));
  const std::string text = nlohmann::json{{"schema_version", 1}, {"name", "review"}, {"prune", {{"rules", rules}}}}.dump(2);
  file.write(text.data(), static_cast<qint64>(text.size()));
}

// Round 1: 4 problems x 3 samples, no decisions yet. Sample 0 right by both checkers, sample 1
// right by the flexible one only, sample 2 right by the strict one only for problems 0 and 2
// (wrong by both otherwise). Round 2: 4 x 2 samples, pruned, the round done; sample 1 right by
// the flexible checker only.
Experiment writeExperiment(const QString& dir, bool withOverride) {
  namespace s = tpt::store;
  QDir().mkpath(dir);
  writeRuleSet(dir, withOverride);
  Experiment e{dir, {}, {}};
  s::Store store(QDir(dir).filePath(QStringLiteral("experiment.sqlite")).toStdString());
  s::ExperimentRecord record;
  record.name = "review";
  const auto experiment = store.create_experiment(record);
  const auto round1 = store.ensure_round(experiment, 1), round2 = store.ensure_round(experiment, 2);
  store.set_round_state(round1, s::RoundState::Think);
  store.set_round_state(round2, s::RoundState::Done);
  std::vector<s::ProblemRecord> problems;
  for (const char* key : kKeys)
    problems.push_back({0, experiment, "train", key, std::string("How much is ") + key + "?", "", "6"});
  const auto problemIds = store.upsert_problems(problems);
  auto sample = [](std::int64_t round, std::int64_t problem, int index, bool strict, bool flexible) {
    s::SampleRecord r;
    r.round_id = round;
    r.problem_id = problem;
    r.sample_index = index;
    r.text = "Two boxes of three: <<2*3=6>>6 apples, sample " + std::to_string(index) + ".\n#### " +
             (strict ? "6" : "6.0");
    r.token_count = 20;
    r.finish_reason = "stop";
    r.correct_strict = strict;
    r.correct_flexible = flexible;
    return r;
  };
  std::vector<s::SampleRecord> first, second;
  for (size_t p = 0; p < problemIds.size(); ++p) {
    first.push_back(sample(round1, problemIds[p], 0, true, true));
    first.push_back(sample(round1, problemIds[p], 1, false, true));
    first.push_back(sample(round1, problemIds[p], 2, p % 2 == 0, false));
    second.push_back(sample(round2, problemIds[p], 0, true, true));
    second.push_back(sample(round2, problemIds[p], 1, false, true));
  }
  e.round1 = store.insert_samples(first).ids;
  e.round2 = store.insert_samples(second).ids;
  std::vector<s::DecisionRecord> decisions;
  for (size_t i = 0; i < e.round2.size(); ++i) {
    s::DecisionRecord d;
    d.sample_id = e.round2[i];
    d.kept = i % 2 == 0;
    d.dropped_by = d.kept ? "" : "correct_answer";
    d.verdict = d.kept ? s::Verdict::Correct : s::Verdict::Wrong;
    d.extracted = d.kept ? "6" : "6.0";
    d.rules = {{"correct_answer", d.kept ? s::Outcome::Pass : s::Outcome::Fail, ""}};
    decisions.push_back(d);
  }
  store.write_decisions(decisions);
  return e;
}

// A count straight from the file, through sqlite3's own API.
std::int64_t sqlCount(const QString& dir, const QString& sql) {
  sqlite3* db = nullptr;
  const QByteArray path = QDir(dir).filePath(QStringLiteral("experiment.sqlite")).toUtf8();
  if (sqlite3_open_v2(path.constData(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    sqlite3_close(db);
    return -1;
  }
  sqlite3_stmt* statement = nullptr;
  std::int64_t n = -1;
  if (sqlite3_prepare_v2(db, sql.toUtf8().constData(), -1, &statement, nullptr) == SQLITE_OK &&
      sqlite3_step(statement) == SQLITE_ROW)
    n = sqlite3_column_int64(statement, 0);
  else
    qWarning("%s: %s", qPrintable(sql), sqlite3_errmsg(db));
  sqlite3_finalize(statement);
  sqlite3_close(db);
  return n;
}

QString ofSample(std::int64_t id) { return QStringLiteral(" FROM annotations WHERE sample_id = %1").arg(id); }

void selectData(QComboBox* box, const QVariant& value) {
  const int index = box->findData(value);
  QVERIFY2(index >= 0, qPrintable(value.toString()));
  box->setCurrentIndex(index);
}

QAction* actionNamed(const TraceBrowser& browser, const char* name) {
  for (QAction* action : browser.reviewActions())
    if (action->objectName() == QLatin1String(name)) return action;
  return nullptr;
}

}  // namespace

class TestAnnotation : public QObject {
  Q_OBJECT

  QTemporaryDir m_tmp;
  int m_count = 0;

  Experiment experiment(bool withOverride = true) {
    return writeExperiment(m_tmp.filePath(QStringLiteral("exp-%1").arg(m_count++)), withOverride);
  }

  // A browser on `e`, shown and active, so that shortcuts reach it as they do on screen.
  void open(TraceBrowser& browser, const Experiment& e) {
    browser.resize(1366, 660);
    browser.setAnnotator(QStringLiteral("ada"));
    browser.setExperiment(e.dir);
    browser.show();
    browser.activateWindow();
    QVERIFY(QTest::qWaitForWindowActive(&browser));
  }

 private Q_SLOTS:
  void initTestCase() {
    tpt::testing::isolateSettings(QStringLiteral("test_annotation"));
  }

  void init() { QSettings().clear(); }

  void theReviewKeysAreActionsWithShortcutsForTheWholeBrowser() {
    TraceBrowser browser;
    const QList<QAction*> actions = browser.reviewActions();
    QVERIFY(actions.size() >= 8);
    const QMap<QString, QKeySequence> keys = {
        {QStringLiteral("nextTraceAction"), QKeySequence(Qt::Key_J)},
        {QStringLiteral("previousTraceAction"), QKeySequence(Qt::Key_K)},
        {QStringLiteral("acceptAction"), QKeySequence(Qt::Key_A)},
        {QStringLiteral("rejectAction"), QKeySequence(Qt::Key_R)},
        {QStringLiteral("flagAction"), QKeySequence(Qt::Key_F)},
        {QStringLiteral("undoLabelAction"), QKeySequence(Qt::Key_U)},
        {QStringLiteral("commentAction"), QKeySequence(Qt::Key_C)},
        {QStringLiteral("backToListAction"), QKeySequence(Qt::Key_Escape)}};
    for (auto it = keys.begin(); it != keys.end(); ++it) {
      QAction* action = actionNamed(browser, qPrintable(it.key()));
      QVERIFY2(action, qPrintable(it.key()));
      QCOMPARE(action->shortcut(), it.value());
      QCOMPARE(action->shortcutContext(), Qt::WidgetWithChildrenShortcut);
      QVERIFY(!action->text().isEmpty());
      QVERIFY(browser.actions().contains(action));
    }
    for (QAction* action : actions) {
      QVERIFY2(!action->text().isEmpty(), qPrintable(action->objectName()));
      QVERIFY2(!action->shortcut().isEmpty(), qPrintable(action->objectName()));
    }
    QVERIFY(browser.autoAdvanceAction()->isCheckable());
  }

  void theKeysWorkWithTheFocusAnywhereButNotWhileTyping() {
    const Experiment e = experiment();
    TraceBrowser browser;
    open(browser, e);
    browser.setAutoAdvance(false);
    QVERIFY(browser.selectSample(e.round1[0]));
    // J on the trace text, K on the list of the problem's other samples.
    auto* detail = browser.detailView();
    detail->setFocus();
    QTest::keyClick(detail, Qt::Key_J);
    QCOMPARE(browser.currentSampleId(), e.round1[1]);
    auto* siblings = browser.findChild<QTableWidget*>(QStringLiteral("siblings"));
    siblings->setFocus();
    QTest::keyClick(siblings, Qt::Key_K);
    QCOMPARE(browser.currentSampleId(), e.round1[0]);
    // A on the trace text labels.
    detail->setFocus();
    QTest::keyClick(detail, Qt::Key_A);
    QCOMPARE(sqlCount(e.dir, QStringLiteral("SELECT count(*)") + ofSample(e.round1[0]) + QStringLiteral(" AND label = 'accept'")),
             std::int64_t{1});

    // Typing in the comment: letters are text, not keys.
    auto* comment = browser.findChild<QLineEdit*>(QStringLiteral("annotationComment"));
    QTest::keyClick(browser.table(), Qt::Key_C);
    QCOMPARE(QApplication::focusWidget(), comment);
    QTest::keyClicks(comment, QStringLiteral("jarfku"));
    QCOMPARE(comment->text(), QStringLiteral("jarfku"));
    QCOMPARE(browser.currentSampleId(), e.round1[0]);
    QCOMPARE(sqlCount(e.dir, QStringLiteral("SELECT count(*) FROM annotations")), std::int64_t{1});
    // Nor in the search field.
    auto* search = browser.findChild<QLineEdit*>(QStringLiteral("textFilter"));
    search->setFocus();
    QTest::keyClicks(search, QStringLiteral("jk"));
    QCOMPARE(search->text(), QStringLiteral("jk"));
    QCOMPARE(sqlCount(e.dir, QStringLiteral("SELECT count(*) FROM annotations")), std::int64_t{1});
    search->clear();
    QTest::keyClick(search, Qt::Key_Escape);
    QCOMPARE(QApplication::focusWidget(), static_cast<QWidget*>(browser.table()));
    QTRY_VERIFY(browser.model()->filter().text_contains == std::nullopt);

    // Esc leaves the comment for the list; C and Enter store it with the current label.
    comment->setFocus();
    QTest::keyClick(comment, Qt::Key_Escape);
    QCOMPARE(QApplication::focusWidget(), static_cast<QWidget*>(browser.table()));
    QVERIFY(browser.selectSample(e.round1[0]));
    QTest::keyClick(browser.table(), Qt::Key_C);
    comment->setText(QStringLiteral("the steps check out"));
    QTest::keyClick(comment, Qt::Key_Return);
    QCOMPARE(QApplication::focusWidget(), static_cast<QWidget*>(browser.table()));
    QCOMPARE(sqlCount(e.dir, QStringLiteral("SELECT count(*)") + ofSample(e.round1[0]) +
                                 QStringLiteral(" AND state = 'current' AND label = 'accept' AND comment = 'the steps check out'")),
             std::int64_t{1});
    QCOMPARE(sqlCount(e.dir, QStringLiteral("SELECT count(*)") + ofSample(e.round1[0]) + QStringLiteral(" AND state = 'current'")),
             std::int64_t{1});
    QVERIFY(comment->text().isEmpty());
  }

  void aLabelAdvancesToTheNextTraceUnlessTurnedOff() {
    const Experiment e = experiment();
    {
      TraceBrowser browser;
      open(browser, e);
      QVERIFY(browser.autoAdvance());  // the default
      QVERIFY(browser.selectSample(e.round1[0]));
      browser.table()->setFocus();
      QTest::keyClick(browser.table(), Qt::Key_R);
      QCOMPARE(browser.currentSampleId(), e.round1[1]);
      QTest::keyClick(browser.table(), Qt::Key_F);
      QCOMPARE(browser.currentSampleId(), e.round1[2]);
      // Off, through its checkbox: the label stays on the sample.
      browser.findChild<QCheckBox*>(QStringLiteral("autoAdvance"))->setChecked(false);
      QVERIFY(!browser.autoAdvance());
      QTest::keyClick(browser.table(), Qt::Key_A);
      QCOMPARE(browser.currentSampleId(), e.round1[2]);
      // In a "not annotated" list the labelled trace leaves and the next one takes its place.
      browser.setAutoAdvance(true);
      selectData(browser.findChild<QComboBox*>(QStringLiteral("labelFilter")), QStringLiteral("none"));
      const std::int64_t first = browser.currentSampleId(), second = browser.model()->sampleId(1);
      QTest::keyClick(browser.table(), Qt::Key_A);
      QCOMPARE(browser.model()->rowOf(first), -1);
      QCOMPARE(browser.currentSampleId(), second);
      browser.setAutoAdvance(false);
    }
    // The setting is remembered.
    QCOMPARE(QSettings().value(QStringLiteral("review/autoAdvance")).toBool(), false);
    TraceBrowser again;
    QVERIFY(!again.autoAdvance());
    QVERIFY(!again.findChild<QCheckBox*>(QStringLiteral("autoAdvance"))->isChecked());
  }

  void undoRestoresThePreviousLabelThenNone() {
    const Experiment e = experiment();
    TraceBrowser browser;
    open(browser, e);
    const std::int64_t id = e.round1[3];
    QVERIFY(browser.selectSample(id));
    browser.table()->setFocus();
    QTest::keyClick(browser.table(), Qt::Key_A);  // advances
    QVERIFY(browser.currentSampleId() != id);
    QVERIFY(browser.selectSample(id));
    QTest::keyClick(browser.table(), Qt::Key_R);
    QCOMPARE(browser.model()->rowData(browser.model()->rowOf(id))->latest_label, std::optional<Label>(Label::Reject));

    QTest::keyClick(browser.table(), Qt::Key_U);
    QCOMPARE(browser.currentSampleId(), id);  // back on the sample whose label changed
    QCOMPARE(browser.model()->rowData(browser.model()->rowOf(id))->latest_label, std::optional<Label>(Label::Accept));
    QVERIFY2(browser.lastNotice().contains(QStringLiteral("accepted again")), qPrintable(browser.lastNotice()));
    QTest::keyClick(browser.table(), Qt::Key_U);
    QCOMPARE(browser.model()->rowData(browser.model()->rowOf(id))->latest_label, std::nullopt);
    QCOMPARE(sqlCount(e.dir, QStringLiteral("SELECT count(*)") + ofSample(id) + QStringLiteral(" AND state = 'current'")),
             std::int64_t{0});
    QCOMPARE(sqlCount(e.dir, QStringLiteral("SELECT count(*) FROM samples WHERE annotation_label IS NOT NULL")),
             std::int64_t{0});
    // Both labels stay in the history, undone.
    QCOMPARE(sqlCount(e.dir, QStringLiteral("SELECT count(*)") + ofSample(id) + QStringLiteral(" AND state = 'undone'")),
             std::int64_t{2});
    QVERIFY(!browser.undoLastLabel());
    QVERIFY2(browser.lastNotice().contains(QStringLiteral("No label to undo")), qPrintable(browser.lastNotice()));
  }

  void aRelabelReplacesTheLabelAndKeepsTheHistory() {
    const Experiment e = experiment();
    TraceBrowser browser;
    open(browser, e);
    browser.setAutoAdvance(false);
    const std::int64_t id = e.round1[4];
    QVERIFY(browser.selectSample(id));
    browser.table()->setFocus();
    for (Qt::Key key : {Qt::Key_A, Qt::Key_R, Qt::Key_F, Qt::Key_R}) QTest::keyClick(browser.table(), key);
    // One current label per sample, over the whole table, and it is the last one.
    QCOMPARE(sqlCount(e.dir, QStringLiteral("SELECT count(*) FROM annotations WHERE state = 'current'")), std::int64_t{1});
    QCOMPARE(sqlCount(e.dir, QStringLiteral("SELECT count(*) FROM (SELECT sample_id FROM annotations WHERE state ="
                                            " 'current' GROUP BY sample_id HAVING count(*) > 1)")),
             std::int64_t{0});
    QCOMPARE(sqlCount(e.dir, QStringLiteral("SELECT count(*)") + ofSample(id) +
                                 QStringLiteral(" AND state = 'current' AND label = 'reject'")),
             std::int64_t{1});
    QCOMPARE(sqlCount(e.dir, QStringLiteral("SELECT count(*)") + ofSample(id) + QStringLiteral(" AND state = 'superseded'")),
             std::int64_t{3});
    // The history reads newest first: the current label, then what it replaced.
    const QString text = browser.detailView()->toPlainText();
    QVERIFY2(text.contains(QStringLiteral("(reject) — current")), qPrintable(text));
    QVERIFY2(text.contains(QStringLiteral("(flag) — replaced")), qPrintable(text));
    QVERIFY(text.indexOf(QStringLiteral("(reject) — current")) < text.indexOf(QStringLiteral("(accept) — replaced")));
  }

  void aLabelWithoutTheOverrideRuleSaysSoAndOffersTheRule() {
    // Nobody to add the rule: the plain notice, and the label is stored.
    {
      const Experiment e = experiment(false);
      TraceBrowser browser;
      open(browser, e);
      browser.setRuleOfferAnswer(TraceBrowser::RuleOfferAnswer::LabelAnyway);
      QVERIFY(browser.selectSample(e.round1[0]));
      QVERIFY(browser.annotateCurrent(Label::Reject));
      QVERIFY2(browser.lastNotice().contains(QStringLiteral("do not change pruning")), qPrintable(browser.lastNotice()));
      QVERIFY(browser.lastNotice().contains(QStringLiteral("annotation_override")));
      QCOMPARE(sqlCount(e.dir, QStringLiteral("SELECT count(*) FROM annotations")), std::int64_t{1});
    }
    // With a receiver, the dialog offers the rule; "Add the rule" (key A) asks for it once.
    const Experiment e = experiment(false);
    TraceBrowser browser;
    open(browser, e);
    QSignalSpy requested(&browser, &TraceBrowser::overrideRuleRequested);
    // What the main window does with the request: the rule goes into experiment.json.
    connect(&browser, &TraceBrowser::overrideRuleRequested, this, [&e] {
      QFile file(QDir(e.dir).filePath(QStringLiteral("experiment.json")));
      QVERIFY(file.open(QIODevice::ReadOnly));
      nlohmann::json doc = nlohmann::json::parse(file.readAll().toStdString());
      file.close();
      doc["prune"] = tpt::ui::withAnnotationOverride(tpt::prune::RuleSet::from_json(doc["prune"], "prune")).to_json();
      QVERIFY(file.open(QIODevice::WriteOnly | QIODevice::Truncate));
      file.write(QByteArray::fromStdString(doc.dump(2)));
    });
    QString offer;
    QElapsedTimer keyPressed;
    QTimer clicker;
    connect(&clicker, &QTimer::timeout, this, [&] {
      auto* box = qobject_cast<QMessageBox*>(QApplication::activeModalWidget());
      if (!box) return;
      if (!offer.isEmpty()) {
        // The key's click takes 100 ms; a box still open a second later ignored the key: cancel
        // it, so the test fails on the label rather than hanging.
        if (keyPressed.elapsed() > 1000) box->button(QMessageBox::Cancel)->click();
        return;
      }
      keyPressed.start();
      offer = box->text();
      // The keyboard answer an annotator gives: A again, no mouse.
      QTest::keyClick(box, Qt::Key_A);
    });
    clicker.start(20);
    QVERIFY(browser.selectSample(e.round1[0]));
    QVERIFY(browser.annotateCurrent(Label::Reject));
    clicker.stop();
    QVERIFY2(offer.contains(QStringLiteral("annotation_override")), qPrintable(offer));
    QCOMPARE(requested.count(), 1);
    QVERIFY2(!browser.lastNotice().contains(QStringLiteral("do not change pruning")), qPrintable(browser.lastNotice()));
    QCOMPARE(sqlCount(e.dir, QStringLiteral("SELECT count(*) FROM annotations")), std::int64_t{1});
    // Asked once: the next label goes straight through.
    writeRuleSet(e.dir, false);
    QVERIFY(browser.annotateCurrent(Label::Flag));
    QCOMPARE(requested.count(), 1);
    QVERIFY(browser.lastNotice().contains(QStringLiteral("do not change pruning")));
    // Cancel stores nothing.
    const Experiment other = experiment(false);
    browser.setExperiment(other.dir);
    browser.setRuleOfferAnswer(TraceBrowser::RuleOfferAnswer::Cancel);
    QVERIFY(browser.selectSample(other.round1[0]));
    QVERIFY(!browser.annotateCurrent(Label::Accept));
    QCOMPARE(sqlCount(other.dir, QStringLiteral("SELECT count(*) FROM annotations")), std::int64_t{0});
  }

  void theOverrideRuleGoesBeforeTheSetRules() {
    using tpt::prune::Rule;
    using tpt::prune::RuleType;
    tpt::prune::RuleSet rules(tpt::prune::VerifierConfig(),
                              {Rule(RuleType::CorrectAnswer), Rule(RuleType::Dedupe), Rule(RuleType::MaxPerProblem)});
    const auto added = tpt::ui::withAnnotationOverride(rules).rules();
    QCOMPARE(int(added.size()), 4);
    QVERIFY(added[1].type == RuleType::AnnotationOverride && added[1].enabled);
    QVERIFY(added[2].type == RuleType::Dedupe);
    // A disabled one is switched on where it stands, not added twice.
    auto disabled = added;
    disabled[1].enabled = false;
    const auto enabled = tpt::ui::withAnnotationOverride(tpt::prune::RuleSet(tpt::prune::VerifierConfig(), disabled)).rules();
    QCOMPARE(int(enabled.size()), 4);
    QVERIFY(enabled[1].enabled);
    // No set rule: at the end.
    const auto appended = tpt::ui::withAnnotationOverride(tpt::prune::RuleSet()).rules();
    QVERIFY(appended.back().type == RuleType::AnnotationOverride);
  }

  void aLabelSaysWhichPruneItAffects() {
    const Experiment e = experiment();
    TraceBrowser browser;
    open(browser, e);
    QVERIFY(browser.selectSample(e.round2[0]));
    QVERIFY(browser.annotateCurrent(Label::Reject));
    QVERIFY2(browser.lastNotice().contains(QStringLiteral("Round 2 has already trained")), qPrintable(browser.lastNotice()));
    QVERIFY(browser.lastNotice().contains(QStringLiteral("changes no training")));
    QVERIFY(browser.selectSample(e.round1[0]));
    QVERIFY(browser.annotateCurrent(Label::Reject));
    QVERIFY2(browser.lastNotice().contains(QStringLiteral("applies when round 1 is pruned")),
             qPrintable(browser.lastNotice()));
  }

  void samplesNotYetPrunedShowTheCheckersVerdicts() {
    const Experiment e = experiment();
    TraceBrowser browser;
    open(browser, e);
    QVERIFY(browser.selectSample(e.round1[1]));
    const auto* model = browser.model();
    const int row = model->rowOf(e.round1[1]);
    QCOMPARE(model->data(model->index(row, tpt::ui::SampleTableModel::Verdict)).toString(), QStringLiteral("(wrong)"));
    QCOMPARE(model->data(model->index(row, tpt::ui::SampleTableModel::Checkers)).toString(), QStringLiteral("flexible only"));
    QVERIFY(model->data(model->index(row, tpt::ui::SampleTableModel::Preview)).toString().startsWith(QStringLiteral("Two boxes")));
    const QString text = browser.detailView()->toPlainText();
    QVERIFY2(text.contains(QStringLiteral("Not pruned yet.")), qPrintable(text));
    QVERIFY2(text.contains(QStringLiteral("Checkers: strict wrong, flexible right")), qPrintable(text));
    // The trace comes first: question, trace, then the gold answer and the verdict.
    QVERIFY(text.indexOf(QStringLiteral("Question.")) < text.indexOf(QStringLiteral("<<2*3=6>>")));
    QVERIFY(text.indexOf(QStringLiteral("<<2*3=6>>")) < text.indexOf(QStringLiteral("Gold answer")));
  }

  void theVerifierAuditCountsWhatSqlCounts() {
    const Experiment e = experiment();
    TraceBrowser browser;
    open(browser, e);
    const auto& rounds = browser.checkerDisagreements();
    QCOMPARE(int(rounds.size()), 2);
    const QString perRound = QStringLiteral(
        "SELECT count(*) FROM samples s JOIN rounds r ON r.id = s.round_id WHERE r.round_index = %1 AND %2");
    const QString flexibleOnly = QStringLiteral("s.correct_strict = 0 AND s.correct_flexible = 1");
    const QString strictOnly = QStringLiteral("s.correct_strict = 1 AND s.correct_flexible = 0");
    const QString either = QStringLiteral("s.correct_strict <> s.correct_flexible");
    auto* filter = browser.findChild<QComboBox*>(QStringLiteral("verifierFilter"));
    auto* round = browser.findChild<QComboBox*>(QStringLiteral("roundFilter"));
    for (const auto& r : rounds) {
      const std::int64_t flexible = sqlCount(e.dir, perRound.arg(r.round_index).arg(flexibleOnly));
      const std::int64_t strict = sqlCount(e.dir, perRound.arg(r.round_index).arg(strictOnly));
      const std::int64_t disagree = sqlCount(e.dir, perRound.arg(r.round_index).arg(either));
      QVERIFY(disagree > 0);
      QCOMPARE(r.strict_wrong_flexible_right, flexible);
      QCOMPARE(r.strict_right_flexible_wrong, strict);
      QCOMPARE(r.disagreements(), disagree);
      const QString line = QStringLiteral("round %1: %2 (strict wrong, flexible right %3; strict right, flexible wrong %4)")
                               .arg(r.round_index)
                               .arg(disagree)
                               .arg(flexible)
                               .arg(strict);
      QVERIFY2(browser.auditText().contains(line), qPrintable(browser.auditText() + QStringLiteral(" / ") + line));
      // The filter lists exactly those samples.
      selectData(round, r.round_index);
      selectData(filter, static_cast<int>(tpt::store::CheckerAudit::StrictWrongFlexibleRight));
      QCOMPARE(browser.model()->totalMatches(), flexible);
      selectData(filter, static_cast<int>(tpt::store::CheckerAudit::StrictRightFlexibleWrong));
      QCOMPARE(browser.model()->totalMatches(), strict);
      selectData(filter, static_cast<int>(tpt::store::CheckerAudit::Disagree));
      QCOMPARE(browser.model()->totalMatches(), disagree);
      for (int row = 0; row < browser.model()->rowCount(); ++row) {
        const auto* data = browser.model()->rowData(row);
        QCOMPARE(data->round_index, r.round_index);
        QVERIFY(*data->correct_strict != *data->correct_flexible);
      }
      selectData(filter, QVariant());
    }
    selectData(round, QVariant());
    selectData(filter, static_cast<int>(tpt::store::CheckerAudit::Disagree));
    QCOMPARE(browser.model()->totalMatches(),
             sqlCount(e.dir, QStringLiteral("SELECT count(*) FROM samples WHERE correct_strict <> correct_flexible")));
  }

  void theFiltersApplyAsYouTypeAndTheProblemIdIsAPrefix() {
    const Experiment e = experiment();
    TraceBrowser browser;
    open(browser, e);
    auto* problem = browser.findChild<QLineEdit*>(QStringLiteral("problemFilter"));
    problem->setFocus();
    QTest::keyClicks(problem, QStringLiteral("p-1"));
    // Not at each key: once the typing pauses.
    QVERIFY(!browser.model()->filter().problem_key_prefix);
    QTRY_COMPARE(browser.model()->filter().problem_key_prefix, std::optional<std::string>("p-1"));
    const std::int64_t expected = sqlCount(
        e.dir, QStringLiteral("SELECT count(*) FROM samples s JOIN problems p ON p.id = s.problem_id WHERE"
                              " substr(p.problem_key, 1, 3) = 'p-1'"));
    QCOMPARE(browser.model()->totalMatches(), expected);
    QCOMPARE(expected, std::int64_t{10});  // p-1 and p-10, 5 samples each
    QVERIFY(problem->hasFocus());  // the list changed under the typing, the focus did not move
    auto* search = browser.findChild<QLineEdit*>(QStringLiteral("textFilter"));
    search->setFocus();
    QTest::keyClicks(search, QStringLiteral("sample 2"));
    QTRY_COMPARE(browser.model()->filter().text_contains, std::optional<std::string>("sample 2"));
    QCOMPARE(browser.model()->totalMatches(), std::int64_t{2});  // round 1 only has a sample 2
    // Leaving a field whose filter already applies keeps the selection.
    QVERIFY(browser.selectSample(browser.model()->sampleId(1)));
    const std::int64_t chosen = browser.currentSampleId();
    browser.table()->setFocus();
    QCOMPARE(browser.currentSampleId(), chosen);
  }

  void theTraceGetsTheRoomAt1366x768AndTheSplitterIsRemembered() {
    const Experiment e = experiment();
    QList<int> chosen;
    {
      TraceBrowser browser;
      // What the Review mode leaves of a 1366x768 screen under the title, menu and mode bars.
      open(browser, e);
      QVERIFY(browser.selectSample(e.round1[0]));
      QApplication::processEvents();
      QTextBrowser* detail = browser.detailView();
      QVERIFY2(detail->viewport()->width() >= 760, qPrintable(QString::number(detail->viewport()->width())));
      QVERIFY2(detail->viewport()->height() >= 330, qPrintable(QString::number(detail->viewport()->height())));
      // The question, the trace and the gold answer fit without scrolling.
      QCOMPARE(detail->verticalScrollBar()->maximum(), 0);
      QVERIFY(detail->font().pointSizeF() > browser.table()->font().pointSizeF());
      QVERIFY(detail->lineWrapMode() == QTextEdit::WidgetWidth);
      // The list is narrow, with the trace's first words.
      QVERIFY(browser.table()->width() < browser.width() / 2);
      QVERIFY(!browser.table()->isColumnHidden(tpt::ui::SampleTableModel::Preview));
      QVERIFY(browser.table()->isColumnHidden(tpt::ui::SampleTableModel::Tokens));
      // Moved, kept for the next time.
      browser.splitter()->setSizes({480, 880});
      chosen = browser.splitter()->sizes();
    }
    QVERIFY(QSettings().contains(QStringLiteral("review/splitter")));
    TraceBrowser again;
    open(again, e);
    QCOMPARE(again.splitter()->sizes(), chosen);
  }
};

QTEST_MAIN(TestAnnotation)
#include "test_annotation.moc"
