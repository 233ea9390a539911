// The trace browser, for annotators: every sample of the experiment in a lazily paged table,
// filtered by round, problem, verdict, kept/dropped, the rule that dropped it, annotation and
// text; the selected trace with its calculator annotations and extracted answer highlighted,
// its decision record, and the same problem's other samples across rounds. A code sample (its
// problem's gold is a test spec, or its decision holds a program judgement) shows its program's
// verdict, the program highlighted and every test with its outputs (CodeSampleView).
//
// Review is keyboard-first: J / K (or the arrows) move, A accepts, R rejects, F flags, C goes
// to the comment. A label is stored at once, under the annotator's name, and the next Prune
// honours it (the rule set's annotation_override rule).
#pragma once

#include <QWidget>

#include <memory>

#include "store/records.h"

class QComboBox;
class QHBoxLayout;
class QLabel;
class QLineEdit;
class QSplitter;
class QTableView;
class QTableWidget;
class QTextBrowser;

namespace tpt::store {
class Store;
}

namespace tpt::ui {

class CodeSampleView;
class SampleTableModel;

class TraceBrowser : public QWidget {
  Q_OBJECT

 public:
  explicit TraceBrowser(QWidget* parent = nullptr);
  ~TraceBrowser() override;

  // Shows the experiment in `dir` (nothing when it has no database yet).
  void setExperiment(const QString& dir);
  // Re-reads the table and the filters' choices (after a round or a prune).
  void reload();

  SampleTableModel* model() const { return m_model; }
  QTableView* table() const { return m_table; }
  // The filter the controls describe.
  store::SampleFilter currentFilter() const;
  std::int64_t currentSampleId() const;
  bool selectSample(std::int64_t sampleId);
  QString detailHtml() const;
  // The code sample view (hidden while a math sample is shown).
  CodeSampleView* codeView() const { return m_code; }

  QString annotator() const;
  void setAnnotator(const QString& name);
  // Stores a label for the selected sample (what the A / R / F keys do). False (and a message)
  // when there is no sample selected or no annotator name.
  bool annotateCurrent(store::Label label);
  QString agreementText() const;

 Q_SIGNALS:
  void annotated(std::int64_t sampleId);

 protected:
  bool eventFilter(QObject* watched, QEvent* event) override;

 private:
  QHBoxLayout* buildFilterBar();
  void buildSampleTable(QSplitter* split);
  QWidget* buildDetailPane(QSplitter* split);
  QHBoxLayout* buildReviewRow(QWidget* right);
  void applyFilter();
  void showSample(std::int64_t sampleId);
  void showMathSample(const store::SampleDetail& d);
  void showCodeSample(const store::SampleDetail& d);
  void showSiblings(std::int64_t problemId, std::int64_t sampleId);
  QString sampledByHtml(const store::SampleDetail& d) const;
  QString traceHeadingHtml(const store::SampleDetail& d) const;
  QString rulesTableHtml(const store::DecisionRecord& dec) const;
  QString annotationsHtml(const store::SampleDetail& d) const;
  void updateAgreement();
  void move(int delta);

  QString m_dir;
  std::int64_t m_experimentId = 0;
  SampleTableModel* m_model = nullptr;
  std::unique_ptr<store::Store> m_writer;  // opened on the first annotation
  QComboBox* m_round = nullptr;
  QComboBox* m_verdict = nullptr;
  QComboBox* m_kept = nullptr;
  QComboBox* m_rule = nullptr;
  QComboBox* m_label = nullptr;
  QLineEdit* m_problem = nullptr;
  QLineEdit* m_search = nullptr;
  QLabel* m_count = nullptr;
  QTableView* m_table = nullptr;
  QTextBrowser* m_detail = nullptr;
  CodeSampleView* m_code = nullptr;
  QTableWidget* m_siblings = nullptr;
  QLineEdit* m_annotator = nullptr;
  QLineEdit* m_comment = nullptr;
  QLabel* m_agreement = nullptr;
  QLabel* m_message = nullptr;
};

// The trace as HTML: calculator annotations <<a*b=c>> tinted, the "#### N" line and the
// extracted answer emphasised.
QString traceToHtml(const QString& trace, const QString& extracted, bool correct);

}  // namespace tpt::ui
