// The trace browser's table: samples of an experiment under a filter, read page by page from
// the store (keyset paging: a page deep in a million samples costs what the first one does).
// Before Prune a sample has no decision: its verdict column shows the strict checker's, as
// Think stored it, in brackets and grey italics.
// Rows are fetched as the view scrolls (canFetchMore / fetchMore), so opening a filter reads
// one page, not the whole result. The model holds its own read-only connection.
#pragma once

#include <QAbstractTableModel>

#include <memory>
#include <string>
#include <optional>
#include <vector>

#include "store/records.h"

namespace tpt::store {
class Store;
}

namespace tpt::ui {

class SampleTableModel : public QAbstractTableModel {
  Q_OBJECT

 public:
  // Preview is last: the list's stretching column.
  enum Column {
    Id,
    Round,
    Problem,
    Sample,
    Verdict,
    Extracted,
    Kept,
    DroppedBy,
    Tokens,
    Finish,
    Label,
    Checkers,
    Preview,
    ColumnCount
  };
  static constexpr int kPageSize = 200;

  explicit SampleTableModel(QObject* parent = nullptr);
  ~SampleTableModel() override;

  // Opens the experiment database (read-only). False (and empty) when it cannot.
  bool open(const QString& storePath);
  void close();
  store::Store* store() const { return m_store.get(); }

  void setFilter(const store::SampleFilter& filter);
  const store::SampleFilter& filter() const { return m_filter; }
  // Every match (counted once per filter; slower than a page on huge results).
  qint64 totalMatches() const { return m_total; }
  // Re-reads the rows loaded so far (after an annotation or a new round), keeping their count.
  void refresh();

  std::int64_t sampleId(int row) const;
  int rowOf(std::int64_t sampleId) const;  // -1 when not loaded
  const store::SampleRow* rowData(int row) const;
  // The verdict as the list shows it: the decision's, or before Prune the strict checker's in
  // brackets ("(wrong)"); empty when neither is known.
  static QString verdictText(const store::SampleRow& row);

  int rowCount(const QModelIndex& parent = {}) const override;
  int columnCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
  QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;
  bool canFetchMore(const QModelIndex& parent) const override;
  void fetchMore(const QModelIndex& parent) override;

 Q_SIGNALS:
  void totalChanged(qint64 total);

 private:
  std::unique_ptr<store::Store> m_store;
  store::SampleFilter m_filter;
  std::vector<store::SampleRow> m_rows;
  bool m_exhausted = true;
  qint64 m_total = 0;
};

// A sample that stopped at max_new_tokens (finish_reason "length", from the engine and from
// OpenAI-compatible servers alike) rather than at its end: truncated.
inline bool isTruncated(const std::string& finishReason) { return finishReason == "length"; }

}  // namespace tpt::ui
