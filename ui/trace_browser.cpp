#include "trace_browser.h"

#include <QComboBox>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QKeyEvent>
#include <QLabel>
#include <QLineEdit>
#include <QMap>
#include <QPushButton>
#include <QRegularExpression>
#include <QSettings>
#include <QSplitter>
#include <QTableView>
#include <QTableWidget>
#include <QTextBrowser>
#include <QVBoxLayout>

#include <cmath>
#include <optional>

#include "code/code_problem.h"
#include "code_sample_view.h"
#include "report/status.h"
#include "run/paths.h"
#include "sample_table_model.h"
#include "store/store.h"

namespace tpt::ui {

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

TraceBrowser::TraceBrowser(QWidget* parent) : QWidget(parent) {
  setObjectName(QStringLiteral("traceBrowser"));
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(4, 4, 4, 4);
  // Widgets are created in reading order, which is also their tab order.
  layout->addLayout(buildFilterBar());
  auto* split = new QSplitter(Qt::Horizontal, this);
  m_model = new SampleTableModel(this);
  buildSampleTable(split);
  QWidget* right = buildDetailPane(split);
  split->addWidget(m_table);
  split->addWidget(right);
  split->setStretchFactor(0, 3);
  split->setStretchFactor(1, 2);
  layout->addWidget(split, 1);
}

QHBoxLayout* TraceBrowser::buildFilterBar() {
  auto* filters = new QHBoxLayout;
  // Each box is connected once filled, so filling it does not filter.
  auto combo = [&](const QString& name, const QStringList& labels, const QVariantList& values) {
    auto* box = new QComboBox(this);
    box->setObjectName(name);
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
  m_problem = new QLineEdit(this);
  m_problem->setObjectName(QStringLiteral("problemFilter"));
  m_problem->setPlaceholderText(tr("problem id"));
  m_problem->setClearButtonEnabled(true);
  filters->addWidget(m_problem);
  m_search = new QLineEdit(this);
  m_search->setObjectName(QStringLiteral("textFilter"));
  m_search->setPlaceholderText(tr("search the traces"));
  m_search->setClearButtonEnabled(true);
  filters->addWidget(m_search, 1);
  connect(m_problem, &QLineEdit::editingFinished, this, &TraceBrowser::applyFilter);
  connect(m_search, &QLineEdit::editingFinished, this, &TraceBrowser::applyFilter);
  m_count = new QLabel(this);
  m_count->setObjectName(QStringLiteral("matchCount"));
  filters->addWidget(m_count);
  return filters;
}

void TraceBrowser::buildSampleTable(QSplitter* split) {
  m_table = new QTableView(split);
  m_table->setObjectName(QStringLiteral("sampleTable"));
  m_table->setModel(m_model);
  m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
  m_table->setSelectionMode(QAbstractItemView::SingleSelection);
  m_table->verticalHeader()->hide();
  m_table->verticalHeader()->setDefaultSectionSize(22);
  m_table->horizontalHeader()->setStretchLastSection(true);
  for (const auto& [column, width] : {std::pair{SampleTableModel::Id, 70}, {SampleTableModel::Round, 50},
                                      {SampleTableModel::Sample, 36}, {SampleTableModel::Problem, 150},
                                      {SampleTableModel::Tokens, 60}})
    m_table->setColumnWidth(column, width);
  m_table->installEventFilter(this);  // the review keys (see eventFilter)
  connect(m_model, &SampleTableModel::totalChanged, this,
          [this](qint64 total) { m_count->setText(tr("%L1 samples").arg(total)); });
  connect(m_table->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
          [this](const QModelIndex& current) { showSample(m_model->sampleId(current.row())); });
}

// The selected trace, the same problem's other samples, and the review controls.
QWidget* TraceBrowser::buildDetailPane(QSplitter* split) {
  auto* right = new QWidget(split);
  auto* rightLayout = new QVBoxLayout(right);
  rightLayout->setContentsMargins(0, 0, 0, 0);
  m_detail = new QTextBrowser(right);
  m_detail->setObjectName(QStringLiteral("traceDetail"));
  rightLayout->addWidget(m_detail, 3);
  m_code = new CodeSampleView(right);
  m_code->hide();
  rightLayout->addWidget(m_code, 6);
  rightLayout->addWidget(new QLabel(tr("The same problem, every sample and round:"), right));
  m_siblings = new QTableWidget(right);
  m_siblings->setObjectName(QStringLiteral("siblings"));
  m_siblings->setColumnCount(5);
  m_siblings->setHorizontalHeaderLabels({tr("round"), tr("#"), tr("verdict"), tr("kept"), tr("trace")});
  m_siblings->horizontalHeader()->setStretchLastSection(true);
  m_siblings->verticalHeader()->hide();
  m_siblings->setEditTriggers(QAbstractItemView::NoEditTriggers);
  m_siblings->setSelectionBehavior(QAbstractItemView::SelectRows);
  connect(m_siblings, &QTableWidget::cellDoubleClicked, this, [this](int row, int) {
    const std::int64_t id = m_siblings->item(row, 0)->data(Qt::UserRole).toLongLong();
    if (!selectSample(id)) showSample(id);
  });
  rightLayout->addWidget(m_siblings, 2);
  rightLayout->addLayout(buildReviewRow(right));
  m_message = new QLabel(right);
  m_message->setObjectName(QStringLiteral("reviewMessage"));
  rightLayout->addWidget(m_message);
  m_agreement = new QLabel(right);
  m_agreement->setObjectName(QStringLiteral("agreement"));
  rightLayout->addWidget(m_agreement);
  return right;
}

QHBoxLayout* TraceBrowser::buildReviewRow(QWidget* right) {
  auto* review = new QHBoxLayout;
  m_annotator = new QLineEdit(right);
  m_annotator->setObjectName(QStringLiteral("annotatorName"));
  m_annotator->setPlaceholderText(tr("your name"));
  m_annotator->setText(QSettings().value(QStringLiteral("annotation/name")).toString());
  connect(m_annotator, &QLineEdit::editingFinished, this,
          [this] { QSettings().setValue(QStringLiteral("annotation/name"), m_annotator->text().trimmed()); });
  review->addWidget(m_annotator);
  m_comment = new QLineEdit(right);
  m_comment->setObjectName(QStringLiteral("annotationComment"));
  m_comment->setPlaceholderText(tr("comment (C)"));
  review->addWidget(m_comment, 1);
  const struct {
    const char* text;
    store::Label label;
    const char* name;
  } buttons[] = {{"&Accept (A)", store::Label::Accept, "acceptButton"},
                 {"&Reject (R)", store::Label::Reject, "rejectButton"},
                 {"&Flag (F)", store::Label::Flag, "flagButton"}};
  for (const auto& b : buttons) {
    auto* button = new QPushButton(tr(b.text), right);
    button->setObjectName(QString::fromLatin1(b.name));
    const store::Label label = b.label;
    connect(button, &QPushButton::clicked, this, [this, label] { annotateCurrent(label); });
    review->addWidget(button);
  }
  return review;
}

TraceBrowser::~TraceBrowser() = default;

void TraceBrowser::setExperiment(const QString& dir) {
  m_dir = dir;
  m_writer.reset();
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
  if (!m_search->text().trimmed().isEmpty()) f.text_contains = m_search->text().trimmed().toStdString();
  const QString problem = m_problem->text().trimmed();
  if (!problem.isEmpty() && m_model->store() && m_experimentId) {
    // Problem ids as shown in the table; an unknown one matches nothing.
    f.problem_id = -1;
    for (const char* split : {"train", "test"})
      for (const auto& p : m_model->store()->list_problems(m_experimentId, split))
        if (QString::fromStdString(p.problem_key) == problem) f.problem_id = p.id;
  }
  return f;
}

void TraceBrowser::applyFilter() {
  if (!m_model->store()) return;
  try {
    m_model->setFilter(currentFilter());
    m_message->clear();
  } catch (const std::exception& e) {
    m_message->setText(QString::fromStdString(e.what()));
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
  QString html = tr("<p><b>Annotations</b></p><ul>");
  for (const auto& a : d.annotations)
    html += QStringLiteral("<li>%1 — %2 (%3)%4</li>")
                .arg(QString::fromStdString(a.time), QString::fromStdString(a.annotator).toHtmlEscaped(),
                     QString::fromLatin1(prune::to_string(a.label)),
                     a.comment.empty() ? QString() : QStringLiteral(": ") + QString::fromStdString(a.comment).toHtmlEscaped());
  html += QStringLiteral("</ul>");
  return html;
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

// A math sample: the trace with its calculator annotations and the extracted answer.
void TraceBrowser::showMathSample(const store::SampleDetail& d) {
  const bool correct = d.decision && d.decision->verdict == prune::Verdict::Correct;
  QString html = tr("<h3>%1 · round %2 · sample %3</h3>")
                     .arg(QString::fromStdString(d.problem.problem_key).toHtmlEscaped())
                     .arg(d.round_index)
                     .arg(d.sample.sample_index);
  html += tr("<p><b>Question.</b> %1</p>").arg(QString::fromStdString(d.problem.question).toHtmlEscaped());
  html += tr("<p><b>Gold answer:</b> %1</p>").arg(QString::fromStdString(d.problem.gold).toHtmlEscaped());
  html += sampledByHtml(d);
  html += traceHeadingHtml(d);
  html += traceToHtml(QString::fromStdString(d.sample.text),
                      d.decision && d.decision->extracted ? QString::fromStdString(*d.decision->extracted) : QString(),
                      correct);
  if (d.decision) {
    const auto& dec = *d.decision;
    html += tr("<p><b>Extracted:</b> %1 — <b>%2</b>, %3</p>")
                .arg(dec.extracted ? QString::fromStdString(*dec.extracted).toHtmlEscaped() : tr("(none)"))
                .arg(QString::fromLatin1(prune::to_string(dec.verdict)))
                .arg(dec.kept ? tr("kept") : tr("dropped by %1").arg(QString::fromStdString(dec.dropped_by)));
    html += rulesTableHtml(dec);
  } else {
    html += tr("<p><i>Not pruned yet.</i></p>");
  }
  html += annotationsHtml(d);
  m_detail->setHtml(html);
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
    m_siblings->setItem(i, 2, new QTableWidgetItem(r.verdict ? QString::fromLatin1(prune::to_string(*r.verdict)) : QString()));
    m_siblings->setItem(i, 3, new QTableWidgetItem(r.kept ? (*r.kept ? tr("kept") : tr("dropped")) : QString()));
    const auto sibling = store.get_sample(r.sample_id);
    m_siblings->setItem(i, 4, new QTableWidgetItem(sibling ? QString::fromStdString(sibling->sample.text).simplified()
                                                           : QString()));
    if (r.sample_id == sampleId) m_siblings->selectRow(i);
  }
}

QString TraceBrowser::annotator() const { return m_annotator->text().trimmed(); }

void TraceBrowser::setAnnotator(const QString& name) {
  m_annotator->setText(name);
  QSettings().setValue(QStringLiteral("annotation/name"), name.trimmed());
}

bool TraceBrowser::annotateCurrent(store::Label label) {
  const std::int64_t id = currentSampleId();
  if (!id) {
    m_message->setText(tr("Select a sample to annotate."));
    return false;
  }
  if (annotator().isEmpty()) {
    m_message->setText(tr("Enter your name first: annotations are signed."));
    m_annotator->setFocus();
    return false;
  }
  try {
    if (!m_writer)
      m_writer = std::make_unique<store::Store>(run::ExperimentPaths::locate(m_dir.toStdString()).store_file);
    store::AnnotationRecord a;
    a.sample_id = id;
    a.annotator = annotator().toStdString();
    a.label = label;
    a.comment = m_comment->text().trimmed().toStdString();
    m_writer->add_annotation(a);
  } catch (const std::exception& e) {
    m_message->setText(QString::fromStdString(e.what()));
    return false;
  }
  m_comment->clear();
  m_message->setText(tr("Sample %1 %2 by %3.").arg(id).arg(QString::fromLatin1(prune::to_string(label)), annotator()));
  const int row = m_model->rowOf(id);
  m_model->refresh();
  if (!selectSample(id) && row >= 0) m_table->selectRow(std::min(row, m_model->rowCount() - 1));
  updateAgreement();
  Q_EMIT annotated(id);
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

void TraceBrowser::move(int delta) {
  const int row = m_table->currentIndex().isValid() ? m_table->currentIndex().row() + delta : 0;
  if (row >= m_model->rowCount() && m_model->canFetchMore({})) m_model->fetchMore({});
  if (row >= 0 && row < m_model->rowCount()) m_table->selectRow(row);
}

bool TraceBrowser::eventFilter(QObject* watched, QEvent* event) {
  if (watched == m_table && event->type() == QEvent::KeyPress) {
    auto* key = static_cast<QKeyEvent*>(event);
    if (key->modifiers() & (Qt::ControlModifier | Qt::AltModifier)) return false;
    switch (key->key()) {
      case Qt::Key_J: move(1); return true;
      case Qt::Key_K: move(-1); return true;
      case Qt::Key_A: annotateCurrent(store::Label::Accept); return true;
      case Qt::Key_R: annotateCurrent(store::Label::Reject); return true;
      case Qt::Key_F: annotateCurrent(store::Label::Flag); return true;
      case Qt::Key_C: m_comment->setFocus(); return true;
      default: break;
    }
  }
  return QWidget::eventFilter(watched, event);
}

}  // namespace tpt::ui
