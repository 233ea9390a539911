#include "rules_panel.h"

#include "experiment_document.h"

#include <algorithm>

#include <QComboBox>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QListWidget>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QTableWidget>
#include <QVBoxLayout>

#include "code/code_problem.h"
#include "io/json_fields.h"
#include "io/json_parse.h"
#include "run/paths.h"
#include "store/store.h"

namespace tpt::ui {

namespace {
QString ruleLabel(const prune::Rule& rule) {
  nlohmann::json j = rule.to_json();
  j.erase("type");
  j.erase("enabled");
  const QString name = QString::fromStdString(rule.name.empty() ? prune::to_string(rule.type) : rule.name);
  return j.empty() ? name : name + QStringLiteral("  ") + QString::fromStdString(j.dump());
}
}  // namespace

QString codeVerdictSummary(const report::Funnel& funnel) {
  auto listed = [](const std::map<std::string, int64_t>& counts) {
    std::vector<std::pair<std::string, int64_t>> sorted(counts.begin(), counts.end());
    std::stable_sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
    QStringList parts;
    for (const auto& [key, count] : sorted) {
      const auto verdict = code::parse_code_verdict(key);
      parts << QStringLiteral("%1 %2").arg(verdict ? QString::fromLatin1(code::describe(*verdict)) : QString::fromStdString(key))
                   .arg(count);
    }
    return parts.join(QStringLiteral(", "));
  };
  QString text;
  if (!funnel.verdicts.empty()) text += RulesPanel::tr("\nPrograms: %1.").arg(listed(funnel.verdicts));
  if (!funnel.dropped_by_verdict.empty()) text += RulesPanel::tr("\nRemoved: %1.").arg(listed(funnel.dropped_by_verdict));
  return text;
}

RulesPanel::RulesPanel(QWidget* parent) : QWidget(parent) {
  setObjectName(QStringLiteral("rulesPanel"));
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(4, 4, 4, 4);
  // Widgets are created in reading order, which is also their tab order.
  layout->addLayout(buildRoundAndVerifierBar());
  auto* middle = new QHBoxLayout;
  middle->addLayout(buildRuleEditor(), 1);
  middle->addLayout(buildFunnelView(), 1);
  layout->addLayout(middle, 1);
  layout->addLayout(buildActions());
  m_message = new QLabel(this);
  m_message->setObjectName(QStringLiteral("rulesMessage"));
  m_message->setWordWrap(true);
  layout->addWidget(m_message);
  rebuildList();
}

QHBoxLayout* RulesPanel::buildRoundAndVerifierBar() {
  auto* top = new QHBoxLayout;
  top->addWidget(new QLabel(tr("Funnel of"), this));
  m_roundBox = new QComboBox(this);
  m_roundBox->setObjectName(QStringLiteral("funnelRound"));
  connect(m_roundBox, qOverload<int>(&QComboBox::currentIndexChanged), this, [this] {
    if (m_roundBox->currentData().isValid()) selectRound(m_roundBox->currentData().toInt());
  });
  top->addWidget(m_roundBox);
  top->addSpacing(12);
  top->addWidget(new QLabel(tr("Verifier:"), this));
  m_extractor = new QComboBox(this);
  m_extractor->setObjectName(QStringLiteral("extractor"));
  for (const char* e : {"strict", "flexible", "boxed"}) m_extractor->addItem(QString::fromLatin1(e), QString::fromLatin1(e));
  m_normalize = new QComboBox(this);
  m_normalize->setObjectName(QStringLiteral("normalize"));
  for (const auto& n : prune::NormalizeConfig::preset_names())
    m_normalize->addItem(QString::fromStdString(n), QString::fromStdString(n));
  top->addWidget(m_extractor);
  top->addWidget(m_normalize);
  top->addStretch(1);
  // Connected once filled, so filling them does not count as a choice.
  connect(m_extractor, qOverload<int>(&QComboBox::currentIndexChanged), this, &RulesPanel::applyVerifierChoice);
  connect(m_normalize, qOverload<int>(&QComboBox::currentIndexChanged), this, &RulesPanel::applyVerifierChoice);
  return top;
}

void RulesPanel::applyVerifierChoice() {
  std::vector<FieldIssue> issues;
  const auto verifier = prune::VerifierConfig::parse(
      {{"extractor", m_extractor->currentData().toString().toStdString()},
       {"normalize", m_normalize->currentData().toString().toStdString()}},
      "prune.verifier", issues);
  if (issues.empty() && verifier != m_rules.verifier()) {
    m_rules.set_verifier(verifier);
    recompute();
  }
}

// The rule list, its buttons, and the selected rule's parameters.
QVBoxLayout* RulesPanel::buildRuleEditor() {
  auto* left = new QVBoxLayout;
  m_list = new QListWidget(this);
  m_list->setObjectName(QStringLiteral("ruleList"));
  connect(m_list, &QListWidget::currentRowChanged, this, &RulesPanel::showRuleJson);
  connect(m_list, &QListWidget::itemChanged, this, &RulesPanel::fromListChecks);
  left->addWidget(m_list, 1);
  left->addLayout(buildListButtons());
  m_ruleJson = new QPlainTextEdit(this);
  m_ruleJson->setObjectName(QStringLiteral("ruleJson"));
  m_ruleJson->setMaximumHeight(90);
  m_ruleJson->setToolTip(tr("The selected rule's parameters (see docs/pruning-rules.md); Apply checks them"));
  left->addWidget(m_ruleJson);
  // tests_pass has one parameter whose three values are three different experiments: a combo
  // with each one explained says more than its JSON.
  m_testsRow = new QWidget(this);
  auto* testsLayout = new QHBoxLayout(m_testsRow);
  testsLayout->setContentsMargins(0, 0, 0, 0);
  testsLayout->addWidget(new QLabel(tr("Tests that must pass:"), m_testsRow));
  m_testsMode = new QComboBox(m_testsRow);
  m_testsMode->setObjectName(QStringLiteral("testsPassMode"));
  const struct {
    const char* mode;
    const char* label;
    const char* tip;
  } modes[] = {
      {"all", "all", "Hard pruning: keep a program only if it passes every test of the problem."},
      {"any", "any", "The paper's soft pruning: keep a program that passes at least one test."},
      {"public_only", "public_only",
       "Keep a program that passes the statement's examples (the public tests); the hidden ones do not count."},
  };
  for (const auto& m : modes) {
    m_testsMode->addItem(QString::fromLatin1(m.label), QString::fromLatin1(m.mode));
    m_testsMode->setItemData(m_testsMode->count() - 1, tr(m.tip), Qt::ToolTipRole);
  }
  connect(m_testsMode, qOverload<int>(&QComboBox::currentIndexChanged), this, &RulesPanel::applyTestsMode);
  testsLayout->addWidget(m_testsMode);
  testsLayout->addStretch(1);
  m_testsRow->hide();
  left->addWidget(m_testsRow);
  auto* applyRow = new QHBoxLayout;
  auto* apply = new QPushButton(tr("Apply parameters"), this);
  apply->setObjectName(QStringLiteral("ruleApply"));
  connect(apply, &QPushButton::clicked, this, &RulesPanel::applyRuleJson);
  applyRow->addWidget(apply);
  applyRow->addStretch(1);
  left->addLayout(applyRow);
  return left;
}

QHBoxLayout* RulesPanel::buildListButtons() {
  auto* listButtons = new QHBoxLayout;
  auto button = [&](const QString& text, const QString& name, auto slot) {
    auto* b = new QPushButton(text, this);
    b->setObjectName(name);
    connect(b, &QPushButton::clicked, this, slot);
    listButtons->addWidget(b);
    return b;
  };
  button(tr("Up"), QStringLiteral("ruleUp"), [this] { moveRule(-1); });
  button(tr("Down"), QStringLiteral("ruleDown"), [this] { moveRule(1); });
  button(tr("Remove"), QStringLiteral("ruleRemove"), &RulesPanel::removeCurrentRule);
  m_addType = new QComboBox(this);
  m_addType->setObjectName(QStringLiteral("ruleAddType"));
  for (const auto& t : prune::rule_type_names()) m_addType->addItem(QString::fromStdString(t), QString::fromStdString(t));
  listButtons->addWidget(m_addType);
  button(tr("Add"), QStringLiteral("ruleAdd"), &RulesPanel::addRuleOfChosenType);
  return listButtons;
}

void RulesPanel::removeCurrentRule() {
  const int row = m_list->currentRow();
  if (row < 0) return;
  auto rules = m_rules.rules();
  rules.erase(rules.begin() + row);
  replaceRules(rules);
}

void RulesPanel::addRuleOfChosenType() {
  std::vector<FieldIssue> issues;
  nlohmann::json j = {{"type", m_addType->currentData().toString().toStdString()}};
  // Rules with a required parameter start from a sensible one.
  if (j["type"] == "length") j["max_tokens"] = 1024;
  auto rule = prune::Rule::parse(j, "rule", issues);
  if (!rule) return;
  auto rules = m_rules.rules();
  rules.push_back(*rule);
  replaceRules(rules);
  m_list->setCurrentRow(static_cast<int>(rules.size()) - 1);
}

QVBoxLayout* RulesPanel::buildFunnelView() {
  auto* right = new QVBoxLayout;
  m_funnelTable = new QTableWidget(this);
  m_funnelTable->setObjectName(QStringLiteral("funnelTable"));
  m_funnelTable->setColumnCount(4);
  m_funnelTable->setHorizontalHeaderLabels({tr("rule"), tr("fails"), tr("drops"), tr("left")});
  m_funnelTable->verticalHeader()->hide();
  m_funnelTable->horizontalHeader()->setSectionResizeMode(QHeaderView::Stretch);
  m_funnelTable->setEditTriggers(QAbstractItemView::NoEditTriggers);
  right->addWidget(m_funnelTable, 1);
  m_summary = new QLabel(this);
  m_summary->setObjectName(QStringLiteral("funnelSummary"));
  m_summary->setWordWrap(true);
  right->addWidget(m_summary);
  return right;
}

QHBoxLayout* RulesPanel::buildActions() {
  auto* actions = new QHBoxLayout;
  auto* useNext = new QPushButton(tr("Use for next Prune"), this);
  useNext->setObjectName(QStringLiteral("useForNextPrune"));
  connect(useNext, &QPushButton::clicked, this, &RulesPanel::useForNextPrune);
  auto* reprune = new QPushButton(tr("Re-prune round"), this);
  reprune->setObjectName(QStringLiteral("repruneRound"));
  connect(reprune, &QPushButton::clicked, this, &RulesPanel::repruneRound);
  auto* load = new QPushButton(tr("Load…"), this);
  connect(load, &QPushButton::clicked, this, &RulesPanel::loadRuleSetFile);
  auto* saveAs = new QPushButton(tr("Save as…"), this);
  connect(saveAs, &QPushButton::clicked, this, &RulesPanel::saveRuleSetFile);
  actions->addWidget(useNext);
  actions->addWidget(reprune);
  actions->addStretch(1);
  actions->addWidget(load);
  actions->addWidget(saveAs);
  return actions;
}

void RulesPanel::loadRuleSetFile() {
  const QString file = QFileDialog::getOpenFileName(this, tr("Load a rule set"), m_dir, tr("Rule sets (*.json)"));
  if (file.isEmpty()) return;
  try {
    setRuleSet(prune::RuleSet::load(file.toStdString()));
  } catch (const std::exception& e) {
    m_message->setText(QString::fromStdString(e.what()));
  }
}

void RulesPanel::saveRuleSetFile() {
  const QString file = QFileDialog::getSaveFileName(this, tr("Save the rule set"),
                                                    QDir(m_dir).filePath(QStringLiteral("rules.json")),
                                                    tr("Rule sets (*.json)"));
  if (file.isEmpty()) return;
  try {
    m_rules.save(file.toStdString());
    m_message->setText(tr("Saved %1").arg(file));
  } catch (const std::exception& e) {
    m_message->setText(QString::fromStdString(e.what()));
  }
}

void RulesPanel::setExperiment(const QString& dir) {
  m_dir = dir;
  m_message->clear();
  try {
    if (m_document && m_document->dir() == dir)
      loadRuleSet(m_document->json());
    else if (!dir.isEmpty())
      loadRuleSet(io::read_json_file(QDir(dir).filePath(QStringLiteral("experiment.json")).toStdString()));
    else
      setRuleSet(prune::RuleSet());
  } catch (const std::exception& e) {
    m_message->setText(QString::fromStdString(e.what()));
  }
  reloadRounds();
}

void RulesPanel::setExperimentDocument(ExperimentDocument* document) {
  m_document = document;
  // Another panel's edit of the prune section (the review's "add annotation_override") shows here.
  connect(document, &ExperimentDocument::changed, this, [this](QObject* origin) {
    if (origin == this || !m_document->isOpen()) return;
    const nlohmann::json& doc = m_document->json();
    const nlohmann::json prune = doc.is_object() ? doc.value("prune", nlohmann::json::object()) : nlohmann::json::object();
    if (prune != m_rules.to_json()) loadRuleSet(doc);
  });
}

void RulesPanel::loadRuleSet(const nlohmann::json& doc) {
  std::vector<FieldIssue> issues;
  const auto rules = prune::RuleSet::parse(doc.is_object() ? doc.value("prune", nlohmann::json::object())
                                                           : nlohmann::json::object(),
                                           "prune", issues);
  if (issues.empty()) setRuleSet(rules);
  else m_message->setText(QString::fromStdString(issues.front().to_string()));
}

void RulesPanel::reloadRounds() {
  const int keep = m_round;
  m_roundBox->blockSignals(true);
  m_roundBox->clear();
  const auto paths = run::ExperimentPaths::locate(m_dir.toStdString());
  if (QFileInfo::exists(QString::fromStdString(paths.store_file))) {
    try {
      store::Store store(paths.store_file, store::OpenMode::read_only);
      const auto experiments = store.list_experiments();
      if (!experiments.empty())
        for (const auto& r : store.list_rounds(experiments.front().id))
          if (r.round_index > 0 && r.state != store::RoundState::Think && r.state != store::RoundState::Pending)
            m_roundBox->addItem(tr("round %1 (%2)").arg(r.round_index).arg(QString::fromLatin1(store::to_string(r.state))),
                                r.round_index);
    } catch (const std::exception&) {
    }
  }
  m_roundBox->blockSignals(false);
  const int index = m_roundBox->findData(keep);
  if (index >= 0) {
    m_roundBox->setCurrentIndex(index);
    selectRound(keep);
  } else if (m_roundBox->count() > 0) {
    m_roundBox->setCurrentIndex(m_roundBox->count() - 1);
    selectRound(m_roundBox->currentData().toInt());
  } else {
    m_round = -1;
    m_inputs.clear();
    recompute();
  }
}

bool RulesPanel::setRuleSet(const prune::RuleSet& rules) {
  m_rules = rules;
  m_extractor->blockSignals(true);
  m_normalize->blockSignals(true);
  const auto verifier = rules.verifier().to_json();
  m_extractor->setCurrentIndex(std::max(0, m_extractor->findData(QString::fromStdString(verifier.value("extractor", "strict")))));
  if (verifier.contains("normalize") && verifier["normalize"].is_string())
    m_normalize->setCurrentIndex(
        std::max(0, m_normalize->findData(QString::fromStdString(verifier["normalize"].get<std::string>()))));
  m_extractor->blockSignals(false);
  m_normalize->blockSignals(false);
  rebuildList();
  recompute();
  return true;
}

bool RulesPanel::replaceRules(const std::vector<prune::Rule>& rules) {
  try {
    return setRuleSet(prune::RuleSet(m_rules.verifier(), rules));
  } catch (const std::exception& e) {
    m_message->setText(QString::fromStdString(e.what()));
    return false;
  }
}

bool RulesPanel::selectRound(int round) {
  m_round = round;
  try {
    m_inputs = report::round_prune_inputs(m_dir.toStdString(), round);
  } catch (const std::exception& e) {
    m_inputs.clear();
    m_message->setText(QString::fromStdString(e.what()));
  }
  const int index = m_roundBox->findData(round);
  if (index >= 0 && m_roundBox->currentIndex() != index) {
    m_roundBox->blockSignals(true);
    m_roundBox->setCurrentIndex(index);
    m_roundBox->blockSignals(false);
  }
  recompute();
  return !m_inputs.empty();
}

void RulesPanel::rebuildList() {
  const int row = m_list->currentRow();
  m_list->blockSignals(true);
  m_list->clear();
  for (const auto& rule : m_rules.rules()) {
    auto* item = new QListWidgetItem(ruleLabel(rule), m_list);
    item->setFlags(item->flags() | Qt::ItemIsUserCheckable);
    item->setCheckState(rule.enabled ? Qt::Checked : Qt::Unchecked);
  }
  m_list->blockSignals(false);
  m_list->setCurrentRow(std::min(std::max(row, 0), m_list->count() - 1));
  showRuleJson();
}

void RulesPanel::recompute() {
  m_funnelTable->setRowCount(0);
  try {
    m_funnel = report::compute_funnel(m_inputs, m_rules);
  } catch (const std::exception& e) {
    m_funnel = {};
    m_summary->setText(QString::fromStdString(e.what()));
    return;
  }
  m_funnelTable->setRowCount(static_cast<int>(m_funnel.steps.size()));
  for (int i = 0; i < static_cast<int>(m_funnel.steps.size()); ++i) {
    const auto& s = m_funnel.steps[static_cast<size_t>(i)];
    m_funnelTable->setItem(i, 0, new QTableWidgetItem(QString::fromStdString(s.rule)));
    m_funnelTable->setItem(i, 1, new QTableWidgetItem(QString::number(s.failed)));
    m_funnelTable->setItem(i, 2, new QTableWidgetItem(QString::number(s.dropped)));
    m_funnelTable->setItem(i, 3, new QTableWidgetItem(QString::number(s.remaining)));
  }
  if (m_inputs.empty()) {
    m_summary->setText(tr("No pruned round to show yet: the funnel appears once a round has sampled."));
    return;
  }
  QStringList perProblem;
  for (const auto& [kept, problems] : m_funnel.kept_per_problem) perProblem << tr("%1 kept: %2").arg(kept).arg(problems);
  // A truncated trace never reached its answer line on its own: worth seeing before training.
  const QString truncated = m_funnel.truncated == 0
                                ? QString()
                                : tr("\n%1 samples truncated at max_new_tokens (%2 of them kept).")
                                      .arg(m_funnel.truncated)
                                      .arg(m_funnel.truncated_kept);
  m_summary->setText(tr("Round %1: %2 of %3 samples kept; %4 of %5 problems keep at least one; %6 tokens kept.\n"
                        "Problems by kept samples — %7")
                         .arg(m_round)
                         .arg(m_funnel.kept)
                         .arg(m_funnel.samples)
                         .arg(m_funnel.problems_kept)
                         .arg(m_funnel.problems)
                         .arg(m_funnel.tokens_kept)
                         .arg(perProblem.join(QStringLiteral(", "))) +
                     truncated + codeVerdictSummary(m_funnel));
}

QString RulesPanel::summaryText() const { return m_summary->text(); }

void RulesPanel::showRuleJson() {
  const int row = m_list->currentRow();
  if (row < 0 || row >= static_cast<int>(m_rules.rules().size())) {
    m_ruleJson->clear();
    m_testsRow->hide();
    return;
  }
  const prune::Rule& rule = m_rules.rules()[static_cast<size_t>(row)];
  m_ruleJson->setPlainText(QString::fromStdString(rule.to_json().dump()));
  const bool tests = rule.type == prune::RuleType::TestsPass;
  m_testsRow->setVisible(tests);
  if (tests) {
    m_testsMode->blockSignals(true);
    m_testsMode->setCurrentIndex(std::max(0, m_testsMode->findData(QString::fromLatin1(prune::to_string(rule.tests)))));
    m_testsMode->setToolTip(m_testsMode->currentData(Qt::ToolTipRole).toString());
    m_testsMode->blockSignals(false);
  }
}

void RulesPanel::applyTestsMode() {
  const int row = m_list->currentRow();
  auto rules = m_rules.rules();
  if (row < 0 || row >= static_cast<int>(rules.size()) || rules[static_cast<size_t>(row)].type != prune::RuleType::TestsPass)
    return;
  const QString mode = m_testsMode->currentData().toString();
  m_testsMode->setToolTip(m_testsMode->currentData(Qt::ToolTipRole).toString());
  rules[static_cast<size_t>(row)].tests = mode == QStringLiteral("any")           ? prune::TestsMode::Any
                                          : mode == QStringLiteral("public_only") ? prune::TestsMode::PublicOnly
                                                                                  : prune::TestsMode::All;
  replaceRules(rules);
}

void RulesPanel::applyRuleJson() {
  const int row = m_list->currentRow();
  if (row < 0) return;
  try {
    const auto j = io::parse_json_bounded(m_ruleJson->toPlainText().toStdString());
    std::vector<FieldIssue> issues;
    auto rule = prune::Rule::parse(j, "rule", issues);
    if (!rule || !issues.empty()) {
      m_message->setText(issues.empty() ? tr("rule: unknown type") : QString::fromStdString(issues.front().to_string()));
      return;
    }
    auto rules = m_rules.rules();
    rules[static_cast<size_t>(row)] = *rule;
    replaceRules(rules);
    m_message->clear();
  } catch (const std::exception& e) {
    m_message->setText(QString::fromStdString(e.what()));
  }
}

void RulesPanel::moveRule(int delta) {
  const int row = m_list->currentRow(), to = row + delta;
  auto rules = m_rules.rules();
  if (row < 0 || to < 0 || to >= static_cast<int>(rules.size())) return;
  std::swap(rules[static_cast<size_t>(row)], rules[static_cast<size_t>(to)]);
  replaceRules(rules);
  m_list->setCurrentRow(to);
}

void RulesPanel::fromListChecks() {
  auto rules = m_rules.rules();
  for (int i = 0; i < m_list->count() && i < static_cast<int>(rules.size()); ++i)
    rules[static_cast<size_t>(i)].enabled = m_list->item(i)->checkState() == Qt::Checked;
  try {
    m_rules.set_rules(rules);
  } catch (const std::exception& e) {
    m_message->setText(QString::fromStdString(e.what()));
  }
  recompute();
}

bool RulesPanel::useForNextPrune() {
  if (m_document && m_document->isOpen()) {
    m_document->setSection("prune", m_rules.to_json(), this);
    QString error;
    if (!m_document->save(&error)) {
      m_message->setText(tr("The rule set is in the experiment's settings but they cannot be saved yet: %1").arg(error));
      return false;
    }
    m_message->setText(tr("Saved in experiment.json: the next Prune uses this rule set."));
    Q_EMIT ruleSetSaved();
    return true;
  }
  try {
    const std::string file = QDir(m_dir).filePath(QStringLiteral("experiment.json")).toStdString();
    auto doc = io::read_json_file(file);
    doc["prune"] = m_rules.to_json();
    io::write_json_file(file, doc);
    m_message->setText(tr("Saved in experiment.json: the next Prune uses this rule set."));
    Q_EMIT ruleSetSaved();
    return true;
  } catch (const std::exception& e) {
    m_message->setText(QString::fromStdString(e.what()));
    return false;
  }
}

bool RulesPanel::repruneRound() {
  if (m_round < 1) return false;
  try {
    m_funnel = report::reprune_round(m_dir.toStdString(), m_round, m_rules);
    m_message->setText(tr("Round %1 re-pruned: %2 samples kept.").arg(m_round).arg(m_funnel.kept));
    Q_EMIT roundRepruned(m_round);
    return true;
  } catch (const std::exception& e) {
    m_message->setText(QString::fromStdString(e.what()));
    return false;
  }
}

QString RulesPanel::message() const { return m_message->text(); }

}  // namespace tpt::ui
