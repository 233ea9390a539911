#include "trace_browser.h"

#include <QAction>
#include <QCheckBox>
#include <QComboBox>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QMap>
#include <QMenu>
#include <QMessageBox>
#include <QMetaMethod>
#include <QPushButton>
#include <QRegularExpression>
#include <QSettings>
#include <QSplitter>
#include <QTableView>
#include <QTableWidget>
#include <QTextBrowser>
#include <QTimer>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>
#include <optional>

#include "code/code_problem.h"
#include "code_sample_view.h"
#include "io/json_fields.h"
#include "report/status.h"
#include "run/paths.h"
#include "sample_table_model.h"
#include "store/store.h"

namespace tpt::ui {

namespace {

// QSettings keys: the Review page's layout and the annotator's preferences.
const char* const kSplitterKey = "review/splitter";
const char* const kDetailSplitterKey = "review/detailSplitter";
const char* const kListColumnsKey = "review/listColumns";
const char* const kAutoAdvanceKey = "review/autoAdvance";
const char* const kAnnotatorKey = "annotation/name";

// Long enough to finish a word, short enough that the list follows the typing.
constexpr int kFilterDelayMs = 250;

QString labelVerb(store::Label label) {
  switch (label) {
    case store::Label::Accept: return TraceBrowser::tr("accepted");
    case store::Label::Reject: return TraceBrowser::tr("rejected");
    case store::Label::Flag: return TraceBrowser::tr("flagged");
    case store::Label::None: break;
  }
  return {};
}

QString checkerWord(bool right) { return right ? TraceBrowser::tr("right") : TraceBrowser::tr("wrong"); }

}  // namespace

QString traceToHtml(const QString& trace, const QString& extracted, bool correct) {
  QString html = trace.toHtmlEscaped();
  // Calculator annotations, escaped: &lt;&lt;3*4=12&gt;&gt;
  static const QRegularExpression calc(QStringLiteral("&lt;&lt;(.*?)&gt;&gt;"));
  html.replace(calc, QStringLiteral("<span style=\"background:#cfe2ff;color:#084298\">&lt;&lt;\\1&gt;&gt;</span>"));
  static const QRegularExpression answerLine(QStringLiteral("(####[^\\n]*)"));
  const QString color = correct ? QStringLiteral("#198754") : QStringLiteral("#b02a37");
  html.replace(answerLine, QStringLiteral("<b style=\"color:%1\">\\1</b>").arg(color));
  if (!extracted.isEmpty() && !trace.contains(QStringLiteral("####"))) {
    // Flexible extraction took the last number: mark its last occurrence.
    const QString escaped = extracted.toHtmlEscaped();
    const int at = html.lastIndexOf(escaped);
    if (at >= 0)
      html.replace(at, escaped.size(), QStringLiteral("<u style=\"color:%1\">%2</u>").arg(color, escaped));
  }
  html.replace(QLatin1Char('\n'), QStringLiteral("<br>"));
  return QStringLiteral("<div style=\"font-family:monospace\">%1</div>").arg(html);
}

prune::RuleSet withAnnotationOverride(const prune::RuleSet& rules) {
  std::vector<prune::Rule> list = rules.rules();
  for (auto& rule : list) {
    if (rule.type != prune::RuleType::AnnotationOverride) continue;
    rule.enabled = true;
    return prune::RuleSet(rules.verifier(), list);
  }
  const auto firstSetRule = std::find_if(list.begin(), list.end(), [](const prune::Rule& r) { return r.is_set_rule(); });
  list.insert(firstSetRule, prune::Rule(prune::RuleType::AnnotationOverride));
  return prune::RuleSet(rules.verifier(), list);
}

TraceBrowser::TraceBrowser(QWidget* parent) : QWidget(parent) {
  setObjectName(QStringLiteral("traceBrowser"));
  m_model = new SampleTableModel(this);
  m_filterDelay = new QTimer(this);
  m_filterDelay->setSingleShot(true);
  m_filterDelay->setInterval(kFilterDelayMs);
  connect(m_filterDelay, &QTimer::timeout, this, &TraceBrowser::applyTextFilters);

  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(4, 4, 4, 4);
  // Widgets are created in reading order, which is also their tab order.
  layout->addLayout(buildFilterBar());
  m_audit = new QLabel(this);
  m_audit->setObjectName(QStringLiteral("checkerAudit"));
  m_audit->setWordWrap(true);
  layout->addWidget(m_audit);
  m_split = new QSplitter(Qt::Horizontal, this);
  m_split->setObjectName(QStringLiteral("reviewSplitter"));
  m_split->setChildrenCollapsible(false);
  buildSampleList();
  m_split->addWidget(m_table);
  m_split->addWidget(buildDetailPane());
  // The trace gets the room: the list is a narrow index beside it.
  m_split->setStretchFactor(0, 0);
  m_split->setStretchFactor(1, 1);
  m_split->setSizes({420, 940});
  layout->addWidget(m_split, 1);
  createActions();
  restoreLayout();
}

QHBoxLayout* TraceBrowser::buildFilterBar() {
  auto* filters = new QHBoxLayout;
  // Each box is connected once filled, so filling it does not filter.
  auto combo = [&](const QString& name, const QStringList& labels, const QVariantList& values) {
    auto* box = new QComboBox(this);
    box->setObjectName(name);
    // Sized to a short choice, not the longest (a rule's name, an audit direction): the bar of
    // six filters must fit a 1366-pixel screen; the open list shows every choice in full.
    box->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    box->setMinimumContentsLength(8);
    for (int i = 0; i < labels.size(); ++i) box->addItem(labels[i], values[i]);
    connect(box, qOverload<int>(&QComboBox::currentIndexChanged), this, &TraceBrowser::applyFilter);
    filters->addWidget(box);
    return box;
  };
  m_round = combo(QStringLiteral("roundFilter"), {tr("all rounds")}, {QVariant()});
  m_verdict = combo(QStringLiteral("verdictFilter"), {tr("any verdict"), tr("correct"), tr("wrong"), tr("no answer")},
                    {QVariant(), QStringLiteral("correct"), QStringLiteral("wrong"), QStringLiteral("no_answer")});
  m_kept = combo(QStringLiteral("keptFilter"), {tr("kept or dropped"), tr("kept"), tr("dropped")},
                 {QVariant(), true, false});
  m_rule = combo(QStringLiteral("ruleFilter"), {tr("any rule")}, {QVariant()});
  m_label = combo(QStringLiteral("labelFilter"),
                  {tr("any annotation"), tr("annotated"), tr("not annotated"), tr("accepted"), tr("rejected"),
                   tr("flagged")},
                  {QVariant(), QStringLiteral("annotated"), QStringLiteral("none"), QStringLiteral("accept"),
                   QStringLiteral("reject"), QStringLiteral("flag")});
  m_checkers = combo(QStringLiteral("verifierFilter"),
                     {tr("Verifier: all"), tr("strict wrong, flexible right"), tr("strict right, flexible wrong"),
                      tr("checkers disagree")},
                     {QVariant(), static_cast<int>(store::CheckerAudit::StrictWrongFlexibleRight),
                      static_cast<int>(store::CheckerAudit::StrictRightFlexibleWrong),
                      static_cast<int>(store::CheckerAudit::Disagree)});
  m_checkers->setToolTip(tr("The verifier audit: samples the strict checker (the first \"#### N\", exact) and the "
                            "flexible one (the last number, compared as a number) judge differently"));
  m_problem = new QLineEdit(this);
  m_problem->setObjectName(QStringLiteral("problemFilter"));
  m_problem->setPlaceholderText(tr("problem id"));
  m_problem->setToolTip(tr("Problems whose id starts with this"));
  m_problem->setClearButtonEnabled(true);
  m_problem->setMaximumWidth(140);
  filters->addWidget(m_problem);
  m_search = new QLineEdit(this);
  m_search->setObjectName(QStringLiteral("textFilter"));
  m_search->setPlaceholderText(tr("search the traces (Ctrl+F)"));
  m_search->setClearButtonEnabled(true);
  filters->addWidget(m_search, 1);
  // Filters apply as you type, once the typing pauses; leaving the field applies at once.
  for (QLineEdit* edit : {m_problem, m_search}) {
    connect(edit, &QLineEdit::textChanged, m_filterDelay, qOverload<>(&QTimer::start));
    connect(edit, &QLineEdit::editingFinished, this, &TraceBrowser::applyTextFilters);
  }
  m_count = new QLabel(this);
  m_count->setObjectName(QStringLiteral("matchCount"));
  filters->addWidget(m_count);
  return filters;
}

void TraceBrowser::buildSampleList() {
  m_table = new QTableView(this);
  m_table->setObjectName(QStringLiteral("sampleTable"));
  m_table->setModel(m_model);
  m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
  m_table->setSelectionMode(QAbstractItemView::SingleSelection);
  m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
  m_table->setWordWrap(false);
  m_table->setTextElideMode(Qt::ElideRight);
  m_table->verticalHeader()->hide();
  m_table->verticalHeader()->setDefaultSectionSize(22);
  QHeaderView* header = m_table->horizontalHeader();
  header->setStretchLastSection(true);  // the preview takes what is left
  for (const auto& [column, width] : {std::pair{SampleTableModel::Id, 60}, {SampleTableModel::Round, 42},
                                      {SampleTableModel::Sample, 30}, {SampleTableModel::Problem, 80},
                                      {SampleTableModel::Verdict, 70}, {SampleTableModel::Label, 50},
                                      {SampleTableModel::Tokens, 52}, {SampleTableModel::Checkers, 90}})
    m_table->setColumnWidth(column, width);
  // A narrow list: where the trace is, what became of it, how it starts. The other columns are
  // a right click away.
  for (int column : {SampleTableModel::Id, SampleTableModel::Sample, SampleTableModel::Extracted,
                     SampleTableModel::Kept, SampleTableModel::DroppedBy, SampleTableModel::Tokens,
                     SampleTableModel::Finish, SampleTableModel::Checkers})
    m_table->setColumnHidden(column, true);
  header->setContextMenuPolicy(Qt::CustomContextMenu);
  connect(header, &QHeaderView::customContextMenuRequested, this, &TraceBrowser::showListMenu);
  connect(header, &QHeaderView::sectionResized, this,
          [this] { QSettings().setValue(QLatin1String(kListColumnsKey), m_table->horizontalHeader()->saveState()); });
  connect(m_model, &SampleTableModel::totalChanged, this,
          [this](qint64 total) { m_count->setText(tr("%L1 samples").arg(total)); });
  connect(m_table->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
          [this](const QModelIndex& current) { showSample(m_model->sampleId(current.row())); });
}

void TraceBrowser::showListMenu(const QPoint& at) {
  QHeaderView* header = m_table->horizontalHeader();
  QMenu menu(this);
  for (int column = 0; column < m_model->columnCount(); ++column) {
    QAction* toggle = menu.addAction(m_model->headerData(column, Qt::Horizontal).toString());
    toggle->setCheckable(true);
    toggle->setChecked(!header->isSectionHidden(column));
    connect(toggle, &QAction::toggled, this, [this, column](bool shown) {
      m_table->setColumnHidden(column, !shown);
      QSettings().setValue(QLatin1String(kListColumnsKey), m_table->horizontalHeader()->saveState());
    });
  }
  menu.exec(header->mapToGlobal(at));
}

// The selected trace above the same problem's other samples, and the review controls below.
QWidget* TraceBrowser::buildDetailPane() {
  auto* right = new QWidget(this);
  auto* rightLayout = new QVBoxLayout(right);
  rightLayout->setContentsMargins(0, 0, 0, 0);
  m_detailSplit = new QSplitter(Qt::Vertical, right);
  m_detailSplit->setObjectName(QStringLiteral("detailSplitter"));
  auto* trace = new QWidget(m_detailSplit);
  auto* traceLayout = new QVBoxLayout(trace);
  traceLayout->setContentsMargins(0, 0, 0, 0);
  m_detail = new QTextBrowser(trace);
  m_detail->setObjectName(QStringLiteral("traceDetail"));
  m_detail->setLineWrapMode(QTextEdit::WidgetWidth);
  // The trace is what an annotator reads all day: larger than the controls around it.
  QFont font = m_detail->font();
  if (font.pointSizeF() > 0) font.setPointSizeF(font.pointSizeF() * 1.3);
  else font.setPixelSize(font.pixelSize() * 13 / 10);
  m_detail->setFont(font);
  traceLayout->addWidget(m_detail, 3);
  m_code = new CodeSampleView(trace);
  m_code->hide();
  traceLayout->addWidget(m_code, 6);
  auto* others = new QWidget(m_detailSplit);
  auto* othersLayout = new QVBoxLayout(others);
  othersLayout->setContentsMargins(0, 0, 0, 0);
  othersLayout->addWidget(new QLabel(tr("The same problem, every sample and round (double-click to open):"), others));
  m_siblings = new QTableWidget(others);
  m_siblings->setObjectName(QStringLiteral("siblings"));
  m_siblings->setColumnCount(5);
  m_siblings->setHorizontalHeaderLabels({tr("round"), tr("#"), tr("verdict"), tr("kept"), tr("trace")});
  m_siblings->horizontalHeader()->setStretchLastSection(true);
  m_siblings->verticalHeader()->hide();
  m_siblings->verticalHeader()->setDefaultSectionSize(22);
  m_siblings->setEditTriggers(QAbstractItemView::NoEditTriggers);
  m_siblings->setSelectionBehavior(QAbstractItemView::SelectRows);
  connect(m_siblings, &QTableWidget::cellDoubleClicked, this, [this](int row, int) {
    const std::int64_t id = m_siblings->item(row, 0)->data(Qt::UserRole).toLongLong();
    if (!selectSample(id)) showSample(id);
  });
  othersLayout->addWidget(m_siblings);
  m_detailSplit->addWidget(trace);
  m_detailSplit->addWidget(others);
  m_detailSplit->setStretchFactor(0, 1);
  m_detailSplit->setStretchFactor(1, 0);
  m_detailSplit->setSizes({520, 110});
  rightLayout->addWidget(m_detailSplit, 1);
  rightLayout->addLayout(buildReviewRow(right));
  m_message = new QLabel(right);
  m_message->setObjectName(QStringLiteral("reviewMessage"));
  m_message->setWordWrap(true);
  m_message->setTextFormat(Qt::PlainText);
  rightLayout->addWidget(m_message);
  m_agreement = new QLabel(right);
  m_agreement->setObjectName(QStringLiteral("agreement"));
  m_agreement->setWordWrap(true);
  rightLayout->addWidget(m_agreement);
  return right;
}

QHBoxLayout* TraceBrowser::buildReviewRow(QWidget* parent) {
  auto* review = new QHBoxLayout;
  m_annotator = new QLineEdit(parent);
  m_annotator->setObjectName(QStringLiteral("annotatorName"));
  m_annotator->setPlaceholderText(tr("your name"));
  m_annotator->setMaximumWidth(140);
  m_annotator->setText(QSettings().value(QLatin1String(kAnnotatorKey)).toString());
  connect(m_annotator, &QLineEdit::editingFinished, this,
          [this] { QSettings().setValue(QLatin1String(kAnnotatorKey), m_annotator->text().trimmed()); });
  review->addWidget(m_annotator);
  m_comment = new QLineEdit(parent);
  m_comment->setObjectName(QStringLiteral("annotationComment"));
  m_comment->setPlaceholderText(tr("comment (C; Enter saves it with the label, Esc returns to the list)"));
  connect(m_comment, &QLineEdit::returnPressed, this, &TraceBrowser::saveComment);
  review->addWidget(m_comment, 1);
  const struct {
    const char* text;
    const char* name;
  } buttons[] = {{QT_TR_NOOP("Accept (A)"), "acceptButton"},
                 {QT_TR_NOOP("Reject (R)"), "rejectButton"},
                 {QT_TR_NOOP("Flag (F)"), "flagButton"},
                 {QT_TR_NOOP("Undo (U)"), "undoButton"}};
  for (const auto& b : buttons) {
    auto* button = new QPushButton(tr(b.text), parent);
    button->setObjectName(QString::fromLatin1(b.name));
    button->setFocusPolicy(Qt::NoFocus);  // a click labels; the focus stays where the keys work
    review->addWidget(button);
  }
  m_autoAdvanceBox = new QCheckBox(tr("Advance after labelling"), parent);
  m_autoAdvanceBox->setObjectName(QStringLiteral("autoAdvance"));
  review->addWidget(m_autoAdvanceBox);
  return review;
}

void TraceBrowser::createActions() {
  auto add = [this](const char* name, const QString& text, const QKeySequence& key, auto slot) {
    auto* action = new QAction(text, this);
    action->setObjectName(QString::fromLatin1(name));
    action->setShortcut(key);
    // Anywhere in the browser. Text fields take printable keys before shortcuts, so typing a
    // comment or a search never labels or moves.
    action->setShortcutContext(Qt::WidgetWithChildrenShortcut);
    connect(action, &QAction::triggered, this, slot);
    addAction(action);
    m_actions << action;
    return action;
  };
  add("nextTraceAction", tr("Next trace"), QKeySequence(Qt::Key_J), [this] { move(1); });
  add("previousTraceAction", tr("Previous trace"), QKeySequence(Qt::Key_K), [this] { move(-1); });
  QAction* accept = add("acceptAction", tr("Accept the trace"), QKeySequence(Qt::Key_A),
                        [this] { annotateCurrent(store::Label::Accept); });
  QAction* reject = add("rejectAction", tr("Reject the trace"), QKeySequence(Qt::Key_R),
                        [this] { annotateCurrent(store::Label::Reject); });
  QAction* flag = add("flagAction", tr("Flag the trace"), QKeySequence(Qt::Key_F),
                      [this] { annotateCurrent(store::Label::Flag); });
  QAction* undo = add("undoLabelAction", tr("Undo the last label"), QKeySequence(Qt::Key_U), [this] { undoLastLabel(); });
  add("commentAction", tr("Comment on the trace"), QKeySequence(Qt::Key_C), [this] {
    m_comment->setFocus(Qt::ShortcutFocusReason);
    m_comment->selectAll();
  });
  add("backToListAction", tr("Back to the sample list"), QKeySequence(Qt::Key_Escape), [this] { focusList(); });
  add("searchAction", tr("Search the traces"), QKeySequence(Qt::CTRL | Qt::Key_F), [this] {
    m_search->setFocus(Qt::ShortcutFocusReason);
    m_search->selectAll();
  });
  add("reloadSamplesAction", tr("Reload the samples"), QKeySequence(Qt::CTRL | Qt::Key_R), [this] { reload(); });
  for (const auto& [action, name] : {std::pair{accept, "acceptButton"}, {reject, "rejectButton"}, {flag, "flagButton"},
                                     {undo, "undoButton"}}) {
    if (auto* button = findChild<QPushButton*>(QString::fromLatin1(name)))
      connect(button, &QPushButton::clicked, action, &QAction::trigger);
  }

  m_autoAdvanceAction = new QAction(tr("Advance after labelling"), this);
  m_autoAdvanceAction->setObjectName(QStringLiteral("autoAdvanceAction"));
  m_autoAdvanceAction->setCheckable(true);
  m_autoAdvanceAction->setChecked(QSettings().value(QLatin1String(kAutoAdvanceKey), true).toBool());
  m_autoAdvanceBox->setChecked(m_autoAdvanceAction->isChecked());
  connect(m_autoAdvanceAction, &QAction::toggled, this, [this](bool on) {
    m_autoAdvanceBox->setChecked(on);
    QSettings().setValue(QLatin1String(kAutoAdvanceKey), on);
  });
  connect(m_autoAdvanceBox, &QCheckBox::toggled, m_autoAdvanceAction, &QAction::setChecked);
}

void TraceBrowser::restoreLayout() {
  QSettings settings;
  // Saved as the annotator leaves them; the defaults above fit 1366x768.
  if (settings.contains(QLatin1String(kSplitterKey))) m_split->restoreState(settings.value(QLatin1String(kSplitterKey)).toByteArray());
  if (settings.contains(QLatin1String(kDetailSplitterKey)))
    m_detailSplit->restoreState(settings.value(QLatin1String(kDetailSplitterKey)).toByteArray());
  if (settings.contains(QLatin1String(kListColumnsKey)))
    m_table->horizontalHeader()->restoreState(settings.value(QLatin1String(kListColumnsKey)).toByteArray());
  connect(m_split, &QSplitter::splitterMoved, this,
          [this] { QSettings().setValue(QLatin1String(kSplitterKey), m_split->saveState()); });
  connect(m_detailSplit, &QSplitter::splitterMoved, this,
          [this] { QSettings().setValue(QLatin1String(kDetailSplitterKey), m_detailSplit->saveState()); });
}

TraceBrowser::~TraceBrowser() {
  // As the annotator left it (a splitter moved in code, or a drag not yet reported, counts too).
  QSettings settings;
  settings.setValue(QLatin1String(kSplitterKey), m_split->saveState());
  settings.setValue(QLatin1String(kDetailSplitterKey), m_detailSplit->saveState());
  settings.setValue(QLatin1String(kListColumnsKey), m_table->horizontalHeader()->saveState());
}

bool TraceBrowser::autoAdvance() const { return m_autoAdvanceAction->isChecked(); }

void TraceBrowser::setAutoAdvance(bool on) { m_autoAdvanceAction->setChecked(on); }

void TraceBrowser::focusList() {
  m_table->setFocus(Qt::ShortcutFocusReason);
  if (!m_table->currentIndex().isValid() && m_model->rowCount() > 0) m_table->selectRow(0);
}

void TraceBrowser::setExperiment(const QString& dir) {
  m_dir = dir;
  m_writer.reset();
  m_undo.clear();
  m_ruleOffered = false;
  m_message->clear();
  reload();
}

void TraceBrowser::reload() {
  const run::ExperimentPaths paths = run::ExperimentPaths::locate(m_dir.toStdString());
  const std::int64_t keep = currentSampleId();
  m_experimentId = 0;
  if (m_dir.isEmpty() || !QFileInfo::exists(QString::fromStdString(paths.store_file)) ||
      !m_model->open(QString::fromStdString(paths.store_file))) {
    m_model->close();
    m_count->setText(tr("no samples yet"));
    m_detail->clear();
    m_code->clear();
    m_code->hide();
    m_disagreements.clear();
    m_audit->clear();
    return;
  }
  store::Store& store = *m_model->store();
  const auto experiments = store.list_experiments();
  if (!experiments.empty()) m_experimentId = experiments.front().id;
  // Refill the round and rule choices, keeping the current ones.
  const QVariant round = m_round->currentData(), rule = m_rule->currentData();
  m_round->blockSignals(true);
  m_rule->blockSignals(true);
  while (m_round->count() > 1) m_round->removeItem(1);
  while (m_rule->count() > 1) m_rule->removeItem(1);
  QStringList rules;
  if (m_experimentId) {
    for (const auto& r : store.list_rounds(m_experimentId)) {
      if (r.round_index == 0) continue;  // round 0 samples nothing
      m_round->addItem(tr("round %1").arg(r.round_index), r.round_index);
      for (const auto& name : store.dropping_rules(r.id))
        if (!rules.contains(QString::fromStdString(name))) rules << QString::fromStdString(name);
    }
  }
  for (const auto& name : rules) m_rule->addItem(tr("dropped by %1").arg(name), name);
  m_round->setCurrentIndex(std::max(0, m_round->findData(round)));
  m_rule->setCurrentIndex(std::max(0, m_rule->findData(rule)));
  m_round->blockSignals(false);
  m_rule->blockSignals(false);
  applyFilter();
  if (keep) selectSample(keep);
  updateAgreement();
  updateAudit();
}

store::SampleFilter TraceBrowser::currentFilter() const {
  store::SampleFilter f;
  if (m_experimentId) f.experiment_id = m_experimentId;
  if (m_round->currentData().isValid()) f.round_index = m_round->currentData().toInt();
  if (m_verdict->currentData().isValid())
    f.verdict = prune::parse_verdict(m_verdict->currentData().toString().toStdString());
  if (m_kept->currentData().isValid()) f.kept = m_kept->currentData().toBool();
  if (m_rule->currentData().isValid()) f.dropped_by = m_rule->currentData().toString().toStdString();
  const QString label = m_label->currentData().toString();
  if (label == QStringLiteral("annotated")) f.annotated = true;
  else if (label == QStringLiteral("none")) f.annotated = false;
  else if (!label.isEmpty()) f.latest_label = prune::parse_annotation_label(label.toStdString());
  if (m_checkers->currentData().isValid()) f.checkers = static_cast<store::CheckerAudit>(m_checkers->currentData().toInt());
  if (!m_search->text().trimmed().isEmpty()) f.text_contains = m_search->text().trimmed().toStdString();
  const QString problem = m_problem->text().trimmed();
  if (!problem.isEmpty()) f.problem_key_prefix = problem.toStdString();
  return f;
}

void TraceBrowser::applyTextFilters() {
  m_filterDelay->stop();
  // Leaving a field whose text already applies must not reset the list and its selection.
  if (m_problem->text().trimmed() == m_appliedProblem && m_search->text().trimmed() == m_appliedSearch) return;
  applyFilter();
}

void TraceBrowser::applyFilter() {
  m_filterDelay->stop();
  m_appliedProblem = m_problem->text().trimmed();
  m_appliedSearch = m_search->text().trimmed();
  if (!m_model->store()) return;
  try {
    m_model->setFilter(currentFilter());
  } catch (const std::exception& e) {
    setNotice(QString::fromStdString(e.what()));
  }
  if (m_model->rowCount() > 0) m_table->selectRow(0);
  else showSample(0);
}

std::int64_t TraceBrowser::currentSampleId() const {
  const QModelIndex current = m_table->currentIndex();
  return current.isValid() ? m_model->sampleId(current.row()) : 0;
}

bool TraceBrowser::selectSample(std::int64_t sampleId) {
  int row = m_model->rowOf(sampleId);
  // Page forward until it is loaded (keyset paging makes each page cheap).
  while (row < 0 && m_model->canFetchMore({})) {
    m_model->fetchMore({});
    row = m_model->rowOf(sampleId);
  }
  if (row < 0) return false;
  m_table->selectRow(row);
  m_table->scrollTo(m_model->index(row, 0));
  return true;
}

QString TraceBrowser::detailHtml() const { return m_detail->toHtml(); }

void TraceBrowser::showSample(std::int64_t sampleId) {
  m_siblings->setRowCount(0);
  if (!sampleId || !m_model->store()) {
    m_detail->clear();
    m_code->clear();
    m_code->hide();
    return;
  }
  store::Store& store = *m_model->store();
  const auto detail = store.get_sample(sampleId);
  if (!detail) return;
  const auto& d = *detail;
  const bool isCode = code::CodeSpec::is_spec(d.problem.gold) || (d.decision && !d.decision->detail.empty());
  if (isCode) {
    showCodeSample(d);
  } else {
    m_code->hide();
    showMathSample(d);
  }
  showSiblings(d.problem.id, sampleId);
}

QString TraceBrowser::sampledByHtml(const store::SampleDetail& d) const {
  // Who drew the round's Think samples: the engine, or a server (URL, version, launched or
  // attached), as `tpt status` names it.
  QStringList sampledBy;
  for (const auto& origin : m_model->store()->list_sampler_origins(m_experimentId, d.sample.round_id))
    if (origin.phase == "think") sampledBy << QString::fromStdString(report::describe_sampler(origin)).toHtmlEscaped();
  if (sampledBy.isEmpty()) return {};
  return tr("<p><b>Sampled by:</b> %1</p>").arg(sampledBy.join(QStringLiteral("; ")));
}

QString TraceBrowser::traceHeadingHtml(const store::SampleDetail& d) const {
  if (isTruncated(d.sample.finish_reason)) {
    // The model was still writing when it hit the limit: its answer, if any, is not its last
    // word, which matters when judging a wrong or missing answer.
    return tr("<p><b>Trace</b> (%1 tokens, <span style=\"color:#b35c00\"><b>truncated at max_new_tokens = "
              "%2</b></span>):</p>")
        .arg(d.sample.token_count)
        .arg(d.sample.sampling.max_new_tokens);
  }
  return tr("<p><b>Trace</b> (%1 tokens, %2):</p>")
      .arg(d.sample.token_count)
      .arg(QString::fromStdString(d.sample.finish_reason).toHtmlEscaped());
}

QString TraceBrowser::rulesTableHtml(const store::DecisionRecord& dec) const {
  QString html = QStringLiteral("<table border=\"1\" cellpadding=\"3\" cellspacing=\"0\"><tr><th>%1</th><th>%2</th><th>%3</th></tr>")
                     .arg(tr("rule"), tr("outcome"), tr("why"));
  for (const auto& v : dec.rules)
    html += QStringLiteral("<tr><td>%1</td><td>%2</td><td>%3</td></tr>")
                .arg(QString::fromStdString(v.rule).toHtmlEscaped(), QString::fromLatin1(prune::to_string(v.outcome)),
                     QString::fromStdString(v.reason).toHtmlEscaped());
  html += QStringLiteral("</table>");
  return html;
}

QString TraceBrowser::annotationsHtml(const store::SampleDetail& d) const {
  if (d.annotations.empty()) return {};
  // Newest first: the current label heads the list, what it replaced follows, struck through.
  QString html = tr("<p><b>Labels</b></p><ul>");
  for (auto a = d.annotations.rbegin(); a != d.annotations.rend(); ++a) {
    QString line = QStringLiteral("%1 — %2 (%3)%4")
                       .arg(QString::fromStdString(a->time), QString::fromStdString(a->annotator).toHtmlEscaped(),
                            QString::fromLatin1(prune::to_string(a->label)),
                            a->comment.empty() ? QString()
                                               : QStringLiteral(": ") + QString::fromStdString(a->comment).toHtmlEscaped());
    switch (a->state) {
      case store::AnnotationState::Current: line = tr("<b>%1</b> — current").arg(line); break;
      case store::AnnotationState::Superseded:
        line = tr("<s>%1</s> — replaced %2").arg(line, QString::fromStdString(a->replaced_at));
        break;
      case store::AnnotationState::Undone:
        line = tr("<s>%1</s> — undone %2").arg(line, QString::fromStdString(a->replaced_at));
        break;
    }
    html += QStringLiteral("<li>%1</li>").arg(line);
  }
  html += QStringLiteral("</ul>");
  return html;
}

// A math sample, in the order an annotator reads it: the question, the trace with its
// calculator annotations and extracted answer, the gold answer, the verdict and the decision.
void TraceBrowser::showMathSample(const store::SampleDetail& d) {
  const bool correct = d.decision ? d.decision->verdict == prune::Verdict::Correct
                                  : d.sample.correct_strict.value_or(false);
  QString html = tr("<h3>%1 · round %2 · sample %3</h3>")
                     .arg(QString::fromStdString(d.problem.problem_key).toHtmlEscaped())
                     .arg(d.round_index)
                     .arg(d.sample.sample_index);
  html += tr("<p><b>Question.</b> %1</p>").arg(QString::fromStdString(d.problem.question).toHtmlEscaped());
  html += traceHeadingHtml(d);
  html += traceToHtml(QString::fromStdString(d.sample.text),
                      d.decision && d.decision->extracted ? QString::fromStdString(*d.decision->extracted) : QString(),
                      correct);
  html += tr("<p><b>Gold answer:</b> %1</p>").arg(QString::fromStdString(d.problem.gold).toHtmlEscaped());
  if (d.decision) {
    const auto& dec = *d.decision;
    html += tr("<p><b>Extracted:</b> %1 — <b>%2</b>, %3</p>")
                .arg(dec.extracted ? QString::fromStdString(*dec.extracted).toHtmlEscaped() : tr("(none)"))
                .arg(QString::fromLatin1(prune::to_string(dec.verdict)))
                .arg(dec.kept ? tr("kept") : tr("dropped by %1").arg(QString::fromStdString(dec.dropped_by)));
  } else {
    html += tr("<p><i>Not pruned yet.</i></p>");
  }
  if (d.sample.correct_strict && d.sample.correct_flexible) {
    const bool disagree = *d.sample.correct_strict != *d.sample.correct_flexible;
    html += tr("<p><b>Checkers:</b> strict %1, flexible %2%3</p>")
                .arg(checkerWord(*d.sample.correct_strict), checkerWord(*d.sample.correct_flexible),
                     disagree ? tr(" — <b style=\"color:#b35c00\">they disagree</b>") : QString());
  }
  if (d.decision) html += rulesTableHtml(*d.decision);
  html += annotationsHtml(d);
  html += sampledByHtml(d);
  m_detail->setHtml(html);
}

// A code sample: the statement and the decision above, the program and its tests below (the
// tests' JSON gold would only be noise in the text).
void TraceBrowser::showCodeSample(const store::SampleDetail& d) {
  std::optional<code::CodeSpec> spec;
  QString problem;
  if (code::CodeSpec::is_spec(d.problem.gold)) {
    try {
      spec = code::CodeSpec::parse(d.problem.gold);
    } catch (const std::exception& e) {
      problem = tr("The problem's tests cannot be read: %1").arg(QString::fromStdString(e.what()));
    }
  }
  std::optional<code::CodeJudgement> judgement;
  if (d.decision && !d.decision->detail.empty()) {
    try {
      judgement = code::CodeJudgement::from_json(nlohmann::json::parse(d.decision->detail));
    } catch (const std::exception& e) {
      problem = tr("The stored judgement cannot be read: %1").arg(QString::fromStdString(e.what()));
    }
  }
  QString html = tr("<h3>%1 · round %2 · sample %3</h3>")
                     .arg(QString::fromStdString(d.problem.problem_key).toHtmlEscaped())
                     .arg(d.round_index)
                     .arg(d.sample.sample_index);
  html += tr("<p><b>Problem.</b><br>%1</p>")
              .arg(QString::fromStdString(d.problem.question).toHtmlEscaped().replace(QLatin1Char('\n'), QStringLiteral("<br>")));
  if (spec) {
    QMap<QString, int> kinds;
    for (const auto& t : spec->tests) ++kinds[QString::fromStdString(t.kind)];
    QStringList parts;
    for (const char* kind : {"public", "private", "generated"})
      if (kinds.value(QString::fromLatin1(kind)))
        parts << tr("%1 %2").arg(kinds.value(QString::fromLatin1(kind))).arg(QString::fromLatin1(kind));
    QString limits;
    if (spec->time_limit_s > 0) limits += tr("; time limit %1 s").arg(spec->time_limit_s);
    if (spec->memory_limit_bytes > 0) limits += tr("; memory limit %1 MiB").arg(spec->memory_limit_bytes >> 20);
    html += tr("<p><b>Tests:</b> %1 (%2)%3</p>").arg(spec->tests.size()).arg(parts.join(QStringLiteral(", ")), limits);
  }
  html += sampledByHtml(d);
  html += tr("<p><b>Completion</b> (%1 tokens, %2), below with its program highlighted.</p>")
              .arg(d.sample.token_count)
              .arg(isTruncated(d.sample.finish_reason)
                       ? tr("<span style=\"color:#b35c00\"><b>truncated at max_new_tokens = %1</b></span>")
                             .arg(d.sample.sampling.max_new_tokens)
                       : QString::fromStdString(d.sample.finish_reason).toHtmlEscaped());
  if (d.decision) {
    const auto& dec = *d.decision;
    html += tr("<p><b>Decision:</b> %1</p>")
                .arg(dec.kept ? tr("kept") : tr("dropped by %1").arg(QString::fromStdString(dec.dropped_by).toHtmlEscaped()));
    html += rulesTableHtml(dec);
  } else {
    html += tr("<p><i>Not pruned yet.</i></p>");
  }
  html += annotationsHtml(d);
  m_detail->setHtml(html);
  m_code->showSample(QString::fromStdString(d.sample.text), judgement, spec, problem);
  m_code->show();
}

void TraceBrowser::showSiblings(std::int64_t problemId, std::int64_t sampleId) {
  store::Store& store = *m_model->store();
  store::SampleFilter same;
  same.problem_id = problemId;
  const auto rows = store.list_samples(same, 0, 200);
  m_siblings->setRowCount(static_cast<int>(rows.size()));
  for (int i = 0; i < static_cast<int>(rows.size()); ++i) {
    const auto& r = rows[static_cast<size_t>(i)];
    auto* round = new QTableWidgetItem(QString::number(r.round_index));
    round->setData(Qt::UserRole, QVariant::fromValue<qlonglong>(r.sample_id));
    m_siblings->setItem(i, 0, round);
    m_siblings->setItem(i, 1, new QTableWidgetItem(QString::number(r.sample_index)));
    m_siblings->setItem(i, 2, new QTableWidgetItem(SampleTableModel::verdictText(r)));
    m_siblings->setItem(i, 3, new QTableWidgetItem(r.kept ? (*r.kept ? tr("kept") : tr("dropped")) : QString()));
    m_siblings->setItem(i, 4, new QTableWidgetItem(QString::fromStdString(r.preview).simplified()));
    if (r.sample_id == sampleId) m_siblings->selectRow(i);
  }
}

QString TraceBrowser::annotator() const { return m_annotator->text().trimmed(); }

void TraceBrowser::setAnnotator(const QString& name) {
  m_annotator->setText(name);
  QSettings().setValue(QLatin1String(kAnnotatorKey), name.trimmed());
}

QString TraceBrowser::lastNotice() const { return m_message->text(); }

void TraceBrowser::setNotice(const QString& text) { m_message->setText(text); }

store::Store* TraceBrowser::writer() {
  if (!m_writer)
    m_writer = std::make_unique<store::Store>(run::ExperimentPaths::locate(m_dir.toStdString()).store_file);
  return m_writer.get();
}

std::optional<bool> TraceBrowser::ruleSetHasOverride(QString* error) const {
  // experiment.json is read each time: the Pruning mode or an editor may have changed it.
  const std::string file = run::ExperimentPaths::locate(m_dir.toStdString()).config_file;
  try {
    const nlohmann::json doc = io::read_json_file(file);
    const prune::RuleSet rules =
        doc.contains("prune") ? prune::RuleSet::from_json(doc.at("prune"), file) : prune::RuleSet();
    for (const auto& rule : rules.rules())
      if (rule.type == prune::RuleType::AnnotationOverride && rule.enabled) return true;
    return false;
  } catch (const std::exception& e) {
    if (error) *error = QString::fromStdString(e.what());
    return std::nullopt;
  }
}

bool TraceBrowser::offerOverrideRule() {
  const QString why = tr("The experiment's rule set has no annotation_override rule, so labels are recorded but do "
                         "not change what Prune keeps.");
  // Without a receiver there is nobody to add the rule: say so plainly.
  if (!isSignalConnected(QMetaMethod::fromSignal(&TraceBrowser::overrideRuleRequested))) {
    if (m_ruleOfferAnswer == RuleOfferAnswer::Ask)
      QMessageBox::information(this, tr("Labels do not change pruning"),
                               why + QLatin1Char(' ') + tr("Add the rule in the Pruning mode for them to count."));
    return m_ruleOfferAnswer != RuleOfferAnswer::Cancel;
  }
  RuleOfferAnswer answer = m_ruleOfferAnswer;
  if (answer == RuleOfferAnswer::Ask) {
    QMessageBox box(QMessageBox::Question, tr("Add the annotation_override rule?"),
                    why + QLatin1Char(' ') +
                        tr("Add it to the rule set? It applies from the next Prune (a running experiment picks it up "
                           "when it is started again)."),
                    QMessageBox::NoButton, this);
    box.setObjectName(QStringLiteral("overrideRuleOffer"));
    // Mnemonics answer without Alt in a message box: an annotator who presses A (or L) again
    // answers the offer instead of dismissing it, and Enter takes the default.
    QPushButton* addRule = box.addButton(tr("&Add the rule"), QMessageBox::AcceptRole);
    QPushButton* anyway = box.addButton(tr("&Label anyway"), QMessageBox::RejectRole);
    box.addButton(QMessageBox::Cancel);
    box.setDefaultButton(addRule);
    box.exec();
    // Give the keys back to the review: without a window manager (Xvfb, a kiosk) nothing else
    // re-activates the main window when the box closes, and the next label key went nowhere.
    window()->activateWindow();
    answer = box.clickedButton() == addRule  ? RuleOfferAnswer::AddRule
             : box.clickedButton() == anyway ? RuleOfferAnswer::LabelAnyway
                                             : RuleOfferAnswer::Cancel;
  }
  if (answer == RuleOfferAnswer::AddRule) Q_EMIT overrideRuleRequested();
  return answer != RuleOfferAnswer::Cancel;
}

QString TraceBrowser::labelEffect(std::int64_t roundId) const {
  store::Store& store = *m_model->store();
  const auto round = store.get_round(roundId);
  if (!round) return {};
  const int n = round->round_index;
  // As report::reprune_round decides: a round that has trained is never pruned again.
  const bool trained = !store.list_train_steps(roundId).empty() || round->state == store::RoundState::Eval ||
                       round->state == store::RoundState::Done;
  if (trained)
    return tr("Round %1 has already trained, and a trained round is not pruned again: this label changes no training "
              "(it stays in the history and the agreement). Labels count for rounds not yet pruned.")
        .arg(n);
  switch (round->state) {
    case store::RoundState::Pending:
    case store::RoundState::Think: return tr("It applies when round %1 is pruned, after its Think.").arg(n);
    case store::RoundState::Prune: return tr("It applies at round %1's Prune, which has not run yet.").arg(n);
    case store::RoundState::Train:
      return tr("Round %1 was pruned before this label: re-prune it in the Pruning mode before its Train starts for "
                "the label to count.")
          .arg(n);
    case store::RoundState::Eval:
    case store::RoundState::Done: break;
  }
  return {};
}

bool TraceBrowser::storeLabel(std::int64_t sampleId, store::Label label, const QString& comment) {
  QString ruleError;
  if (ruleSetHasOverride(&ruleError) == false && !m_ruleOffered) {
    m_ruleOffered = true;
    if (!offerOverrideRule()) {
      m_ruleOffered = false;  // asked again at the next label
      setNotice(tr("Nothing stored: the label was cancelled."));
      return false;
    }
  }
  const auto detail = m_model->store()->get_sample(sampleId);
  if (!detail) {
    setNotice(tr("Sample %1 is not in the database.").arg(sampleId));
    return false;
  }
  try {
    store::AnnotationRecord a;
    a.sample_id = sampleId;
    a.annotator = annotator().toStdString();
    a.label = label;
    a.comment = comment.toStdString();
    m_undo.push_back({writer()->add_annotation(a), sampleId});
  } catch (const std::exception& e) {
    setNotice(QString::fromStdString(e.what()));
    return false;
  }
  QStringList notice;
  notice << tr("Sample %1 %2 by %3.").arg(sampleId).arg(labelVerb(label), annotator());
  notice << labelEffect(detail->sample.round_id);
  // Asked again now: the offer's receiver may just have added the rule.
  const std::optional<bool> hasRule = ruleSetHasOverride(&ruleError);
  if (hasRule == false)
    notice << tr("Labels are recorded but do not change pruning: the rule set in experiment.json has no "
                 "annotation_override rule (add it in the Pruning mode).");
  else if (!hasRule)
    notice << tr("Whether labels change pruning is unknown: %1").arg(ruleError);
  notice.removeAll(QString());
  setNotice(notice.join(QLatin1Char(' ')));
  return true;
}

// After the list was re-read: the labelled (or restored) sample again, or the one after it.
void TraceBrowser::reselectAfterChange(std::int64_t sampleId, int row, bool advance) {
  const int at = m_model->rowOf(sampleId);
  if (at >= 0) {
    if (advance && at + 1 >= m_model->rowCount() && m_model->canFetchMore({})) m_model->fetchMore({});
    const int target = advance ? std::min(at + 1, m_model->rowCount() - 1) : at;
    m_table->selectRow(target);
    m_table->scrollTo(m_model->index(target, 0));
    return;
  }
  if (!advance && selectSample(sampleId)) return;  // paged further than the rows loaded before
  if (row >= 0 && m_model->rowCount() > 0) {
    // It left the filter (a "not annotated" list): the row it had now holds the next sample.
    m_table->selectRow(std::min(row, m_model->rowCount() - 1));
  } else {
    showSample(0);
  }
}

bool TraceBrowser::annotateCurrent(store::Label label) {
  const std::int64_t id = currentSampleId();
  if (!id) {
    setNotice(tr("Select a sample to label."));
    return false;
  }
  if (annotator().isEmpty()) {
    setNotice(tr("Enter your name first: labels are signed."));
    m_annotator->setFocus();
    return false;
  }
  const int row = m_model->rowOf(id);
  if (!storeLabel(id, label, m_comment->text().trimmed())) return false;
  m_comment->clear();
  m_model->refresh();
  reselectAfterChange(id, row, autoAdvance());
  updateAgreement();
  Q_EMIT annotated(id);
  return true;
}

bool TraceBrowser::saveComment() {
  const std::int64_t id = currentSampleId();
  const QString comment = m_comment->text().trimmed();
  if (!id || comment.isEmpty()) {
    focusList();
    return false;
  }
  if (annotator().isEmpty()) {
    setNotice(tr("Enter your name first: labels are signed."));
    m_annotator->setFocus();
    return false;
  }
  std::optional<store::StoredAnnotation> current;
  try {
    current = m_model->store()->current_annotation(id);
  } catch (const std::exception& e) {
    setNotice(QString::fromStdString(e.what()));
    return false;
  }
  if (!current) {
    // A comment is part of a label; it waits in the field for A, R or F.
    setNotice(tr("Label the sample first (A, R or F): the comment is stored with the label."));
    focusList();
    return false;
  }
  const int row = m_model->rowOf(id);
  if (!storeLabel(id, current->label, comment)) return false;
  m_comment->clear();
  m_model->refresh();
  reselectAfterChange(id, row, false);
  focusList();
  Q_EMIT annotated(id);
  return true;
}

bool TraceBrowser::undoLastLabel() {
  if (m_undo.empty()) {
    setNotice(tr("No label to undo."));
    return false;
  }
  const StoredLabel last = m_undo.back();
  std::optional<store::StoredAnnotation> restored;
  try {
    restored = writer()->undo_annotation(last.annotationId);
  } catch (const std::exception& e) {
    // Someone labelled the sample again since: that label stands, and so does this one's undo
    // entry's loss (it cannot be taken back any more).
    m_undo.pop_back();
    setNotice(QString::fromStdString(e.what()));
    return false;
  }
  m_undo.pop_back();
  setNotice(restored ? tr("Label on sample %1 undone: it is %2 again (by %3).")
                           .arg(last.sampleId)
                           .arg(labelVerb(restored->label), QString::fromStdString(restored->annotator))
                     : tr("Label on sample %1 undone: it has no label now.").arg(last.sampleId));
  const int row = m_model->rowOf(last.sampleId);
  m_model->refresh();
  // Back to the sample whose label came back: auto-advance had moved on from it.
  if (!selectSample(last.sampleId)) reselectAfterChange(last.sampleId, row, false);
  updateAgreement();
  Q_EMIT annotated(last.sampleId);
  return true;
}

void TraceBrowser::updateAgreement() {
  if (!m_model->store() || !m_experimentId) {
    m_agreement->clear();
    return;
  }
  const auto a = m_model->store()->annotation_agreement(m_experimentId);
  const double rate = a.rate();
  m_agreement->setText(
      std::isnan(rate)
          ? tr("No accept/reject annotations yet.")
          : tr("Annotators agree with the verifier on %1% of %2 labelled traces (accepted: %3 right, %4 wrong; "
               "rejected: %5 right, %6 wrong; %7 flagged).")
                .arg(100 * rate, 0, 'f', 1)
                .arg(a.accept_correct + a.accept_wrong + a.reject_correct + a.reject_wrong)
                .arg(a.accept_correct)
                .arg(a.accept_wrong)
                .arg(a.reject_correct)
                .arg(a.reject_wrong)
                .arg(a.flagged));
}

QString TraceBrowser::agreementText() const { return m_agreement->text(); }

void TraceBrowser::updateAudit() {
  m_disagreements.clear();
  if (!m_model->store() || !m_experimentId) {
    m_audit->clear();
    return;
  }
  try {
    m_disagreements = m_model->store()->checker_disagreements(m_experimentId);
  } catch (const std::exception& e) {
    m_audit->setText(QString::fromStdString(e.what()));
    return;
  }
  QStringList rounds;
  std::int64_t unchecked = 0;
  for (const auto& r : m_disagreements) {
    rounds << tr("round %1: %2 (strict wrong, flexible right %3; strict right, flexible wrong %4)")
                  .arg(r.round_index)
                  .arg(r.disagreements())
                  .arg(r.strict_wrong_flexible_right)
                  .arg(r.strict_right_flexible_wrong);
    unchecked += r.unchecked;
  }
  if (rounds.isEmpty()) {
    m_audit->clear();
    return;
  }
  QString text = tr("Checkers disagree — %1.").arg(rounds.join(QStringLiteral(" · ")));
  if (unchecked > 0)
    text += QLatin1Char(' ') + tr("%Ln sample(s) not checked (code problems, or stored by an older version).", "",
                                  static_cast<int>(unchecked));
  m_audit->setText(text);
}

QString TraceBrowser::auditText() const { return m_audit->text(); }

void TraceBrowser::move(int delta) {
  const int row = m_table->currentIndex().isValid() ? m_table->currentIndex().row() + delta : 0;
  if (row >= m_model->rowCount() && m_model->canFetchMore({})) m_model->fetchMore({});
  if (row >= 0 && row < m_model->rowCount()) {
    m_table->selectRow(row);
    m_table->scrollTo(m_model->index(row, 0));
  }
}

}  // namespace tpt::ui
