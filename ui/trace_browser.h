// The trace browser, for annotators: the Review mode's whole page. The selected trace comes
// first, in large type — its question, the trace with its calculator annotations and answer
// line highlighted, the gold answer, the verdict (both checkers' before Prune) and the decision
// record, then its label history — with the samples as a narrow list beside it (a preview of
// each trace's first words), filtered by round, problem id prefix, verdict, kept/dropped, the
// rule that dropped it, annotation, the verifier audit (where the strict and the flexible
// checker disagree) and text. The list is read page by page from the store, so it stays smooth
// on a million samples. A code sample (its problem's gold is a test spec, or its decision holds
// a program judgement) shows its program's verdict, the program highlighted and every test with
// its outputs (CodeSampleView).
//
// Review is keyboard-first and every key is a QAction of this widget (reviewActions(), for the
// main window's shortcut list): J / K move wherever the focus is in the browser (except while
// typing in a text field), A / R / F label, U undoes the last label, C goes to the comment
// (Enter saves it, Esc returns to the list). A label is stored at once under the annotator's
// name, replacing the sample's previous label (kept as history); the next Prune of the round
// honours it through the rule set's annotation_override rule.
#pragma once

#include <QList>
#include <QWidget>

#include <memory>
#include <optional>
#include <vector>

#include "prune/rule_set.h"
#include "store/records.h"

class QAction;
class QCheckBox;
class QComboBox;
class QHBoxLayout;
class QLabel;
class QLineEdit;
class QSplitter;
class QTableView;
class QTableWidget;
class QTextBrowser;
class QTimer;

namespace tpt::store {
class Store;
}

namespace tpt::ui {

class CodeSampleView;
class SampleTableModel;

class TraceBrowser : public QWidget {
  Q_OBJECT
  Q_PROPERTY(bool autoAdvance READ autoAdvance WRITE setAutoAdvance)

 public:
  // How a label is answered when the experiment's rule set has no annotation_override rule
  // (asked once per experiment): Ask shows the dialog; the others answer it without one, which
  // is what tests use.
  enum class RuleOfferAnswer { Ask, AddRule, LabelAnyway, Cancel };

  explicit TraceBrowser(QWidget* parent = nullptr);
  ~TraceBrowser() override;

  // Shows the experiment in `dir` (nothing when it has no database yet).
  void setExperiment(const QString& dir);
  // Re-reads the list, the filters' choices and the audit counts (after a batch, a round or a
  // prune; samples are stored as Think draws them, decisions when Prune ends).
  void reload();

  SampleTableModel* model() const { return m_model; }
  QTableView* table() const { return m_table; }
  QTextBrowser* detailView() const { return m_detail; }
  // List | detail; its sizes are kept in QSettings (review/splitter).
  QSplitter* splitter() const { return m_split; }
  // The filter the controls describe.
  store::SampleFilter currentFilter() const;
  std::int64_t currentSampleId() const;
  bool selectSample(std::int64_t sampleId);
  QString detailHtml() const;
  // The code sample view (hidden while a math sample is shown).
  CodeSampleView* codeView() const { return m_code; }

  // The review keys, in the order a shortcut list shows them; each has a text and a shortcut.
  QList<QAction*> reviewActions() const { return m_actions; }
  // "Advance after labelling", checkable (the checkbox beside the labels shows the same), for a
  // menu.
  QAction* autoAdvanceAction() const { return m_autoAdvanceAction; }

  QString annotator() const;
  void setAnnotator(const QString& name);
  // Stores a label for the selected sample (what A / R / F do), replacing its current one, and
  // moves to the next sample when auto-advance is on. False (and a notice) when there is no
  // sample selected, no annotator name, or the annotator cancelled.
  bool annotateCurrent(store::Label label);
  // Takes back the last label stored here (U): the sample's previous label, or none, is its
  // label again, and the sample is selected. False (and a notice) when there is nothing to undo
  // or the sample was labelled again since.
  bool undoLastLabel();
  // Stores the comment field with the selected sample's current label (Enter in the comment):
  // a new label, the same as the current one, that replaces it.
  bool saveComment();
  // Moves the selection by `delta` rows (J / K), fetching the next page at the end.
  void move(int delta);

  // Advance to the next sample after a label (default on, kept in QSettings).
  bool autoAdvance() const;
  void setAutoAdvance(bool on);
  void setRuleOfferAnswer(RuleOfferAnswer answer) { m_ruleOfferAnswer = answer; }

  // The last notice under the review controls: what a label did and where it applies, or why
  // nothing was stored.
  QString lastNotice() const;
  QString agreementText() const;
  // The verifier audit: disagreements between the strict and the flexible checker, per round.
  QString auditText() const;
  const std::vector<store::CheckerDisagreements>& checkerDisagreements() const { return m_disagreements; }

 Q_SIGNALS:
  void annotated(std::int64_t sampleId);
  // The annotator asked to add an annotation_override rule to the experiment's rule set (the
  // main window writes it through its experiment document).
  void overrideRuleRequested();

 private:
  QHBoxLayout* buildFilterBar();
  void buildSampleList();
  QWidget* buildDetailPane();
  QHBoxLayout* buildReviewRow(QWidget* parent);
  void createActions();
  void restoreLayout();
  void showListMenu(const QPoint& at);
  void applyFilter();
  void applyTextFilters();
  void showSample(std::int64_t sampleId);
  void showMathSample(const store::SampleDetail& d);
  void showCodeSample(const store::SampleDetail& d);
  void showSiblings(std::int64_t problemId, std::int64_t sampleId);
  QString sampledByHtml(const store::SampleDetail& d) const;
  QString traceHeadingHtml(const store::SampleDetail& d) const;
  QString rulesTableHtml(const store::DecisionRecord& dec) const;
  QString annotationsHtml(const store::SampleDetail& d) const;
  void updateAgreement();
  void updateAudit();
  void setNotice(const QString& text);
  void focusList();
  store::Store* writer();
  // Stores `label` with `comment` for the selected sample; the notice says what it did.
  bool storeLabel(std::int64_t sampleId, store::Label label, const QString& comment);
  // Whether experiment.json's rule set has an enabled annotation_override rule (nullopt, and a
  // reason in `error`, when it cannot be read).
  std::optional<bool> ruleSetHasOverride(QString* error) const;
  // Asked on the first label without the rule: false when the annotator cancels.
  bool offerOverrideRule();
  // Where a label on a sample of this round takes effect, in words.
  QString labelEffect(std::int64_t roundId) const;
  void reselectAfterChange(std::int64_t sampleId, int row, bool advance);

  QString m_dir;
  std::int64_t m_experimentId = 0;
  SampleTableModel* m_model = nullptr;
  std::unique_ptr<store::Store> m_writer;  // opened on the first annotation
  QComboBox* m_round = nullptr;
  QComboBox* m_verdict = nullptr;
  QComboBox* m_kept = nullptr;
  QComboBox* m_rule = nullptr;
  QComboBox* m_label = nullptr;
  QComboBox* m_checkers = nullptr;
  QLineEdit* m_problem = nullptr;
  QLineEdit* m_search = nullptr;
  QTimer* m_filterDelay = nullptr;
  QString m_appliedProblem, m_appliedSearch;
  QLabel* m_count = nullptr;
  QLabel* m_audit = nullptr;
  QSplitter* m_split = nullptr;
  QSplitter* m_detailSplit = nullptr;
  QTableView* m_table = nullptr;
  QTextBrowser* m_detail = nullptr;
  CodeSampleView* m_code = nullptr;
  QTableWidget* m_siblings = nullptr;
  QLineEdit* m_annotator = nullptr;
  QLineEdit* m_comment = nullptr;
  QCheckBox* m_autoAdvanceBox = nullptr;
  QLabel* m_agreement = nullptr;
  QLabel* m_message = nullptr;
  QList<QAction*> m_actions;
  QAction* m_autoAdvanceAction = nullptr;
  std::vector<store::CheckerDisagreements> m_disagreements;

  // Labels stored here, newest last: what U takes back.
  struct StoredLabel {
    std::int64_t annotationId = 0;
    std::int64_t sampleId = 0;
  };
  std::vector<StoredLabel> m_undo;
  bool m_ruleOffered = false;  // the annotation_override question, once per experiment
  RuleOfferAnswer m_ruleOfferAnswer = RuleOfferAnswer::Ask;
};

// `rules` with an enabled annotation_override rule, for a receiver of overrideRuleRequested():
// a disabled one is enabled where it stands; otherwise one is added before the first set rule
// (dedupe, max_per_problem), so that a rejected trace does not take a set rule's slot.
prune::RuleSet withAnnotationOverride(const prune::RuleSet& rules);

// The trace as HTML: calculator annotations <<a*b=c>> tinted, the "#### N" line and the
// extracted answer emphasised.
QString traceToHtml(const QString& trace, const QString& extracted, bool correct);

}  // namespace tpt::ui
