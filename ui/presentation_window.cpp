#include "presentation_window.h"

#include <QComboBox>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QKeyEvent>
#include <QLabel>
#include <QScrollArea>
#include <QVBoxLayout>

#include "chart_panel.h"
#include "report/problems.h"
#include "run/paths.h"
#include "store/store.h"

namespace tpt::ui {

PresentationWindow::PresentationWindow(const QString& experimentDir, QWidget* parent)
    : QWidget(parent, Qt::Window), m_dir(experimentDir) {
  setObjectName(QStringLiteral("presentationWindow"));
  setWindowTitle(tr("TPT Workbench — presentation"));
  QFont big = font();
  big.setPointSize(16);
  setFont(big);

  auto* layout = new QHBoxLayout(this);
  m_chart = new ChartPanel(this);
  m_chart->setExperiment(m_dir);
  m_chart->setPresentationStyle(true);
  m_chart->setLossVisible(false);
  m_chart->setMinimumWidth(700);
  layout->addWidget(m_chart, 3);

  auto* side = new QVBoxLayout;
  auto* title = new QLabel(tr("<b>One problem, round by round</b>"), this);
  side->addWidget(title);
  m_problem = new QComboBox(this);
  m_problem->setObjectName(QStringLiteral("presentationProblem"));
  side->addWidget(m_problem);
  m_question = new QLabel(this);
  m_question->setWordWrap(true);
  m_question->setObjectName(QStringLiteral("presentationQuestion"));
  side->addWidget(m_question);
  auto* scroll = new QScrollArea(this);
  scroll->setWidgetResizable(true);
  m_cards = new QWidget(scroll);
  m_cardLayout = new QVBoxLayout(m_cards);
  m_cardLayout->addStretch(1);
  scroll->setWidget(m_cards);
  side->addWidget(scroll, 1);
  auto* hint = new QLabel(tr("Esc: leave presentation"), this);
  QFont small = font();
  small.setPointSize(11);
  hint->setFont(small);
  side->addWidget(hint);
  layout->addLayout(side, 2);

  connect(m_problem, qOverload<int>(&QComboBox::currentIndexChanged), this, &PresentationWindow::showSelectedProblem);
  reload();
}

void PresentationWindow::reload() {
  m_chart->reload();
  const QString current = m_problem->currentData().toString();
  m_problem->blockSignals(true);
  m_problem->clear();
  try {
    const report::ProblemSummary summary = report::summarize_problems(m_dir.toStdString());
    // Learned problems first: they tell the story.
    for (const report::ProblemFate fate : {report::ProblemFate::Learned, report::ProblemFate::AlwaysSolved,
                                        report::ProblemFate::Forgotten, report::ProblemFate::NeverSolved})
      for (const auto& p : summary.problems)
        if (p.fate == fate)
          m_problem->addItem(QStringLiteral("%1 (%2)").arg(QString::fromStdString(p.problem_key),
                                                           QString::fromLatin1(report::to_string(p.fate))),
                             QString::fromStdString(p.problem_key));
  } catch (const std::exception&) {
    // No scored round yet.
  }
  const int index = m_problem->findData(current);
  m_problem->setCurrentIndex(index >= 0 ? index : 0);
  m_problem->blockSignals(false);
  showSelectedProblem();
}

int PresentationWindow::problemCount() const { return m_problem->count(); }

bool PresentationWindow::showProblem(const QString& problemKey) {
  const int index = m_problem->findData(problemKey);
  if (index < 0) return false;
  m_problem->setCurrentIndex(index);
  showSelectedProblem();
  return true;
}

void PresentationWindow::showSelectedProblem() {
  while (m_cardLayout->count() > 1) {
    QLayoutItem* item = m_cardLayout->takeAt(0);
    delete item->widget();
    delete item;
  }
  m_cardSummaries.clear();
  const QString key = m_problem->currentData().toString();
  if (key.isEmpty()) {
    m_question->setText(tr("No round has been scored yet."));
    return;
  }
  try {
    const run::ExperimentPaths paths = run::ExperimentPaths::locate(m_dir.toStdString());
    store::Store store(paths.store_file, store::OpenMode::read_only);
    const auto experiment = store.list_experiments().at(0);
    std::int64_t problemId = 0;
    for (const auto& r : store.list_rounds(experiment.id)) {
      if (r.state != store::RoundState::Done) continue;
      for (const auto& result : store.problem_results(r.id)) {
        if (QString::fromStdString(result.problem_key) != key) continue;
        problemId = result.problem_id;
        const auto answers = store.list_eval_samples(r.id, problemId);
        if (answers.empty()) continue;
        const auto& a = answers.front();
        const bool right = a.correct_strict;
        auto* card = new QLabel(m_cards);
        card->setWordWrap(true);
        card->setTextFormat(Qt::RichText);
        card->setStyleSheet(right ? QStringLiteral("QLabel { background: #d1e7dd; color: #0f5132; padding: 10px; }")
                                  : QStringLiteral("QLabel { background: #f8d7da; color: #842029; padding: 10px; }"));
        card->setText(tr("<b>Round %1 — %2</b><br>%3")
                          .arg(r.round_index)
                          .arg(right ? tr("right") : tr("wrong"))
                          .arg(QString::fromStdString(a.text).toHtmlEscaped().replace(QLatin1Char('\n'),
                                                                                       QStringLiteral("<br>"))));
        m_cardLayout->insertWidget(m_cardLayout->count() - 1, card);
        m_cardSummaries << QStringLiteral("round %1: %2").arg(r.round_index).arg(right ? "right" : "wrong");
      }
    }
    if (auto problem = store.get_problem(problemId))
      m_question->setText(tr("%1<br><i>Answer: %2</i>")
                              .arg(QString::fromStdString(problem->question).toHtmlEscaped(),
                                   QString::fromStdString(problem->gold).toHtmlEscaped()));
  } catch (const std::exception& e) {
    m_question->setText(QString::fromStdString(e.what()));
  }
}

void PresentationWindow::keyPressEvent(QKeyEvent* event) {
  if (event->key() == Qt::Key_Escape || event->key() == Qt::Key_F11) {
    close();
    return;
  }
  QWidget::keyPressEvent(event);
}

}  // namespace tpt::ui
