// bench_trace_browser: the trace browser on a large store, as an annotator uses it.
//
//   build/bench_store --samples 1000000 --keep      (prints the folder it leaves)
//   QT_QPA_PLATFORM=offscreen build/bench_trace_browser FOLDER
//
// Times (median of several runs) opening the experiment, applying filters, scrolling a page
// deeper and deeper, and showing a sample's detail. Speed is reported, not asserted.
#include <QApplication>
#include <QComboBox>
#include <QElapsedTimer>
#include <QLineEdit>
#include <QTableView>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <vector>

#include "sample_table_model.h"
#include "trace_browser.h"

namespace {

double median_ms(int runs, const std::function<void()>& work) {
  std::vector<double> times;
  for (int i = 0; i < runs; ++i) {
    QElapsedTimer clock;
    clock.start();
    work();
    times.push_back(clock.nsecsElapsed() / 1e6);
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

void choose(tpt::ui::TraceBrowser& browser, const char* combo, const QVariant& value) {
  auto* box = browser.findChild<QComboBox*>(QString::fromLatin1(combo));
  box->setCurrentIndex(std::max(0, box->findData(value)));
}

}  // namespace

int main(int argc, char** argv) {
  QApplication app(argc, argv);
  if (argc != 2) {
    std::fprintf(stderr, "usage: bench_trace_browser EXPERIMENT_FOLDER (with experiment.sqlite)\n");
    return 2;
  }
  const QString dir = QString::fromLocal8Bit(argv[1]);
  tpt::ui::TraceBrowser browser;
  browser.resize(1400, 800);
  browser.show();
  auto* model = browser.model();

  const double open = median_ms(5, [&] { browser.setExperiment(dir); });
  const qint64 all = model->totalMatches();
  std::printf("trace browser on %s: %lld samples\n\n", qPrintable(dir), static_cast<long long>(all));
  std::printf("%-52s %10s\n", "action", "ms");
  std::printf("%-52s %10.1f\n", "open the experiment (first page + count)", open);

  struct Filter {
    const char* what;
    std::function<void()> set;
  };
  const std::vector<Filter> filters = {
      {"filter: round 2", [&] { choose(browser, "roundFilter", 2); }},
      {"filter: round 2, wrong answers", [&] { choose(browser, "verdictFilter", QStringLiteral("wrong")); }},
      {"filter: round 2, wrong, dropped", [&] { choose(browser, "keptFilter", false); }},
      {"filter: annotated (any round)",
       [&] {
         choose(browser, "roundFilter", QVariant());
         choose(browser, "verdictFilter", QVariant());
         choose(browser, "keptFilter", QVariant());
         choose(browser, "labelFilter", QStringLiteral("annotated"));
       }},
  };
  for (const auto& f : filters) {
    // Each run re-applies the filter from scratch (reset, first page, count).
    const double ms = median_ms(5, [&] {
      f.set();
      model->setFilter(browser.currentFilter());
    });
    std::printf("%-52s %10.1f   (%lld matches)\n", f.what, ms, static_cast<long long>(model->totalMatches()));
  }
  choose(browser, "labelFilter", QVariant());
  model->setFilter(browser.currentFilter());

  // Scrolling: one more page, at the top and after 100 / 1000 pages.
  for (int depth : {1, 100, 1000}) {
    while (model->rowCount() < depth * tpt::ui::SampleTableModel::kPageSize && model->canFetchMore({}))
      model->fetchMore({});
    const double ms = median_ms(5, [&] { model->fetchMore({}); });
    char label[80];
    std::snprintf(label, sizeof label, "scroll one page (200 rows) at row %d", model->rowCount());
    std::printf("%-52s %10.2f\n", label, ms);
  }
  const double detail = median_ms(9, [&] { browser.table()->selectRow(model->rowCount() / 2); browser.table()->selectRow(model->rowCount() / 3); }) / 2;
  std::printf("%-52s %10.1f\n", "show a sample (trace, decision, its problem's samples)", detail);
  return 0;
}
