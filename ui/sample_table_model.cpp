#include "sample_table_model.h"

#include <QBrush>
#include <QColor>
#include <QFont>

#include "store/store.h"

namespace tpt::ui {

SampleTableModel::SampleTableModel(QObject* parent) : QAbstractTableModel(parent) {}

SampleTableModel::~SampleTableModel() = default;

bool SampleTableModel::open(const QString& storePath) {
  beginResetModel();
  m_rows.clear();
  m_exhausted = true;
  m_total = 0;
  try {
    m_store = std::make_unique<store::Store>(storePath.toStdString(), store::OpenMode::read_only);
  } catch (const std::exception&) {
    m_store.reset();
  }
  endResetModel();
  return m_store != nullptr;
}

void SampleTableModel::close() {
  beginResetModel();
  m_store.reset();
  m_rows.clear();
  m_exhausted = true;
  m_total = 0;
  endResetModel();
}

void SampleTableModel::setFilter(const store::SampleFilter& filter) {
  beginResetModel();
  m_filter = filter;
  m_rows.clear();
  m_exhausted = m_store == nullptr;
  m_total = 0;
  if (m_store) {
    m_rows = m_store->list_samples(m_filter, 0, kPageSize);
    m_exhausted = static_cast<int>(m_rows.size()) < kPageSize;
    m_total = m_exhausted ? static_cast<qint64>(m_rows.size()) : m_store->count_samples(m_filter);
  }
  endResetModel();
  Q_EMIT totalChanged(m_total);
}

void SampleTableModel::refresh() {
  if (!m_store) return;
  const size_t loaded = std::max<size_t>(m_rows.size(), kPageSize);
  beginResetModel();
  m_rows.clear();
  std::int64_t after = 0;
  while (m_rows.size() < loaded) {
    auto page = m_store->list_samples(m_filter, after, kPageSize);
    m_rows.insert(m_rows.end(), page.begin(), page.end());
    if (static_cast<int>(page.size()) < kPageSize) break;
    after = m_rows.back().sample_id;
  }
  m_exhausted = m_rows.size() < loaded;
  m_total = m_exhausted ? static_cast<qint64>(m_rows.size()) : m_store->count_samples(m_filter);
  endResetModel();
  Q_EMIT totalChanged(m_total);
}

std::int64_t SampleTableModel::sampleId(int row) const {
  return row >= 0 && row < static_cast<int>(m_rows.size()) ? m_rows[static_cast<size_t>(row)].sample_id : 0;
}

int SampleTableModel::rowOf(std::int64_t sampleId) const {
  for (size_t i = 0; i < m_rows.size(); ++i)
    if (m_rows[i].sample_id == sampleId) return static_cast<int>(i);
  return -1;
}

const store::SampleRow* SampleTableModel::rowData(int row) const {
  return row >= 0 && row < static_cast<int>(m_rows.size()) ? &m_rows[static_cast<size_t>(row)] : nullptr;
}

QString SampleTableModel::verdictText(const store::SampleRow& row) {
  if (row.verdict) return QString::fromLatin1(prune::to_string(*row.verdict));
  // In brackets: provisional, until Prune's verifier decides.
  return row.correct_strict ? (*row.correct_strict ? tr("(correct)") : tr("(wrong)")) : QString();
}

int SampleTableModel::rowCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : static_cast<int>(m_rows.size());
}

int SampleTableModel::columnCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : ColumnCount; }

QVariant SampleTableModel::data(const QModelIndex& index, int role) const {
  const store::SampleRow* r = rowData(index.row());
  if (!r) return {};
  if (role == Qt::DisplayRole) {
    switch (index.column()) {
      case Id: return QVariant::fromValue<qlonglong>(r->sample_id);
      case Round: return r->round_index;
      case Problem: return QString::fromStdString(r->problem_key);
      case Sample: return r->sample_index;
      case Verdict: return verdictText(*r);
      case Extracted: return r->extracted ? QString::fromStdString(*r->extracted) : QString();
      case Kept: return r->kept ? (*r->kept ? tr("kept") : tr("dropped")) : QString();
      case DroppedBy: return QString::fromStdString(r->dropped_by);
      case Tokens: return r->token_count;
      case Finish:
        return isTruncated(r->finish_reason) ? tr("length (truncated)") : QString::fromStdString(r->finish_reason);
      case Label: return r->latest_label ? QString::fromLatin1(prune::to_string(*r->latest_label)) : QString();
      case Checkers:
        if (!r->correct_strict || !r->correct_flexible) return QString();
        if (*r->correct_strict == *r->correct_flexible) return *r->correct_strict ? tr("both right") : tr("both wrong");
        return *r->correct_strict ? tr("strict only") : tr("flexible only");
      case Preview: return QString::fromStdString(r->preview).simplified();
    }
  }
  if (index.column() == Verdict && !r->verdict && r->correct_strict) {
    if (role == Qt::ForegroundRole) return QBrush(QColor(0x6c, 0x75, 0x7d));
    if (role == Qt::FontRole) {
      QFont font;
      font.setItalic(true);
      return font;
    }
    if (role == Qt::ToolTipRole)
      return tr("Not pruned yet: the strict checker's verdict as Think stored the sample (the rule set's verifier "
                "decides at Prune)");
  }
  if (role == Qt::ToolTipRole && index.column() == Preview) return QString::fromStdString(r->preview);
  if (role == Qt::ToolTipRole && index.column() == Checkers && r->correct_strict && r->correct_flexible)
    return tr("strict checker: %1; flexible checker: %2")
        .arg(*r->correct_strict ? tr("right") : tr("wrong"), *r->correct_flexible ? tr("right") : tr("wrong"));
  if (role == Qt::ForegroundRole && index.column() == Verdict && r->verdict)
    return QBrush(*r->verdict == prune::Verdict::Correct ? QColor(0x19, 0x87, 0x54) : QColor(0xb0, 0x2a, 0x37));
  if (index.column() == Finish && isTruncated(r->finish_reason)) {
    if (role == Qt::ForegroundRole) return QBrush(QColor(0xb3, 0x5c, 0x00));
    if (role == Qt::ToolTipRole) return tr("finish_reason \"length\": the sample hit max_new_tokens before it ended");
  }
  if (role == Qt::ForegroundRole && index.column() == Kept && r->kept)
    return QBrush(*r->kept ? QColor(0x19, 0x87, 0x54) : QColor(0x6c, 0x75, 0x7d));
  return {};
}

QVariant SampleTableModel::headerData(int section, Qt::Orientation orientation, int role) const {
  if (orientation != Qt::Horizontal || role != Qt::DisplayRole) return {};
  switch (section) {
    case Id: return tr("id");
    case Round: return tr("round");
    case Problem: return tr("problem");
    case Sample: return tr("#");
    case Verdict: return tr("verdict");
    case Extracted: return tr("answer");
    case Kept: return tr("kept");
    case DroppedBy: return tr("dropped by");
    case Tokens: return tr("tokens");
    case Finish: return tr("finish");
    case Label: return tr("label");
    case Checkers: return tr("checkers");
    case Preview: return tr("trace");
  }
  return {};
}

bool SampleTableModel::canFetchMore(const QModelIndex& parent) const { return !parent.isValid() && !m_exhausted; }

void SampleTableModel::fetchMore(const QModelIndex& parent) {
  if (parent.isValid() || m_exhausted || !m_store) return;
  auto page = m_store->list_samples(m_filter, m_rows.empty() ? 0 : m_rows.back().sample_id, kPageSize);
  m_exhausted = static_cast<int>(page.size()) < kPageSize;
  if (page.empty()) return;
  const int first = static_cast<int>(m_rows.size());
  beginInsertRows({}, first, first + static_cast<int>(page.size()) - 1);
  m_rows.insert(m_rows.end(), std::make_move_iterator(page.begin()), std::make_move_iterator(page.end()));
  endInsertRows();
}

}  // namespace tpt::ui
