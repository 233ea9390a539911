// The Setup panel: a form over experiment.json. Every edit is validated by the engine's own
// ExperimentConfig::validate, and each problem is shown at its field (red frame, the engine's
// message as tooltip and under the form), so the form and `tpt config check` never disagree.
// Keys the form does not show are kept as they are in the file.
#pragma once

#include <QHash>
#include <QJsonObject>
#include <QWidget>

#include <nlohmann/json.hpp>

class QComboBox;
class QDoubleSpinBox;
class QFormLayout;
class QGroupBox;
class QHBoxLayout;
class QLabel;
class QLineEdit;
class QSpinBox;
class QPushButton;
class QVBoxLayout;

namespace tpt::ui {

class ExperimentDocument;
struct SettingsIssue;

class SetupPanel : public QWidget {
  Q_OBJECT

 public:
  // The form edits `document` (the main window's, shared with the other panels); without one
  // it keeps its own.
  explicit SetupPanel(QWidget* parent = nullptr, ExperimentDocument* document = nullptr);

  // Reads `dir`/experiment.json into the form. Returns false (and shows why) when it cannot.
  bool loadExperiment(const QString& dir);
  QString experimentDir() const;
  ExperimentDocument* experimentDocument() const { return m_document; }

  // The document the form describes (the file's keys with the form's values).
  nlohmann::json document() const { return m_doc; }
  // Replaces the form's values (e.g. from a preset), keeping the experiment folder.
  void setDocument(const nlohmann::json& doc);

  // No validation problem and no missing file (a change since the stored rounds is not one:
  // saving it offers a fork).
  bool isValid() const { return m_issues.empty(); }
  // Settings changed since the stored rounds ran, by field ("" when none).
  QHash<QString, QString> forkChanges() const { return m_forkChanges; }
  // The engine's messages by JSON path ("think.temperature"), for the current values.
  QHash<QString, QString> issues() const { return m_issues; }
  // The widget that edits `path`, or null.
  QWidget* fieldFor(const QString& path) const { return m_fields.value(path); }
  // Writes experiment.json when the values are valid; false otherwise (nothing written). When
  // the only obstacle is a change since the stored rounds, forkNeeded() is emitted.
  bool save();
  bool isModified() const;
  // The red warning shown when the experiment runs programs without isolation ("" otherwise).
  QString sandboxWarning() const;

 Q_SIGNALS:
  void validityChanged(bool valid);
  void saved(const QString& dir);
  // Saving refused because these settings differ from the ones the stored rounds ran with.
  void forkNeeded(const QStringList& changes);

 private:
  void buildForm();
  QHBoxLayout* buildPresetRow(QWidget* content);
  QGroupBox* buildExperimentSection(QWidget* content);
  QGroupBox* buildDataSection(QWidget* content);
  QGroupBox* buildSamplerSection(QWidget* content);
  QGroupBox* buildTrainerSection(QWidget* content);
  QGroupBox* buildThinkSection(QWidget* content);
  QGroupBox* buildTrainSection(QWidget* content);
  QGroupBox* buildEvalSection(QWidget* content);
  void buildFooter(QVBoxLayout* outer);
  void connectEdits();
  // A form row whose field is validated at `path` (the field's object name too).
  void addField(QFormLayout* form, const QString& label, QWidget* field, const QString& path);
  // The same for a file or folder path, with a Browse button beside it; the row is created in
  // `rowParent`.
  void addPathField(QFormLayout* form, const QString& label, QLineEdit* edit, const QString& path, bool folder,
                    QWidget* rowParent);
  void readFromDocument();
  void writeToDocument();
  void revalidate();
  // Shows the sampler's rows that apply to the chosen backend and server mode.
  void updateSamplerRows();
  // The expanded command of the launch preset (or the template as typed), and whether the
  // API key's variable is set.
  void updateSamplerHints();
  void readSampler(const nlohmann::json& section);
  void writeSampler();
  // Shows the command's rows only for an external trainer.
  void updateTrainerRows();
  // What the chosen preset runs (or how a template is filled in), and whether it uses {gpus}.
  void updateTrainerHints();
  void readTrainer(const nlohmann::json& section);
  void writeTrainer();
  void updateModelSummary();
  void updateEstimate();
  void applyPreset();
  QString browseFile(QLineEdit* edit, bool folder);

  // Follows the document: another panel's edit, a newly opened or closed experiment.
  void documentChanged(QObject* origin);
  void reloadFromDocument();

  ExperimentDocument* m_document = nullptr;
  nlohmann::json m_doc;  // the form's values; the document gets them on every edit
  QHash<QString, QString> m_issues;
  QHash<QString, QString> m_forkChanges;
  QHash<QString, QWidget*> m_fields;
  bool m_loading = false;
  QHash<QString, qint64> m_lineCounts;  // problem files already counted, for the estimate

  QComboBox* m_preset = nullptr;
  QLineEdit* m_name = nullptr;
  QSpinBox* m_rounds = nullptr;
  QSpinBox* m_seed = nullptr;
  QLabel* m_sandboxWarning = nullptr;  // shown when sandbox.mode is "unsandboxed"
  QLineEdit* m_train = nullptr;
  QLineEdit* m_test = nullptr;
  QLineEdit* m_model = nullptr;
  QLabel* m_modelSummary = nullptr;
  QComboBox* m_datasetFormat = nullptr;
  QComboBox* m_device = nullptr;
  QComboBox* m_promptFormat = nullptr;
  QSpinBox* m_samples = nullptr;
  QSpinBox* m_poolSize = nullptr;
  QDoubleSpinBox* m_temperature = nullptr;
  QSpinBox* m_maxNewTokens = nullptr;
  QComboBox* m_method = nullptr;
  QComboBox* m_init = nullptr;
  QLineEdit* m_learningRate = nullptr;
  QSpinBox* m_epochs = nullptr;
  QSpinBox* m_evalSubset = nullptr;
  QSpinBox* m_evalSamples = nullptr;
  QDoubleSpinBox* m_evalTemperature = nullptr;
  QLineEdit* m_passAtK = nullptr;
  // sampler: the backend, then the server's settings (shown for "openai" only).
  QFormLayout* m_samplerForm = nullptr;
  QComboBox* m_samplerBackend = nullptr;
  QComboBox* m_serverMode = nullptr;  // attach (sampler.url) or launch (sampler.launch); not a key
  QLineEdit* m_serverUrl = nullptr;
  QComboBox* m_launch = nullptr;  // editable: a preset or a command template
  QLabel* m_launchHint = nullptr;
  QComboBox* m_api = nullptr;
  QLineEdit* m_servedModel = nullptr;
  QSpinBox* m_concurrency = nullptr;
  QDoubleSpinBox* m_requestTimeout = nullptr;
  QSpinBox* m_retries = nullptr;
  QDoubleSpinBox* m_startupTimeout = nullptr;
  QLineEdit* m_apiKeyEnv = nullptr;
  QLabel* m_apiKeyState = nullptr;
  // trainer: the backend, then the external command's settings (shown for "command" only).
  QFormLayout* m_trainerForm = nullptr;
  QComboBox* m_trainerBackend = nullptr;
  QComboBox* m_trainerCommand = nullptr;  // editable: a preset or a command template
  QLabel* m_trainerCommandHint = nullptr;
  QSpinBox* m_trainerGpus = nullptr;
  QDoubleSpinBox* m_stallTimeout = nullptr;
  QLabel* m_estimate = nullptr;
  QLabel* m_issueList = nullptr;
  QPushButton* m_saveButton = nullptr;
};

}  // namespace tpt::ui
