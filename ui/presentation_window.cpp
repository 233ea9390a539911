#include "presentation_window.h"

#include <QComboBox>
#include <QEvent>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QKeyEvent>
#include <QLabel>
#include <QLayout>
#include <QPushButton>
#include <QScreen>
#include <QScrollArea>
#include <QTimer>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

#include "chart_panel.h"
#include "report.h"
#include "report/experiment_report.h"
#include "report/status.h"

namespace tpt::ui {

namespace {

struct CardColors {
  const char* background;
  const char* text;
};

// Right green, wrong red, in shades that read on the palette's background.
CardColors cardColors(bool right, bool dark) {
  if (dark) return right ? CardColors{"#1e3d2b", "#a3d9b8"} : CardColors{"#4a1f24", "#f1aeb5"};
  return right ? CardColors{"#d1e7dd", "#0f5132"} : CardColors{"#f8d7da", "#842029"};
}

}  // namespace

PresentationWindow::PresentationWindow(const QString& experimentDir, QWidget* parent) : QWidget(parent) {
  setObjectName(QStringLiteral("presentationWindow"));
  setWindowTitle(tr("TPT Workbench — presentation"));

  auto* root = new QVBoxLayout(this);
  // Nothing to present: one short message in the middle, not a half-screen of empty panes.
  m_empty = new QLabel(this);
  m_empty->setObjectName(QStringLiteral("presentationEmpty"));
  m_empty->setWordWrap(true);
  m_empty->setAlignment(Qt::AlignCenter);
  m_empty->setTextFormat(Qt::RichText);
  m_empty->setMaximumWidth(640);
  root->addStretch(1);
  root->addWidget(m_empty, 0, Qt::AlignCenter);
  root->addStretch(1);

  m_content = new QWidget(this);
  auto* layout = new QHBoxLayout(m_content);
  layout->setContentsMargins(0, 0, 0, 0);
  m_chart = new ChartPanel(m_content);
  m_chart->setPresentationStyle(true);
  m_chart->setLossVisible(false);
  m_chart->setMinimumWidth(320);
  layout->addWidget(m_chart, 3);

  auto* side = new QWidget(m_content);
  side->setObjectName(QStringLiteral("presentationSide"));
  auto* sideLayout = new QVBoxLayout(side);
  sideLayout->setContentsMargins(0, 0, 0, 0);
  auto* header = new QHBoxLayout;
  m_heading = new QLabel(tr("<b>One problem, round by round</b>"), side);
  header->addWidget(m_heading, 1);
  m_fullScreenButton = new QPushButton(tr("Full Screen"), side);
  m_fullScreenButton->setObjectName(QStringLiteral("presentationFullScreen"));
  m_fullScreenButton->setToolTip(tr("Fill the screen with this page (F11); Esc comes back"));
  m_fullScreenButton->setFocusPolicy(Qt::NoFocus);
  header->addWidget(m_fullScreenButton);
  m_report = new QPushButton(tr("Report…"), side);
  m_report->setObjectName(QStringLiteral("presentationReport"));
  m_report->setToolTip(tr("Save the experiment as one HTML or PDF file to send: chart, rounds, pruning, "
                          "and problems the model learned"));
  m_report->setFocusPolicy(Qt::NoFocus);
  header->addWidget(m_report);
  sideLayout->addLayout(header);
  m_problem = new QComboBox(side);
  m_problem->setObjectName(QStringLiteral("presentationProblem"));
  m_problem->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
  m_problem->setMinimumContentsLength(20);
  sideLayout->addWidget(m_problem);
  m_question = new QLabel(side);
  m_question->setWordWrap(true);
  m_question->setObjectName(QStringLiteral("presentationQuestion"));
  sideLayout->addWidget(m_question);
  auto* scroll = new QScrollArea(side);
  scroll->setWidgetResizable(true);
  scroll->setFrameShape(QFrame::NoFrame);
  m_cards = new QWidget(scroll);
  m_cardLayout = new QVBoxLayout(m_cards);
  m_cardLayout->setContentsMargins(0, 0, 0, 0);
  m_cardLayout->addStretch(1);
  scroll->setWidget(m_cards);
  sideLayout->addWidget(scroll, 1);
  m_hint = new QLabel(side);
  sideLayout->addWidget(m_hint);
  layout->addWidget(side, 2);
  root->addWidget(m_content, 100);

  connect(m_problem, qOverload<int>(&QComboBox::currentIndexChanged), this, &PresentationWindow::showSelectedProblem);
  connect(m_report, &QPushButton::clicked, this, &PresentationWindow::saveReport);
  connect(m_fullScreenButton, &QPushButton::clicked, this, &PresentationWindow::toggleFullScreen);
  applyFontSize();
  setExperiment(experimentDir);
}

void PresentationWindow::setExperiment(const QString& experimentDir) {
  const bool changed = experimentDir != m_dir;
  m_dir = experimentDir;
  m_chart->setExperiment(m_dir);
  if (changed) {
    m_problem->blockSignals(true);
    m_problem->clear();  // a new experiment opens on its own best problem
    m_problem->blockSignals(false);
  }
  reload();
}

void PresentationWindow::reload() {
  m_chart->reload();
  const QString current = m_problem->currentData().toString();
  m_problem->blockSignals(true);
  m_problem->clear();
  QString empty;
  if (m_dir.isEmpty()) {
    empty = tr("<h2>No experiment to present</h2><p>Open an experiment (File → Open Experiment) or the "
               "demo (Ctrl+D). Once its base model is scored, its Pass@1 chart and its problems, round "
               "by round, are shown here.</p>");
  } else {
    try {
      const report::ExperimentStatus status = report::read_status(m_dir.toStdString());
      const QString name = QString::fromStdString(status.name.empty() ? QFileInfo(m_dir).fileName().toStdString()
                                                                      : status.name)
                               .toHtmlEscaped();
      bool scored = false;
      for (const auto& r : status.rounds) scored |= r.metric("pass@1.strict").has_value();
      if (!scored) {
        empty = tr("<h2>%1: nothing scored yet</h2><p>Start the run (F5). The base model's Pass@1 appears "
                   "here when round 0 is scored, and every problem's answers, round by round, after "
                   "that.</p>")
                    .arg(name);
      } else {
        const report::ProblemSummary summary = report::summarize_problems(m_dir.toStdString());
        const auto problems = report::problems_for_showing(summary);
        QStringList titles;
        for (const auto& p : problems) titles << QString::fromStdString(report::problem_title(p.question));
        for (size_t i = 0; i < problems.size(); ++i) {
          const auto& p = problems[i];
          QString title = titles[int(i)];
          // Questions that begin alike (generated problems) get more of their words.
          if (titles.count(title) > 1) title = QString::fromStdString(report::problem_title(p.question, 72));
          const int index = m_problem->count();
          m_problem->addItem(QStringLiteral("%1 — %2").arg(title, QString::fromLatin1(report::to_string(p.fate))),
                             QString::fromStdString(p.problem_key));
          m_problem->setItemData(index,
                                 QStringLiteral("%1\n\n%2").arg(QString::fromStdString(p.question),
                                                                QString::fromStdString(p.problem_key)),
                                 Qt::ToolTipRole);
        }
      }
    } catch (const std::exception& e) {
      empty = tr("<h2>Nothing to present</h2><p>%1</p>").arg(QString::fromStdString(e.what()).toHtmlEscaped());
    }
  }
  const int index = m_problem->findData(current);
  m_problem->setCurrentIndex(index >= 0 ? index : 0);
  m_problem->blockSignals(false);
  m_empty->setText(empty);
  m_empty->setVisible(!empty.isEmpty());
  m_content->setVisible(empty.isEmpty());
  // The stretches around the message centre it; with content shown they take no room.
  auto* root = static_cast<QVBoxLayout*>(layout());
  root->setStretch(0, empty.isEmpty() ? 0 : 1);
  root->setStretch(2, empty.isEmpty() ? 0 : 1);
  m_report->setEnabled(empty.isEmpty());
  showSelectedProblem();
}

int PresentationWindow::problemCount() const { return m_problem->count(); }

QString PresentationWindow::currentProblemKey() const { return m_problem->currentData().toString(); }

QString PresentationWindow::emptyMessage() const { return m_empty->isVisibleTo(this) ? m_empty->text() : QString(); }

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
  m_question->clear();
  const QString key = m_problem->currentData().toString();
  if (key.isEmpty()) return;
  const bool dark = palette().color(QPalette::Window).lightnessF() < 0.5;
  try {
    const report::ProblemSummary summary = report::summarize_problems(m_dir.toStdString());
    const auto it = std::find_if(summary.problems.begin(), summary.problems.end(),
                                 [&](const auto& p) { return QString::fromStdString(p.problem_key) == key; });
    if (it == summary.problems.end()) return;
    m_question->setText(tr("%1<br><i>Answer: %2</i>")
                            .arg(QString::fromStdString(it->question).toHtmlEscaped().replace(QLatin1Char('\n'), QStringLiteral("<br>")),
                                 QString::fromStdString(it->gold).toHtmlEscaped()));
    for (const auto& answer : report::problem_answers(m_dir.toStdString(), it->problem_id)) {
      const CardColors colors = cardColors(answer.solved, dark);
      auto* card = new QLabel(m_cards);
      // Set, not inherited: a label with a style sheet does not follow its parent's font changes.
      card->setFont(font());
      card->setWordWrap(true);
      card->setTextFormat(Qt::RichText);
      card->setTextInteractionFlags(Qt::TextSelectableByMouse);
      card->setStyleSheet(QStringLiteral("QLabel { background: %1; color: %2; padding: 10px; }")
                              .arg(QLatin1String(colors.background), QLatin1String(colors.text)));
      const QString tally = answer.answers > 1 ? tr(" (%1 of %2 answers right)").arg(answer.correct).arg(answer.answers)
                                               : QString();
      card->setText(tr("<b>Round %1 — %2</b>%3<br>%4")
                        .arg(answer.round)
                        .arg(answer.solved ? tr("right") : tr("wrong"))
                        .arg(tally)
                        .arg(QString::fromStdString(answer.text).trimmed().toHtmlEscaped().replace(
                            QLatin1Char('\n'), QStringLiteral("<br>"))));
      m_cardLayout->insertWidget(m_cardLayout->count() - 1, card);
      m_cardSummaries << QStringLiteral("round %1: %2").arg(answer.round).arg(answer.solved ? "right" : "wrong");
    }
  } catch (const std::exception& e) {
    m_question->setText(QString::fromStdString(e.what()).toHtmlEscaped());
  }
}

void PresentationWindow::saveReport() {
  if (m_dir.isEmpty()) return;
  const QString path = saveReportAs(this, m_dir);
  if (!path.isEmpty()) Q_EMIT reportSaved(path);
}

bool PresentationWindow::isInPage() const {
  const QWidget* parent = parentWidget();
  return parent && parent->layout() && parent->layout()->indexOf(const_cast<PresentationWindow*>(this)) >= 0;
}

void PresentationWindow::setFullScreen(bool fullScreen) {
  if (m_switching) return;
  m_switching = true;
  if (fullScreen && !m_fullScreen) {
    m_returnToPage = isInPage();
    // Out of its page into a window of its own: a child widget cannot cover the screen.
    setWindowState(windowState() & ~Qt::WindowFullScreen);
    if (!isWindow()) setWindowFlag(Qt::Window, true);
    // Sized to the screen first: without a window manager (a projector box, Xvfb) full screen
    // alone may keep the window small.
    if (QScreen* s = screen()) setGeometry(s->geometry());
    m_fullScreen = true;
    showFullScreen();
    // Without a window manager nothing answers the full-screen request, and the window mapped
    // at its old size: set the screen's geometry again once it is shown.
    QTimer::singleShot(0, this, [this] {
      if (QScreen* s = screen(); s && m_fullScreen && geometry() != s->geometry()) setGeometry(s->geometry());
    });
    raise();
    activateWindow();
  } else if (!fullScreen && m_fullScreen) {
    m_fullScreen = false;
    if (m_returnToPage) {
      setWindowState(windowState() & ~Qt::WindowFullScreen);
      setWindowFlag(Qt::Window, false);
      // Back in the page: its layout sizes it again.
      if (QWidget* parent = parentWidget(); parent && parent->layout()) {
        parent->layout()->invalidate();
        parent->layout()->activate();
      }
      show();
    } else {
      close();
    }
  }
  m_switching = false;
  applyFontSize();
  Q_EMIT fullScreenChanged(m_fullScreen);
}

void PresentationWindow::keyPressEvent(QKeyEvent* event) {
  if (event->key() == Qt::Key_F11) {
    toggleFullScreen();
    return;
  }
  if (event->key() == Qt::Key_Escape && (m_fullScreen || isWindow())) {
    if (m_fullScreen) setFullScreen(false);
    else close();
    return;
  }
  QWidget::keyPressEvent(event);
}

void PresentationWindow::changeEvent(QEvent* event) {
  QWidget::changeEvent(event);
  switch (event->type()) {
    case QEvent::WindowStateChange:
      // Someone called showFullScreen() on the page itself: make it a real full-screen window,
      // once the call has returned.
      if (!m_switching && !m_fullScreen && (windowState() & Qt::WindowFullScreen))
        QTimer::singleShot(0, this, [this] {
          if (!m_fullScreen && (windowState() & Qt::WindowFullScreen)) {
            if (isWindow()) {
              m_fullScreen = true;
              m_returnToPage = false;
              applyFontSize();
              Q_EMIT fullScreenChanged(true);
            } else {
              setFullScreen(true);
            }
          }
        });
      break;
    case QEvent::PaletteChange:
    case QEvent::ApplicationPaletteChange:
      showSelectedProblem();  // the cards' colours
      break;
    default:
      break;
  }
}

void PresentationWindow::resizeEvent(QResizeEvent* event) {
  QWidget::resizeEvent(event);
  applyFontSize();
}

void PresentationWindow::applyFontSize() {
  // About a 52nd of the height: 21 pt full screen at 1080p, 13 to 14 as a page of the main window.
  const double size = std::round(std::clamp(height() / 52.0, 10.0, 24.0));
  if (size != m_fontSize) {
    m_fontSize = size;
    QFont font = this->font();
    font.setPointSizeF(size);
    setFont(font);
    QFont small = font;
    small.setPointSizeF(std::max(9.0, size * 0.7));
    m_hint->setFont(small);
    m_report->setFont(small);
    m_fullScreenButton->setFont(small);
    // Titles of 36 characters and their fate fit the side pane at this size.
    QFont picker = font;
    picker.setPointSizeF(std::max(9.0, size * 0.8));
    m_problem->setFont(picker);
    for (QLabel* card : m_cards->findChildren<QLabel*>()) card->setFont(font);
  }
  m_hint->setText(m_fullScreen ? tr("Esc: leave full screen") : isWindow() ? tr("Esc: close") : tr("F11: full screen"));
  m_fullScreenButton->setText(m_fullScreen ? tr("Leave Full Screen") : tr("Full Screen"));
}

}  // namespace tpt::ui
