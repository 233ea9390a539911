// The Pruning panel: the experiment's ordered rule set — enable, disable, reorder, add, remove,
// edit a rule's parameters (its JSON, checked by the engine's parser), load and save rule-set
// files — with a live funnel for the chosen round: how many samples each rule drops, what is
// kept, per problem, in tokens. Nothing is written until asked: "Use for next Prune" stores the
// rule set in experiment.json; "Re-prune round" rewrites the chosen round's decisions, allowed
// until its Train starts.
#pragma once

#include <QWidget>

#include <vector>

#include "prune/rule_set.h"
#include "report/funnel.h"

class QComboBox;
class QHBoxLayout;
class QLabel;
class QListWidget;
class QPlainTextEdit;
class QTableWidget;
class QVBoxLayout;

namespace tpt::ui {

class ExperimentDocument;

class RulesPanel : public QWidget {
  Q_OBJECT

 public:
  explicit RulesPanel(QWidget* parent = nullptr);

  // Loads the rule set of `dir`/experiment.json and the experiment's rounds.
  void setExperiment(const QString& dir);
  // Reads and writes the rule set through the workbench's open experiment instead of the file,
  // so the Setup form and this panel never overwrite each other's edits.
  void setExperimentDocument(ExperimentDocument* document);
  void reloadRounds();

  const prune::RuleSet& ruleSet() const { return m_rules; }
  // Replaces the edited rule set (validated by the engine; false and a message when invalid).
  bool setRuleSet(const prune::RuleSet& rules);
  // Shows round `round`'s funnel; false when the round has no samples.
  bool selectRound(int round);
  const report::Funnel& funnel() const { return m_funnel; }
  QString summaryText() const;
  QString message() const;

 public Q_SLOTS:
  // Writes the rule set into experiment.json (applies from the next Prune). With a document,
  // the document is saved with it.
  bool useForNextPrune();
  // Rewrites the chosen round's decisions with the rule set.
  bool repruneRound();

 Q_SIGNALS:
  void ruleSetSaved();
  void roundRepruned(int round);

 private:
  QHBoxLayout* buildRoundAndVerifierBar();
  QVBoxLayout* buildRuleEditor();
  QHBoxLayout* buildListButtons();
  QVBoxLayout* buildFunnelView();
  QHBoxLayout* buildActions();
  void applyVerifierChoice();
  void removeCurrentRule();
  void addRuleOfChosenType();
  void loadRuleSetFile();
  void saveRuleSetFile();
  void rebuildList();
  // The experiment's rule set: the document's when there is one, else the file's.
  void loadRuleSet(const nlohmann::json& doc);
  void recompute();
  void showRuleJson();
  void applyRuleJson();
  // The tests_pass rule's mode, from its combo (shown only while that rule is selected).
  void applyTestsMode();
  void moveRule(int delta);
  void fromListChecks();
  bool replaceRules(const std::vector<prune::Rule>& rules);

  QString m_dir;
  ExperimentDocument* m_document = nullptr;
  prune::RuleSet m_rules;
  std::vector<prune::PruneSample> m_inputs;
  report::Funnel m_funnel;
  int m_round = -1;
  QComboBox* m_roundBox = nullptr;
  QComboBox* m_extractor = nullptr;
  QComboBox* m_normalize = nullptr;
  QListWidget* m_list = nullptr;
  QPlainTextEdit* m_ruleJson = nullptr;
  QWidget* m_testsRow = nullptr;
  QComboBox* m_testsMode = nullptr;
  QComboBox* m_addType = nullptr;
  QTableWidget* m_funnelTable = nullptr;
  QLabel* m_summary = nullptr;
  QLabel* m_message = nullptr;
};

// Code rounds: what the programs did, and which verdicts the rules removed, most first ("\nRemoved:
// wrong answer 312, time limit 40."), so a user sees whether wrong answers or time limits cost
// the most traces. Empty for a math round.
QString codeVerdictSummary(const report::Funnel& funnel);

}  // namespace tpt::ui
