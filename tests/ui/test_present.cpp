// Presenting an experiment to people who do not run it: the Present page, the one-click report
// and the charts both draw. The experiments are stores the test writes itself (no model, so it
// runs in seconds): four rounds over six test problems whose fates are chosen — one learned and
// kept from round 1, one learned in round 2, one that went back and forth before ending right,
// one always, one never solved, one forgotten — a last round pruned by two rules, and a loss
// curve. What is asserted is what a viewer sees: the page opens on the problem learned first and
// kept, the picker reads as questions, an empty page says so in a few lines; the report holds
// the chart, one row per round with the stored numbers, the funnel and three wrong→right
// problems; the legends name each experiment and never cover a point; the loss axis spans the
// loss; the charts take the palette's colours.
#include <QBuffer>
#include <QComboBox>
#include <QDate>
#include <QFile>
#include <QImage>
#include <QLabel>
#include <QPushButton>
#include <QRegularExpression>
#include <QSettings>
#include <QStackedWidget>
#include <QTemporaryDir>
#include <QtTest>

#include "chart_panel.h"
#include "presentation_window.h"
#include "qcustomplot_include.h"
#include "report.h"
#include "report/experiment_report.h"
#include "store/store.h"
#include "ui_test_setup.h"

namespace s = tpt::store;

namespace {

struct Problem {
  const char* key;
  const char* question;
  const char* gold;
  const char* wrongAnswer;
  std::vector<bool> solved;  // rounds 0..3
};

// Keys as the demo writes them: hashes, which mean nothing to a viewer.
const Problem kProblems[] = {
    {"test-9c1e0a77d2f4",
     "Weng earns $12 an hour for babysitting. Yesterday, she just did 50 minutes of babysitting. How much did she "
     "earn?",
     "10", "600", {false, true, false, true}},
    {"test-2aff8d2bc2b2",
     "Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May. How many "
     "clips did Natalia sell altogether in April and May?",
     "72", "36", {false, true, true, true}},
    {"test-51b0c3e98a11", "Betty has 5 apples and buys 3 more bags of 4 apples each. How many apples does she have?",
     "17", "12", {false, false, true, true}},
    {"test-0d4f2e6b7c90", "Tom has 3 apples and gets 4 more. How many apples does he have now?", "7", "12",
     {true, true, true, true}},
    {"test-77aa31c0e5d2", "A train leaves at 3 pm and travels 120 km at 40 km per hour. When does it arrive?", "6",
     "5", {false, false, false, false}},
    {"test-e3c9b8f01a44", "Sara reads 12 pages a day for a week. How many pages does she read?", "84", "72",
     {true, true, false, false}},
};
const int kRounds = 4;

double strictShare(int round) {
  int solved = 0;
  for (const auto& p : kProblems) solved += p.solved[size_t(round)] ? 1 : 0;
  return solved / 6.0;
}

const double kLoss[] = {0.0521, 0.0483, 0.0502, 0.0391, 0.0417, 0.0344, 0.0362, 0.0313};

// An experiment store in `dir` named `name`. `flexibleEqualsStrict`: both checkers agree in
// every round (the chart must still tell the two curves apart).
void writeExperiment(const QString& dir, const std::string& name, bool flexibleEqualsStrict) {
  QDir().mkpath(dir);
  s::Store store((dir + QStringLiteral("/experiment.sqlite")).toStdString());
  s::ExperimentRecord e;
  e.name = name;
  e.state = "completed";
  const auto experiment = store.create_experiment(e);
  std::vector<s::ProblemRecord> problems;
  for (const auto& p : kProblems) {
    s::ProblemRecord r;
    r.experiment_id = experiment;
    r.split = "test";
    r.problem_key = p.key;
    r.question = p.question;
    r.gold = p.gold;
    problems.push_back(r);
  }
  s::ProblemRecord train;
  train.experiment_id = experiment;
  train.split = "train";
  train.problem_key = "train-1";
  train.question = "Ann has 2 pens and buys 5 more. How many pens?";
  train.gold = "7";
  problems.push_back(train);
  const auto ids = store.upsert_problems(problems);
  const nlohmann::json config = {
      {"prune", {{"rules", {{{"type", "correct_answer"}}, {{"type", "max_per_problem"}, {"k", 1}}}}}}};
  for (int round = 0; round < kRounds; ++round) {
    const auto roundId = store.ensure_round(experiment, round);
    store.set_round_config(roundId, config.dump());
    std::vector<s::EvalSampleRecord> answers;
    for (size_t i = 0; i < 6; ++i) {
      const Problem& p = kProblems[i];
      const bool right = p.solved[size_t(round)];
      s::EvalSampleRecord a;
      a.round_id = roundId;
      a.problem_id = ids[i];
      a.sample_index = 0;
      const std::string answer = right ? p.gold : p.wrongAnswer;
      a.text = "Working it out step by step.\n#### " + answer;
      a.extracted_strict = answer;
      a.extracted_flexible = answer;
      a.correct_strict = right;
      a.correct_flexible = right;
      answers.push_back(a);
    }
    store.insert_eval_samples(answers);
    const double strict = strictShare(round);
    std::map<std::string, double> metrics = {{"pass@1.strict", strict},
                                             {"pass@1.flexible", flexibleEqualsStrict ? strict : strict + 0.05},
                                             {"seconds.eval", 12.5}};
    if (round > 0) {
      // Think: 10 samples of one training problem; 4 wrong, 3 beyond the cap, 3 kept.
      std::vector<s::SampleRecord> samples;
      for (int k = 0; k < 10; ++k) {
        s::SampleRecord r;
        r.round_id = roundId;
        r.problem_id = ids[6];
        r.sample_index = k;
        r.text = "2+5=7\n#### 7";
        r.token_count = 12;
        r.finish_reason = "stop";
        samples.push_back(r);
      }
      const auto sampleIds = store.insert_samples(samples).ids;
      std::vector<s::DecisionRecord> decisions;
      for (int k = 0; k < 10; ++k) {
        s::DecisionRecord d;
        d.sample_id = sampleIds[size_t(k)];
        d.kept = k >= 7;
        d.dropped_by = k < 4 ? "correct_answer" : k < 7 ? "max_per_problem" : "";
        d.verdict = k < 4 ? tpt::prune::Verdict::Wrong : tpt::prune::Verdict::Correct;
        decisions.push_back(d);
      }
      store.write_decisions(decisions);
      std::vector<s::TrainStepRecord> steps;
      for (int k = 0; k < 8; ++k) {
        s::TrainStepRecord step;
        step.round_id = roundId;
        step.step = k + 1;
        step.loss = kLoss[k] + 0.01 * (kRounds - 1 - round);
        steps.push_back(step);
      }
      store.put_train_steps(steps);
      metrics["train.loss"] = 0.04 + 0.01 * (kRounds - 1 - round);
      metrics["seconds.think"] = 30;
      metrics["seconds.train"] = 75;
    }
    store.put_metrics(roundId, metrics);
    store.set_round_state(roundId, s::RoundState::Done);
  }
}

QString readText(const QString& path) {
  QFile file(path);
  return file.open(QIODevice::ReadOnly) ? QString::fromUtf8(file.readAll()) : QString();
}

// The plot's background as drawn: its top-left pixel.
QColor cornerColor(QCustomPlot* plot) { return plot->toPixmap(200, 150).toImage().pixelColor(1, 1); }

QString percent(double fraction) { return QString::number(100 * fraction, 'f', 1) + QLatin1Char('%'); }

}  // namespace

class TestPresent : public QObject {
  Q_OBJECT

  QTemporaryDir m_tmp;
  QString m_alpha, m_beta;

 private Q_SLOTS:
  void initTestCase() {
    tpt::testing::isolateSettings(QStringLiteral("test_present"));
    // Two experiments with one name, as a rerun of the demo in another folder has.
    m_alpha = m_tmp.filePath(QStringLiteral("alpha"));
    m_beta = m_tmp.filePath(QStringLiteral("beta"));
    writeExperiment(m_alpha, "gsm8k-demo", false);
    writeExperiment(m_beta, "gsm8k-demo", true);
  }

  void problemTitlesAreTheQuestionsFirstWords() {
    QCOMPARE(QString::fromStdString(tpt::report::problem_title(kProblems[1].question)),
             QStringLiteral("Natalia sold clips to 48 of her…"));
    QCOMPARE(QString::fromStdString(tpt::report::problem_title("Short one?")), QStringLiteral("Short one?"));
    QCOMPARE(QString::fromStdString(tpt::report::problem_title("Line\none\n\n  two")), QStringLiteral("Line one two"));
  }

  void presentOpensOnAProblemLearnedAndKept() {
    tpt::ui::PresentationWindow page(m_alpha);
    page.resize(1400, 900);
    page.show();
    QVERIFY(QTest::qWaitForWindowExposed(&page));
    QVERIFY(page.emptyMessage().isEmpty());
    QCOMPARE(page.problemCount(), 6);
    // Natalia's: wrong with the base model, right from round 1 on. Weng's, first by id, was
    // learned too but went wrong again in round 2; Betty's was learned a round later.
    QCOMPARE(page.currentProblemKey(), QStringLiteral("test-2aff8d2bc2b2"));
    QCOMPARE(page.cardSummaries(), QStringList({QStringLiteral("round 0: wrong"), QStringLiteral("round 1: right"),
                                                QStringLiteral("round 2: right"), QStringLiteral("round 3: right")}));
    QComboBox* picker = page.problemPicker();
    QVERIFY2(picker->itemText(0).startsWith(QStringLiteral("Natalia sold clips to 48 of her…")),
             qPrintable(picker->itemText(0)));
    for (int i = 0; i < picker->count(); ++i) {
      QVERIFY2(!picker->itemText(i).contains(QStringLiteral("test-")), qPrintable(picker->itemText(i)));
      QVERIFY2(!picker->itemText(i).contains(QRegularExpression(QStringLiteral("[0-9a-f]{8}"))),
               qPrintable(picker->itemText(i)));
    }
    auto* report = page.findChild<QPushButton*>(QStringLiteral("presentationReport"));
    QVERIFY(report && report->isEnabled() && report->isVisible());
  }

  void anEmptyPageSaysSoCompactly() {
    tpt::ui::PresentationWindow none;
    none.resize(1600, 1000);
    none.show();
    QVERIFY(QTest::qWaitForWindowExposed(&none));
    QVERIFY2(none.emptyMessage().contains(QStringLiteral("Open an experiment")), qPrintable(none.emptyMessage()));
    QVERIFY(!none.chartPanel()->isVisible());
    auto* message = none.findChild<QLabel*>(QStringLiteral("presentationEmpty"));
    QVERIFY(message->isVisible());
    QVERIFY2(message->height() < none.height() / 3, qPrintable(QString::number(message->height())));
    QVERIFY2(message->width() <= 700, qPrintable(QString::number(message->width())));

    // Created, not scored yet: the page says what to do, no empty chart or cards.
    const QString fresh = m_tmp.filePath(QStringLiteral("fresh"));
    QDir().mkpath(fresh);
    {
      s::Store store((fresh + QStringLiteral("/experiment.sqlite")).toStdString());
      s::ExperimentRecord e;
      e.name = "fresh";
      store.ensure_round(store.create_experiment(e), 0);
    }
    none.setExperiment(fresh);
    QVERIFY2(none.emptyMessage().contains(QStringLiteral("nothing scored yet")), qPrintable(none.emptyMessage()));
    QVERIFY(!none.chartPanel()->isVisible());
    none.setExperiment(m_alpha);
    QVERIFY(none.emptyMessage().isEmpty());
    QVERIFY(none.chartPanel()->isVisible());
  }

  void presentationTypeScalesWithTheScreen() {
    tpt::ui::PresentationWindow page(m_alpha);
    page.resize(900, 560);
    page.show();
    QVERIFY(QTest::qWaitForWindowExposed(&page));
    const double small = page.chartPanel()->baseFontSize();
    page.resize(1920, 1080);
    QTRY_VERIFY(page.chartPanel()->baseFontSize() > small);
    QVERIFY2(page.chartPanel()->baseFontSize() >= 1.4 * small,
             qPrintable(QStringLiteral("%1 -> %2").arg(small).arg(page.chartPanel()->baseFontSize())));
    QVERIFY(page.font().pointSizeF() >= 20);
    QVERIFY2(page.chartPanel()->title().contains(QStringLiteral("gsm8k-demo")), qPrintable(page.chartPanel()->title()));
  }

  void fullScreenLeavesThePageAndComesBack() {
    QStackedWidget stack;
    auto* other = new QWidget;
    stack.addWidget(other);
    auto* page = new tpt::ui::PresentationWindow(m_alpha);
    stack.addWidget(page);
    stack.setCurrentWidget(page);
    stack.resize(1000, 700);
    stack.show();
    QVERIFY(QTest::qWaitForWindowExposed(&stack));
    QVERIFY(!page->isWindow());
    page->setFullScreen(true);
    QVERIFY(page->isWindow());
    QVERIFY(page->isFullScreenPresentation());
    QTest::keyClick(page, Qt::Key_Escape);
    QVERIFY(!page->isFullScreenPresentation());
    QVERIFY(!page->isWindow());
    QCOMPARE(stack.indexOf(page), 1);
    QCOMPARE(stack.currentWidget(), page);
    QVERIFY(page->isVisible());
  }

  void theReportHoldsChartRoundsFunnelAndLearnedProblems() {
    const QString path = m_tmp.filePath(QStringLiteral("report.html"));
    QString error;
    QVERIFY2(tpt::ui::writeReport(m_alpha, path, &error), qPrintable(error));
    const QString html = readText(path);
    QVERIFY(!html.isEmpty());

    // Titled with the experiment and the date.
    const QString today = QDate::currentDate().toString(Qt::ISODate);
    QVERIFY2(html.contains(QStringLiteral("<title>gsm8k-demo — TPT report, %1</title>").arg(today)),
             qPrintable(html.left(600)));
    QVERIFY(html.contains(QStringLiteral("<h1>gsm8k-demo")));

    // The chart, inline: a real PNG of a chart's size.
    const QRegularExpression image(QStringLiteral("src=\"data:image/png;base64,([A-Za-z0-9+/=]+)\""));
    const auto match = image.match(html);
    QVERIFY(match.hasMatch());
    QImage chart;
    QVERIFY(chart.loadFromData(QByteArray::fromBase64(match.captured(1).toLatin1()), "PNG"));
    QVERIFY2(chart.width() >= 1000 && chart.height() >= 500, qPrintable(QStringLiteral("%1x%2").arg(chart.width()).arg(chart.height())));

    // One row per round with the stored numbers.
    const QRegularExpression row(QStringLiteral("<tr class=\"round\">(.*?)</tr>"));
    QStringList rows;
    for (auto it = row.globalMatch(html); it.hasNext();) rows << it.next().captured(1);
    QCOMPARE(rows.size(), kRounds);
    for (int round = 0; round < kRounds; ++round) {
      const QString& r = rows[round];
      QVERIFY2(r.startsWith(QStringLiteral("<td>%1").arg(round)), qPrintable(r));
      QVERIFY2(r.contains(QStringLiteral(">%1<").arg(percent(strictShare(round)))), qPrintable(r));
      QVERIFY2(r.contains(QStringLiteral(">%1<").arg(percent(strictShare(round) + 0.05))), qPrintable(r));
      if (round > 0) {
        QVERIFY2(r.contains(QStringLiteral(">10<")) && r.contains(QStringLiteral(">3<")), qPrintable(r));
        QVERIFY2(r.contains(QStringLiteral(">%1<").arg(0.04 + 0.01 * (kRounds - 1 - round), 0, 'f', 4)), qPrintable(r));
      }
    }

    // The funnel of the last round: what each rule removed, in the rule set's order.
    QVERIFY(html.contains(QStringLiteral("What pruning removed in round 3")));
    const int correct = html.indexOf(QStringLiteral("<b>correct_answer</b>"));
    const int cap = html.indexOf(QStringLiteral("<b>max_per_problem</b>"));
    QVERIFY(correct > 0 && cap > correct);
    QVERIFY2(html.mid(correct, cap - correct).contains(QStringLiteral(">−4<")), qPrintable(html.mid(correct, 300)));
    QVERIFY(html.mid(correct, cap - correct).contains(QStringLiteral(">6<")));
    QVERIFY2(html.mid(cap, 300).contains(QStringLiteral(">−3<")), qPrintable(html.mid(cap, 300)));
    QVERIFY(html.contains(QStringLiteral("<td>Kept for training</td><td class=\"num\"></td><td class=\"num\">3</td>")));

    // Three problems from wrong to right: the steadiest first, with both answers.
    const QStringList learned = html.split(QStringLiteral("<div class=\"learned\">")).mid(1);
    QCOMPARE(learned.size(), 3);
    const int order[] = {1, 2, 0};  // Natalia (from round 1), Betty (from round 2), Weng (back and forth)
    for (int i = 0; i < 3; ++i) {
      const Problem& p = kProblems[order[i]];
      const QString& section = learned[i];
      QVERIFY2(section.contains(QString::fromUtf8(p.question).toHtmlEscaped()), qPrintable(section.left(300)));
      QVERIFY2(section.contains(QStringLiteral("Round 0 (base model): wrong — answered %1").arg(QString::fromUtf8(p.wrongAnswer))),
               qPrintable(section));
      QVERIFY2(section.contains(QStringLiteral("Round 3: right — answered %1").arg(QString::fromUtf8(p.gold))),
               qPrintable(section));
    }
    QVERIFY(html.contains(QStringLiteral("<b>3 were learned</b>")));
  }

  void theReportPdfIsAPdf() {
    const QString path = m_tmp.filePath(QStringLiteral("report.pdf"));
    QString error;
    QVERIFY2(tpt::ui::writeReportPdf(m_alpha, path, &error), qPrintable(error));
    QFile file(path);
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QByteArray pdf = file.readAll();
    QVERIFY2(pdf.size() > 20000, qPrintable(QString::number(pdf.size())));  // the chart's image is in it
    QVERIFY(pdf.startsWith("%PDF"));
  }

  void aReportNeedsAScoredRound() {
    QString error;
    QVERIFY(!tpt::ui::writeReport(m_tmp.filePath(QStringLiteral("nowhere")), m_tmp.filePath(QStringLiteral("x.html")), &error));
    QVERIFY(!error.isEmpty());
    QVERIFY(!QFile::exists(m_tmp.filePath(QStringLiteral("x.html"))));
  }

  void legendsNameExperimentsThatShareANameByFolder() {
    tpt::ui::ChartPanel chart;
    chart.resize(1100, 700);
    chart.setExperiment(m_alpha);
    chart.addComparison(m_beta);
    const QStringList names = chart.legendNames();
    QCOMPARE(QSet<QString>(names.begin(), names.end()).size(), names.size());
    QVERIFY2(names.contains(QStringLiteral("gsm8k-demo (alpha) — Pass@1 strict")), qPrintable(names.join(QLatin1Char('|'))));
    QVERIFY2(names.contains(QStringLiteral("gsm8k-demo (beta) — Pass@1 strict")), qPrintable(names.join(QLatin1Char('|'))));

    // Folders of one name too: their parents tell them apart. Distinct names stay as they are.
    QCOMPARE(tpt::ui::ChartPanel::distinctLabels({QStringLiteral("demo"), QStringLiteral("demo")},
                                                 {QStringLiteral("/a/x/run"), QStringLiteral("/b/y/run")}),
             QStringList({QStringLiteral("demo (x/run)"), QStringLiteral("demo (y/run)")}));
    QCOMPARE(tpt::ui::ChartPanel::distinctLabels({QStringLiteral("one"), QStringLiteral("two")},
                                                 {QStringLiteral("/a/run"), QStringLiteral("/b/run")}),
             QStringList({QStringLiteral("one"), QStringLiteral("two")}));
  }

  void theLegendNeverCoversData() {
    for (const QSize size : {QSize(700, 420), QSize(1100, 700), QSize(1920, 1080)}) {
      tpt::ui::ChartPanel chart;
      chart.setPresentationStyle(size.width() > 1500);
      chart.resize(size);
      chart.show();
      QVERIFY(QTest::qWaitForWindowExposed(&chart));
      chart.setExperiment(m_alpha);
      chart.addComparison(m_beta);
      chart.passPlot()->replot();
      const QRect legend = chart.passPlot()->legend->outerRect();
      const QRect plotArea = chart.passPlot()->axisRect()->rect();
      QVERIFY(chart.passPlot()->legend->visible());
      QVERIFY2(!legend.intersects(plotArea), qPrintable(QStringLiteral("%1x%2: legend %3,%4 %5x%6 over plot %7,%8 %9x%10")
                                                            .arg(size.width()).arg(size.height())
                                                            .arg(legend.x()).arg(legend.y()).arg(legend.width()).arg(legend.height())
                                                            .arg(plotArea.x()).arg(plotArea.y()).arg(plotArea.width()).arg(plotArea.height())));
      QVERIFY(legend.right() <= chart.passPlot()->width());
    }
  }

  void strictAndFlexibleAreToldApartWhenTheyCoincide() {
    tpt::ui::ChartPanel chart;
    chart.setExperiment(m_beta);
    const QStringList names = chart.legendNames();
    QVERIFY2(names.contains(QStringLiteral("Pass@1 flexible (same as strict)")), qPrintable(names.join(QLatin1Char('|'))));
    QCPGraph* strict = chart.passPlot()->graph(0);
    QCPGraph* flexible = chart.passPlot()->graph(1);
    QVERIFY(flexible->scatterStyle().size() > strict->scatterStyle().size());
    QVERIFY(flexible->scatterStyle().shape() != strict->scatterStyle().shape());
    QVERIFY(flexible->pen().style() != strict->pen().style());
    // Different curves: no note.
    chart.setExperiment(m_alpha);
    QVERIFY(!chart.legendNames().join(QLatin1Char('|')).contains(QStringLiteral("same as strict")));
  }

  void theLossAxisSpansTheLoss() {
    tpt::ui::ChartPanel chart;
    chart.resize(1000, 600);
    chart.show();
    QVERIFY(QTest::qWaitForWindowExposed(&chart));
    chart.setExperiment(m_alpha);
    const QVector<double> loss = chart.lossCurve();
    QCOMPARE(loss.size(), 8);
    const double low = *std::min_element(loss.begin(), loss.end());
    const double high = *std::max_element(loss.begin(), loss.end());
    QCustomPlot* plot = chart.lossPlot();
    plot->replot();
    const QCPRange range = plot->yAxis->range();
    QVERIFY2(range.lower <= low && range.upper >= high,
             qPrintable(QStringLiteral("[%1, %2] vs data [%3, %4]").arg(range.lower).arg(range.upper).arg(low).arg(high)));
    // Scaled to the data: the curve fills most of the axis instead of lying on the floor.
    QVERIFY2(range.size() < 2 * (high - low),
             qPrintable(QStringLiteral("[%1, %2] vs data [%3, %4]").arg(range.lower).arg(range.upper).arg(low).arg(high)));
    // The y labels fit the axis without overlapping.
    const int labelHeight = QFontMetrics(plot->yAxis->tickLabelFont()).height();
    const int ticks = int(plot->yAxis->tickVector().size());
    QVERIFY2(ticks >= 2 && ticks * labelHeight <= plot->axisRect()->height(),
             qPrintable(QStringLiteral("%1 labels of %2 px on %3 px").arg(ticks).arg(labelHeight).arg(plot->axisRect()->height())));
  }

  void chartsFollowThePalette() {
    tpt::ui::ChartPanel chart;
    chart.setExperiment(m_alpha);
    QPalette dark;
    dark.setColor(QPalette::Base, QColor(0x1e, 0x1e, 0x1e));
    dark.setColor(QPalette::Window, QColor(0x2b, 0x2b, 0x2b));
    dark.setColor(QPalette::Text, QColor(0xe6, 0xe6, 0xe6));
    dark.setColor(QPalette::WindowText, QColor(0xe6, 0xe6, 0xe6));
    chart.setPalette(dark);
    for (QCustomPlot* plot : {chart.passPlot(), chart.lossPlot()}) {
      QCOMPARE(cornerColor(plot), QColor(0x1e, 0x1e, 0x1e));
      QCOMPARE(plot->xAxis->tickLabelColor(), QColor(0xe6, 0xe6, 0xe6));
      QCOMPARE(plot->yAxis->labelColor(), QColor(0xe6, 0xe6, 0xe6));
    }
    QCOMPARE(chart.passPlot()->legend->textColor(), QColor(0xe6, 0xe6, 0xe6));
    // The curves are lighter on a dark background, so they read.
    QVERIFY(chart.passPlot()->graph(0)->pen().color().lightnessF() > 0.5);
    // And back.
    QPalette light;
    light.setColor(QPalette::Base, Qt::white);
    light.setColor(QPalette::Text, Qt::black);
    chart.setPalette(light);
    QCOMPARE(cornerColor(chart.passPlot()), QColor(Qt::white));
    QCOMPARE(chart.passPlot()->xAxis->tickLabelColor(), QColor(Qt::black));
  }
};

QTEST_MAIN(TestPresent)
#include "test_present.moc"
