#include "setup_panel.h"

#include <QComboBox>
#include <QDir>
#include <QFontDatabase>
#include <QDoubleSpinBox>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QScrollArea>
#include <QSpinBox>
#include <QStyle>
#include <QTextStream>
#include <QVBoxLayout>

#include <cmath>

#include "config/experiment_config.h"
#include "config/presets.h"
#include "data/code_problems.h"
#include "demo/base_model.h"
#include "demo/demo.h"
#include "experiment_document.h"
#include "io/json_fields.h"
#include "model/config.h"

namespace tpt::ui {

namespace {

const char* const kInvalidStyle = "border: 2px solid #d9534f; border-radius: 3px;";
// A setting that differs from the one the stored rounds ran with: allowed, in a fork.
const char* const kChangedStyle = "border: 2px solid #e0a100; border-radius: 3px;";

QString fromStd(const std::string& s) { return QString::fromStdString(s); }

void setCombo(QComboBox* box, const std::string& value) {
  const int index = box->findData(fromStd(value));
  box->setCurrentIndex(index >= 0 ? index : 0);
}

QComboBox* choiceBox(const QStringList& values, QWidget* parent) {
  auto* box = new QComboBox(parent);
  for (const auto& v : values) box->addItem(v, v);
  return box;
}

// Lines of a JSONL file (its problems), counted once per path.
qint64 countLines(const QString& path) {
  QFile file(path);
  if (!file.open(QIODevice::ReadOnly)) return -1;
  qint64 lines = 0;
  while (!file.atEnd()) {
    const QByteArray line = file.readLine();
    if (!line.trimmed().isEmpty()) ++lines;
  }
  return lines;
}

// A field's own explanation, shown as its tooltip while the engine has nothing to say about it
// (revalidate() puts the engine's message there otherwise).
void setHint(QWidget* field, const QString& hint) {
  field->setProperty("hint", hint);
  if (!field->property("invalid").toBool()) field->setToolTip(hint);
}

// Seconds as the file writes them: 600, not 600.0, when whole.
nlohmann::json seconds(double value) {
  const double whole = std::round(value);
  if (std::abs(value - whole) < 1e-9 && std::abs(whole) < 1e15) return static_cast<std::int64_t>(whole);
  return value;
}

// What a trainer preset runs, for a researcher choosing one (the command itself is shown
// beside it, from the engine's own expansion).
QString trainerPresetDescription(const QString& preset) {
  if (preset == QStringLiteral("trl"))
    return SetupPanel::tr("TRL's own command line (pip install trl), on one GPU.");
  if (preset == QStringLiteral("trl-multi-gpu"))
    return SetupPanel::tr("TRL's command line on one process per GPU (the GPUs field), the model sharded with "
                          "DeepSpeed ZeRO-3 (TRL's bundled accelerate config \"zero3\").");
  if (preset == QStringLiteral("accelerate"))
    return SetupPanel::tr("accelerate launch runs TRL's SFT script (trl.scripts.sft) on one process per GPU (the "
                          "GPUs field), with DeepSpeed ZeRO-3 set on accelerate's command line.");
  if (preset == QStringLiteral("llama-factory"))
    return SetupPanel::tr("LLaMA-Factory's command line. It gets its own train config and dataset (with "
                          "dataset_info.json) instead of TRL's, and uses every GPU it sees (CUDA_VISIBLE_DEVICES).");
  if (preset == QStringLiteral("tpt-sft"))
    return SetupPanel::tr("This workbench's own trainer as a separate process, reading the same TRL files: checks "
                          "the external path without Python, and trains as the in-process engine does.");
  return {};
}

// A command as a shell would take it over several lines: option groups (an option and its
// values) packed into short lines joined by " \\". Left to word wrap, a narrow dock breaks
// "--accelerate_config" after its dashes; this way no option is split and the text still
// pastes into a shell.
QString shellLines(const QString& command, int width = 32) {
  QStringList groups;
  for (const QString& word : command.split(QLatin1Char(' '), Qt::SkipEmptyParts)) {
    if (groups.isEmpty() || word.startsWith(QLatin1Char('-')))
      groups << word;
    else
      groups.last() += QLatin1Char(' ') + word;
  }
  QStringList lines;
  for (const QString& group : groups) {
    if (!lines.isEmpty() && lines.last().size() + 1 + group.size() <= width)
      lines.last() += QLatin1Char(' ') + group;
    else
      lines << group;
  }
  return lines.join(QStringLiteral(" \\\n  "));
}

}  // namespace

SetupPanel::SetupPanel(QWidget* parent, ExperimentDocument* document)
    : QWidget(parent), m_document(document ? document : new ExperimentDocument(this)) {
  setObjectName(QStringLiteral("setupPanel"));
  m_doc = m_document->json();
  buildForm();
  readFromDocument();
  revalidate();
  connect(m_document, &ExperimentDocument::changed, this, &SetupPanel::documentChanged);
  const auto experimentChanged = [this] {
    m_preset->setCurrentIndex(0);
    reloadFromDocument();
  };
  connect(m_document, &ExperimentDocument::opened, this, experimentChanged);
  connect(m_document, &ExperimentDocument::closed, this, experimentChanged);
  connect(m_document, &ExperimentDocument::saved, this, &SetupPanel::revalidate);
}

QString SetupPanel::experimentDir() const { return m_document->dir(); }

bool SetupPanel::isModified() const { return m_document->isModified(); }

void SetupPanel::documentChanged(QObject* origin) {
  if (origin != this) reloadFromDocument();
}

void SetupPanel::reloadFromDocument() {
  m_doc = m_document->json();
  readFromDocument();
  revalidate();
}

void SetupPanel::buildForm() {
  auto* outer = new QVBoxLayout(this);
  outer->setContentsMargins(4, 4, 4, 4);
  auto* scroll = new QScrollArea(this);
  scroll->setWidgetResizable(true);
  scroll->setFrameShape(QFrame::NoFrame);
  auto* content = new QWidget(scroll);
  auto* layout = new QVBoxLayout(content);
  scroll->setWidget(content);
  outer->addWidget(scroll, 1);

  // Widgets are created in reading order, which is also their tab order.
  layout->addLayout(buildPresetRow(content));
  layout->addWidget(buildExperimentSection(content));
  layout->addWidget(buildDataSection(content));
  layout->addWidget(buildSamplerSection(content));
  layout->addWidget(buildThinkSection(content));
  layout->addWidget(buildTrainerSection(content));
  layout->addWidget(buildTrainSection(content));
  layout->addWidget(buildEvalSection(content));
  m_estimate = new QLabel(content);
  m_estimate->setObjectName(QStringLiteral("estimate"));
  m_estimate->setWordWrap(true);
  layout->addWidget(m_estimate);
  layout->addStretch(1);

  buildFooter(outer);
  connectEdits();
}

void SetupPanel::addField(QFormLayout* form, const QString& label, QWidget* field, const QString& path) {
  field->setObjectName(path);
  form->addRow(label, field);
  m_fields.insert(path, field);
}

void SetupPanel::addPathField(QFormLayout* form, const QString& label, QLineEdit* edit, const QString& path,
                              bool folder, QWidget* rowParent) {
  m_fields.insert(path, edit);
  edit->setObjectName(path);
  auto* row = new QWidget(rowParent);
  auto* h = new QHBoxLayout(row);
  h->setContentsMargins(0, 0, 0, 0);
  h->addWidget(edit, 1);
  auto* browse = new QPushButton(tr("Browse…"), row);
  connect(browse, &QPushButton::clicked, this, [this, edit, folder] { browseFile(edit, folder); });
  h->addWidget(browse);
  form->addRow(label, row);
}

QHBoxLayout* SetupPanel::buildPresetRow(QWidget* content) {
  auto* presetRow = new QHBoxLayout;
  m_preset = new QComboBox(content);
  m_preset->setObjectName(QStringLiteral("preset"));
  // Nothing chosen until the user picks one: a preset picked for another experiment is not
  // this one's (the box goes back here whenever an experiment is opened).
  m_preset->addItem(tr("Choose a preset…"), QString());
  // The built-in demos first: they run on any laptop with the built-in model.
  m_preset->addItem(tr("demo (built-in task and model)"), QStringLiteral("demo"));
  m_preset->addItem(tr("demo, quick"), QStringLiteral("demo-quick"));
  for (const auto& name : config::preset_names()) m_preset->addItem(fromStd(name), fromStd(name));
  auto* apply = new QPushButton(tr("Apply preset"), content);
  apply->setObjectName(QStringLiteral("applyPreset"));
  connect(apply, &QPushButton::clicked, this, &SetupPanel::applyPreset);
  apply->setEnabled(false);
  connect(m_preset, qOverload<int>(&QComboBox::currentIndexChanged), apply,
          [this, apply] { apply->setEnabled(!m_preset->currentData().toString().isEmpty()); });
  presetRow->addWidget(new QLabel(tr("Preset:"), content));
  presetRow->addWidget(m_preset, 1);
  presetRow->addWidget(apply);
  return presetRow;
}

QGroupBox* SetupPanel::buildExperimentSection(QWidget* content) {
  auto* general = new QGroupBox(tr("Experiment"), content);
  auto* gForm = new QFormLayout(general);
  m_name = new QLineEdit(general);
  addField(gForm, tr("Name"), m_name, QStringLiteral("name"));
  m_rounds = new QSpinBox(general);
  m_rounds->setRange(-1, 100000);
  addField(gForm, tr("Rounds"), m_rounds, QStringLiteral("rounds"));
  m_seed = new QSpinBox(general);
  m_seed->setRange(0, 2147483647);
  addField(gForm, tr("Seed"), m_seed, QStringLiteral("seed"));
  // The sandbox is not edited here (experiment.json's "sandbox" section; docs/code-sandbox.md),
  // but running a model's programs with the machine in reach must not go unnoticed.
  m_sandboxWarning = new QLabel(general);
  m_sandboxWarning->setObjectName(QStringLiteral("sandboxWarning"));
  m_sandboxWarning->setWordWrap(true);
  m_sandboxWarning->setStyleSheet(QStringLiteral("QLabel { color: #b02a37; font-weight: bold; }"));
  m_sandboxWarning->hide();
  gForm->addRow(m_sandboxWarning);
  return general;
}

QGroupBox* SetupPanel::buildDataSection(QWidget* content) {
  auto* data = new QGroupBox(tr("Data and model"), content);
  auto* dForm = new QFormLayout(data);
  // The layout of both problem files: GSM8K's math problems, or programming problems judged
  // by running the model's program on their tests (docs/code-domain.md).
  m_datasetFormat = new QComboBox(data);
  m_datasetFormat->setObjectName(QStringLiteral("datasetFormat"));
  for (const auto& format : data::problem_set_formats()) m_datasetFormat->addItem(fromStd(format), fromStd(format));
  m_datasetFormat->setItemData(0, tr("Math word problems: question, and an answer ending in \"#### N\""), Qt::ToolTipRole);
  for (int i = 1; i < m_datasetFormat->count(); ++i)
    m_datasetFormat->setItemData(i, tr("Programming problems with stdin/stdout tests, judged in the sandbox"),
                                 Qt::ToolTipRole);
  addField(dForm, tr("Problem format"), m_datasetFormat, QStringLiteral("dataset.format"));
  m_train = new QLineEdit(data);
  m_train->setPlaceholderText(tr("JSONL problems in the format above"));
  addPathField(dForm, tr("Training pool"), m_train, QStringLiteral("dataset.train"), false, content);
  m_test = new QLineEdit(data);
  addPathField(dForm, tr("Test split"), m_test, QStringLiteral("dataset.test"), false, content);
  m_model = new QLineEdit(data);
  m_model->setPlaceholderText(tr("HF-format model folder"));
  addPathField(dForm, tr("Model"), m_model, QStringLiteral("model.path"), true, content);
  m_modelSummary = new QLabel(data);
  m_modelSummary->setObjectName(QStringLiteral("modelSummary"));
  m_modelSummary->setWordWrap(true);
  dForm->addRow(QString(), m_modelSummary);
  m_device = choiceBox({QStringLiteral("auto"), QStringLiteral("cpu"), QStringLiteral("cuda")}, data);
  addField(dForm, tr("Device"), m_device, QStringLiteral("model.device"));
  return data;
}

// Who draws Think's and Improve's samples. The server's rows appear only for "openai", and of
// URL and launch command only the one the mode uses: the engine accepts exactly one of them.
QGroupBox* SetupPanel::buildSamplerSection(QWidget* content) {
  auto* box = new QGroupBox(tr("Sampler — who draws the samples"), content);
  m_samplerForm = new QFormLayout(box);
  m_samplerBackend = new QComboBox(box);
  m_samplerBackend->addItem(tr("In process"), QStringLiteral("engine"));
  m_samplerBackend->setItemData(0, tr("The model runs inside the workbench, on model.device"), Qt::ToolTipRole);
  m_samplerBackend->addItem(tr("OpenAI-compatible server"), QStringLiteral("openai"));
  m_samplerBackend->setItemData(1, tr("Requests go to vLLM, SGLang or tpt serve over HTTP"), Qt::ToolTipRole);
  addField(m_samplerForm, tr("Backend"), m_samplerBackend, QStringLiteral("sampler.backend"));

  m_serverMode = new QComboBox(box);
  m_serverMode->setObjectName(QStringLiteral("serverMode"));
  m_serverMode->addItem(tr("Attach (running, by URL)"), QStringLiteral("attach"));
  m_serverMode->addItem(tr("Launch (per model)"), QStringLiteral("launch"));
  setHint(m_serverMode, tr("Attach: the server must already serve the model each round samples from; the run cannot "
                           "restart it. Launch: the run starts the command for the base model, then for each "
                           "round's (one server serves a round's Improve and the next Think), and stops it "
                           "before each Train."));
  m_samplerForm->addRow(tr("Server"), m_serverMode);

  m_serverUrl = new QLineEdit(box);
  m_serverUrl->setPlaceholderText(QStringLiteral("http://gpu-box:8000"));
  addField(m_samplerForm, tr("URL"), m_serverUrl, QStringLiteral("sampler.url"));
  setHint(m_serverUrl, tr("The server's base URL; /v1/... is appended."));

  m_launch = new QComboBox(box);
  m_launch->setEditable(true);
  m_launch->setInsertPolicy(QComboBox::NoInsert);  // typing a template must not add items
  for (const auto& preset : config::sampler_launch_presets())
    m_launch->addItem(fromStd(preset), fromStd(preset));
  // Each preset shows the command it stands for when hovered in the list.
  for (int i = 0; i < m_launch->count(); ++i)
    m_launch->setItemData(i, fromStd(config::launch_template(m_launch->itemText(i).toStdString())), Qt::ToolTipRole);
  m_launch->lineEdit()->setPlaceholderText(tr("a preset, or a command with {model} and {port}"));
  addField(m_samplerForm, tr("Launch"), m_launch, QStringLiteral("sampler.launch"));
  m_launchHint = new QLabel(box);
  m_launchHint->setObjectName(QStringLiteral("launchHint"));
  m_launchHint->setWordWrap(true);
  m_launchHint->setTextInteractionFlags(Qt::TextSelectableByMouse);
  m_launchHint->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
  m_launchHint->setStyleSheet(QStringLiteral("QLabel { color: palette(mid); }"));
  m_samplerForm->addRow(QString(), m_launchHint);

  m_api = new QComboBox(box);
  m_api->addItem(tr("completions"), QStringLiteral("completions"));
  m_api->setItemData(0, tr("/v1/completions with the engine's own prompt, sent as token ids"), Qt::ToolTipRole);
  m_api->addItem(tr("chat"), QStringLiteral("chat"));
  m_api->setItemData(1, tr("/v1/chat/completions: the server applies the model's chat template"), Qt::ToolTipRole);
  addField(m_samplerForm, tr("API"), m_api, QStringLiteral("sampler.api"));
  m_servedModel = new QLineEdit(box);
  addField(m_samplerForm, tr("Model name"), m_servedModel, QStringLiteral("sampler.model_name"));
  // Wider than valid, as elsewhere: the engine's validation says why a value is wrong.
  m_concurrency = new QSpinBox(box);
  m_concurrency->setRange(-1, 1000000);
  addField(m_samplerForm, tr("Requests in flight"), m_concurrency, QStringLiteral("sampler.concurrency"));
  m_requestTimeout = new QDoubleSpinBox(box);
  m_requestTimeout->setRange(-1.0, 1e7);
  m_requestTimeout->setDecimals(1);
  m_requestTimeout->setSuffix(tr(" s"));
  addField(m_samplerForm, tr("Request timeout"), m_requestTimeout, QStringLiteral("sampler.request_timeout_s"));
  m_retries = new QSpinBox(box);
  m_retries->setRange(-1, 100000);
  addField(m_samplerForm, tr("Retries per request"), m_retries, QStringLiteral("sampler.retries"));
  m_startupTimeout = new QDoubleSpinBox(box);
  m_startupTimeout->setRange(-1.0, 1e7);
  m_startupTimeout->setDecimals(1);
  m_startupTimeout->setSuffix(tr(" s"));
  addField(m_samplerForm, tr("Startup timeout"), m_startupTimeout, QStringLiteral("sampler.startup_timeout_s"));
  setHint(m_startupTimeout, tr("A launched server must answer /health by then, or the run fails with its log."));
  m_apiKeyEnv = new QLineEdit(box);
  m_apiKeyEnv->setPlaceholderText(tr("e.g. OPENAI_API_KEY (empty: no key)"));
  // Only the variable's name is ever asked for, stored or shown: never the key.
  setHint(m_apiKeyEnv, tr("The name of the environment variable that holds the API key, not the key: the key is "
                          "read when the run starts and sent as a bearer token, never written anywhere."));
  addField(m_samplerForm, tr("API key variable"), m_apiKeyEnv, QStringLiteral("sampler.api_key_env"));
  m_apiKeyState = new QLabel(box);
  m_apiKeyState->setObjectName(QStringLiteral("apiKeyState"));
  m_apiKeyState->setWordWrap(true);
  // The dock is narrow: no field of this section may widen the form past it (a long launch
  // template scrolls inside its own box instead).
  for (QComboBox* c : {m_samplerBackend, m_serverMode, m_launch, m_api}) {
    c->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    c->setMinimumContentsLength(8);
  }
  m_samplerForm->addRow(QString(), m_apiKeyState);
  return box;
}

// Who runs Train. An external command reads files the runner writes each round; its rows
// appear only for "command".
QGroupBox* SetupPanel::buildTrainerSection(QWidget* content) {
  auto* box = new QGroupBox(tr("Trainer — who runs Train"), content);
  m_trainerForm = new QFormLayout(box);
  m_trainerBackend = new QComboBox(box);
  m_trainerBackend->addItem(tr("In process"), QStringLiteral("engine"));
  m_trainerBackend->setItemData(0, tr("The engine fine-tunes inside the workbench, on model.device"),
                                Qt::ToolTipRole);
  m_trainerBackend->addItem(tr("External command"), QStringLiteral("command"));
  m_trainerBackend->setItemData(1, tr("Train runs TRL, LLaMA-Factory or tpt sft as a child process"),
                                Qt::ToolTipRole);
  addField(m_trainerForm, tr("Backend"), m_trainerBackend, QStringLiteral("trainer.backend"));
  setHint(m_trainerBackend,
          tr("In process: the engine fine-tunes the model inside the workbench, on model.device.\n"
             "External command: each round, the runner writes the kept traces as TRL prompt/completion JSONL and "
             "the Train settings below as a TRL SFT config (YAML) in the round's work folder, then runs the "
             "command; LLaMA-Factory gets its own config and dataset instead. The trainer's steps and loss go to "
             "the same chart, its output to the Run panel's Trainer log. Changeable between rounds."));

  m_trainerCommand = new QComboBox(box);
  m_trainerCommand->setEditable(true);
  m_trainerCommand->setInsertPolicy(QComboBox::NoInsert);  // typing a template must not add items
  for (const auto& preset : config::trainer_command_presets()) {
    const QString name = fromStd(preset);
    m_trainerCommand->addItem(name, name);
    // Hovered in the list, each preset shows the command it stands for and what that does.
    m_trainerCommand->setItemData(m_trainerCommand->count() - 1,
                                  fromStd(config::trainer_command_template(preset)) + QStringLiteral("\n") +
                                      trainerPresetDescription(name),
                                  Qt::ToolTipRole);
  }
  m_trainerCommand->lineEdit()->setPlaceholderText(tr("a preset, or a command with {config}"));
  addField(m_trainerForm, tr("Command"), m_trainerCommand, QStringLiteral("trainer.command"));
  m_trainerCommandHint = new QLabel(box);
  m_trainerCommandHint->setObjectName(QStringLiteral("trainerCommandHint"));
  m_trainerCommandHint->setWordWrap(true);
  m_trainerCommandHint->setTextInteractionFlags(Qt::TextSelectableByMouse);
  m_trainerCommandHint->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
  m_trainerCommandHint->setStyleSheet(QStringLiteral("QLabel { color: palette(mid); }"));
  m_trainerForm->addRow(QString(), m_trainerCommandHint);

  // Wider than valid, as elsewhere: the engine's validation says why a value is wrong.
  m_trainerGpus = new QSpinBox(box);
  m_trainerGpus->setRange(-1, 100000);
  addField(m_trainerForm, tr("GPUs"), m_trainerGpus, QStringLiteral("trainer.gpus"));
  // 0 means never; a negative value from the file is still reported by the engine at the field.
  m_stallTimeout = new QDoubleSpinBox(box);
  m_stallTimeout->setRange(0.0, 1e7);
  m_stallTimeout->setDecimals(1);
  m_stallTimeout->setSuffix(tr(" s"));
  m_stallTimeout->setSpecialValueText(tr("never"));
  addField(m_trainerForm, tr("Stall timeout"), m_stallTimeout, QStringLiteral("trainer.stall_timeout_s"));
  setHint(m_stallTimeout,
          tr("A trainer that prints nothing for this long is taken as hung: it is stopped and Train fails, its log "
             "kept. Loading a large model or setting up DeepSpeed can be silent for minutes. 0: never."));
  // The dock is narrow: a long template scrolls inside its own box instead of widening the form.
  for (QComboBox* c : {m_trainerBackend, m_trainerCommand}) {
    c->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    c->setMinimumContentsLength(8);
  }
  return box;
}

QGroupBox* SetupPanel::buildThinkSection(QWidget* content) {
  auto* think = new QGroupBox(tr("Think — sampling"), content);
  auto* tForm = new QFormLayout(think);
  m_promptFormat = choiceBox({QStringLiteral("zero-shot"), QStringLiteral("few-shot"), QStringLiteral("plain")}, think);
  addField(tForm, tr("Prompt"), m_promptFormat, QStringLiteral("think.prompt_format"));
  m_samples = new QSpinBox(think);
  m_samples->setRange(-1000, 1000000);
  addField(tForm, tr("Samples per problem"), m_samples, QStringLiteral("think.samples_per_problem"));
  m_poolSize = new QSpinBox(think);
  m_poolSize->setRange(-1, 2147483647);
  m_poolSize->setSpecialValueText(tr("whole file"));
  m_poolSize->setMinimum(0);
  addField(tForm, tr("Problems per round"), m_poolSize, QStringLiteral("think.pool_size"));
  // Ranges are wider than the valid ones on purpose: the engine's validation judges, and says
  // why, instead of the spin box silently clamping.
  m_temperature = new QDoubleSpinBox(think);
  m_temperature->setRange(-100.0, 100.0);
  m_temperature->setDecimals(2);
  m_temperature->setSingleStep(0.1);
  addField(tForm, tr("Temperature"), m_temperature, QStringLiteral("think.temperature"));
  m_maxNewTokens = new QSpinBox(think);
  m_maxNewTokens->setRange(-1, 2147483647);
  addField(tForm, tr("Max new tokens"), m_maxNewTokens, QStringLiteral("think.max_new_tokens"));
  return think;
}

QGroupBox* SetupPanel::buildTrainSection(QWidget* content) {
  auto* train = new QGroupBox(tr("Train — fine-tuning"), content);
  auto* trForm = new QFormLayout(train);
  m_method = choiceBox({QStringLiteral("full"), QStringLiteral("lora")}, train);
  addField(trForm, tr("Method"), m_method, QStringLiteral("train.method"));
  m_init = choiceBox({QStringLiteral("previous"), QStringLiteral("base")}, train);
  addField(trForm, tr("Start each round from"), m_init, QStringLiteral("train.init"));
  m_learningRate = new QLineEdit(train);
  addField(trForm, tr("Learning rate"), m_learningRate, QStringLiteral("train.learning_rate"));
  m_epochs = new QSpinBox(train);
  m_epochs->setRange(-1, 100000);
  addField(trForm, tr("Epochs"), m_epochs, QStringLiteral("train.epochs"));
  return train;
}

QGroupBox* SetupPanel::buildEvalSection(QWidget* content) {
  auto* evalBox = new QGroupBox(tr("Improve — evaluation"), content);
  auto* eForm = new QFormLayout(evalBox);
  m_evalSubset = new QSpinBox(evalBox);
  m_evalSubset->setRange(0, 2147483647);
  m_evalSubset->setSpecialValueText(tr("whole split"));
  addField(eForm, tr("Test problems"), m_evalSubset, QStringLiteral("eval.subset_size"));
  m_evalSamples = new QSpinBox(evalBox);
  m_evalSamples->setRange(-1000, 1000000);
  addField(eForm, tr("Answers per problem"), m_evalSamples, QStringLiteral("eval.samples"));
  m_evalTemperature = new QDoubleSpinBox(evalBox);
  m_evalTemperature->setRange(-100.0, 100.0);
  m_evalTemperature->setDecimals(2);
  m_evalTemperature->setSingleStep(0.1);
  addField(eForm, tr("Temperature (0 = greedy)"), m_evalTemperature, QStringLiteral("eval.temperature"));
  m_passAtK = new QLineEdit(evalBox);
  m_passAtK->setPlaceholderText(QStringLiteral("1, 4"));
  addField(eForm, tr("pass@k for k ="), m_passAtK, QStringLiteral("eval.pass_at_k"));
  return evalBox;
}

// Below the scroll area, so the problems and the Save button stay in view.
void SetupPanel::buildFooter(QVBoxLayout* outer) {
  m_issueList = new QLabel(this);
  m_issueList->setObjectName(QStringLiteral("issueList"));
  m_issueList->setWordWrap(true);
  m_issueList->setTextInteractionFlags(Qt::TextSelectableByMouse);
  m_issueList->setStyleSheet(QStringLiteral("QLabel { color: #b02a37; }"));
  outer->addWidget(m_issueList);
  m_saveButton = new QPushButton(tr("Save settings"), this);
  m_saveButton->setObjectName(QStringLiteral("saveSettings"));
  connect(m_saveButton, &QPushButton::clicked, this, &SetupPanel::save);
  outer->addWidget(m_saveButton);
}

// Every edit rewrites the document and revalidates it, except while the form is being filled
// from the document.
void SetupPanel::connectEdits() {
  const auto changed = [this] {
    if (m_loading) return;
    writeToDocument();
    m_document->setJson(m_doc, this);
    revalidate();
  };
  for (QLineEdit* e : {m_name, m_train, m_test, m_model, m_learningRate, m_passAtK, m_serverUrl, m_servedModel,
                       m_apiKeyEnv})
    connect(e, &QLineEdit::textChanged, this, changed);
  for (QSpinBox* s : {m_rounds, m_seed, m_samples, m_poolSize, m_maxNewTokens, m_epochs, m_evalSubset, m_evalSamples,
                      m_concurrency, m_retries, m_trainerGpus})
    connect(s, qOverload<int>(&QSpinBox::valueChanged), this, changed);
  for (QDoubleSpinBox* s : {m_temperature, m_evalTemperature, m_requestTimeout, m_startupTimeout, m_stallTimeout})
    connect(s, qOverload<double>(&QDoubleSpinBox::valueChanged), this, changed);
  // The rows follow the backend and mode before the document is rewritten from them.
  for (QComboBox* c : {m_samplerBackend, m_serverMode})
    connect(c, qOverload<int>(&QComboBox::currentIndexChanged), this, &SetupPanel::updateSamplerRows);
  connect(m_trainerBackend, qOverload<int>(&QComboBox::currentIndexChanged), this, &SetupPanel::updateTrainerRows);
  for (QComboBox* c : {m_datasetFormat, m_device, m_promptFormat, m_method, m_init, m_samplerBackend, m_serverMode,
                       m_api, m_trainerBackend})
    connect(c, qOverload<int>(&QComboBox::currentIndexChanged), this, changed);
  // A preset picked from the list and a template typed both arrive as the edit's text.
  connect(m_launch, &QComboBox::editTextChanged, this, changed);
  connect(m_launch, &QComboBox::editTextChanged, this, &SetupPanel::updateSamplerHints);
  connect(m_trainerCommand, &QComboBox::editTextChanged, this, changed);
  connect(m_trainerCommand, &QComboBox::editTextChanged, this, &SetupPanel::updateTrainerHints);
  connect(m_apiKeyEnv, &QLineEdit::textChanged, this, &SetupPanel::updateSamplerHints);
  connect(m_model, &QLineEdit::textChanged, this, &SetupPanel::updateModelSummary);
}

bool SetupPanel::loadExperiment(const QString& dir) {
  QString error;
  if (m_document->open(dir, &error)) return true;
  m_issueList->setText(error.toHtmlEscaped());
  m_issueList->setVisible(true);
  return false;
}

void SetupPanel::setDocument(const nlohmann::json& doc) {
  m_doc = doc;
  m_document->setJson(m_doc, this);
  readFromDocument();
  revalidate();
}

void SetupPanel::readFromDocument() {
  m_loading = true;
  const nlohmann::json defaults = config::ExperimentConfig().to_json();
  // A value of the wrong type in the file must not throw here: validation reports it.
  auto get = [&](const char* a, const char* b = nullptr) -> nlohmann::json {
    const nlohmann::json* node = &m_doc;
    const nlohmann::json* fallback = &defaults;
    for (const char* key : {a, b}) {
      if (!key) break;
      fallback = fallback && fallback->is_object() && fallback->contains(key) ? &(*fallback)[key] : nullptr;
      node = node && node->is_object() && node->contains(key) ? &(*node)[key] : nullptr;
    }
    if (node) return *node;
    return fallback ? *fallback : nlohmann::json();
  };
  auto text = [](const nlohmann::json& j) { return j.is_string() ? fromStd(j.get<std::string>()) : QString(); };
  auto integer = [](const nlohmann::json& j) { return j.is_number() ? static_cast<int>(j.get<double>()) : 0; };
  auto number = [](const nlohmann::json& j) { return j.is_number() ? j.get<double>() : 0.0; };
  m_name->setText(text(get("name")));
  m_rounds->setValue(integer(get("rounds")));
  m_seed->setValue(integer(get("seed")));
  setCombo(m_datasetFormat, get("dataset", "format").is_string() ? get("dataset", "format").get<std::string>() : "gsm8k");
  m_train->setText(text(get("dataset", "train")));
  m_test->setText(text(get("dataset", "test")));
  m_model->setText(text(get("model", "path")));
  setCombo(m_device, get("model", "device").is_string() ? get("model", "device").get<std::string>() : "auto");
  setCombo(m_promptFormat, get("think", "prompt_format").is_string() ? get("think", "prompt_format").get<std::string>()
                                                                     : "zero-shot");
  m_samples->setValue(integer(get("think", "samples_per_problem")));
  m_poolSize->setValue(integer(get("think", "pool_size")));
  m_temperature->setValue(number(get("think", "temperature")));
  m_maxNewTokens->setValue(integer(get("think", "max_new_tokens")));
  setCombo(m_method, get("train", "method").is_string() ? get("train", "method").get<std::string>() : "full");
  setCombo(m_init, get("train", "init").is_string() ? get("train", "init").get<std::string>() : "previous");
  m_learningRate->setText(QString::number(number(get("train", "learning_rate")), 'g', 6));
  m_epochs->setValue(integer(get("train", "epochs")));
  m_evalSubset->setValue(integer(get("eval", "subset_size")));
  m_evalSamples->setValue(integer(get("eval", "samples")));
  m_evalTemperature->setValue(number(get("eval", "temperature")));
  QStringList ks;
  for (const auto& k : get("eval", "pass_at_k")) ks << QString::number(k.is_number() ? k.get<double>() : 0);
  m_passAtK->setText(ks.join(QStringLiteral(", ")));
  readSampler(m_doc.is_object() && m_doc.contains("sampler") ? m_doc["sampler"] : defaults["sampler"]);
  readTrainer(m_doc.is_object() && m_doc.contains("trainer") ? m_doc["trainer"] : defaults["trainer"]);
  const bool unsandboxed = get("sandbox", "mode") == nlohmann::json("unsandboxed");
  m_sandboxWarning->setText(unsandboxed ? tr("Sandbox: unsandboxed — code problems' programs run without isolation "
                                             "(they can read and write this machine's files and reach the network). "
                                             "Set sandbox.mode to \"bubblewrap\" in experiment.json to isolate them.")
                                        : QString());
  m_sandboxWarning->setVisible(unsandboxed);
  m_loading = false;
  updateSamplerRows();
  updateSamplerHints();
  updateTrainerRows();
  updateTrainerHints();
  updateModelSummary();
}

QString SetupPanel::sandboxWarning() const { return m_sandboxWarning->isVisibleTo(this) ? m_sandboxWarning->text() : QString(); }

void SetupPanel::readSampler(const nlohmann::json& section) {
  const nlohmann::json defaults = config::ExperimentConfig().to_json()["sampler"];
  auto get = [&](const char* key) -> nlohmann::json {
    if (section.is_object() && section.contains(key)) return section[key];
    return defaults[key];
  };
  auto text = [&](const char* key) {
    const nlohmann::json v = get(key);
    return v.is_string() ? fromStd(v.get<std::string>()) : QString();
  };
  auto number = [&](const char* key) {
    const nlohmann::json v = get(key);
    return v.is_number() ? v.get<double>() : 0.0;
  };
  setCombo(m_samplerBackend, text("backend").toStdString());
  const QString url = text("url"), launch = text("launch");
  m_serverUrl->setText(url);
  m_launch->setEditText(launch);
  // A file with a launch command launches; one with neither starts in attach mode, where the
  // engine's "needs exactly one of url and launch" lands on the URL field.
  m_serverMode->setCurrentIndex(!launch.isEmpty() ? 1 : 0);
  setCombo(m_api, text("api").toStdString());
  m_servedModel->setText(text("model_name"));
  m_concurrency->setValue(static_cast<int>(number("concurrency")));
  m_requestTimeout->setValue(number("request_timeout_s"));
  m_retries->setValue(static_cast<int>(number("retries")));
  m_startupTimeout->setValue(number("startup_timeout_s"));
  m_apiKeyEnv->setText(text("api_key_env"));
}

void SetupPanel::updateSamplerRows() {
  const bool server = m_samplerBackend->currentData().toString() == QStringLiteral("openai");
  const bool launch = m_serverMode->currentData().toString() == QStringLiteral("launch");
  for (QWidget* w : std::initializer_list<QWidget*>{m_serverMode, m_api, m_servedModel, m_concurrency,
                                                    m_requestTimeout, m_retries, m_apiKeyEnv, m_apiKeyState})
    m_samplerForm->setRowVisible(w, server);
  m_samplerForm->setRowVisible(m_serverUrl, server && !launch);
  for (QWidget* w : std::initializer_list<QWidget*>{m_launch, m_launchHint, m_startupTimeout})
    m_samplerForm->setRowVisible(w, server && launch);
  m_servedModel->setPlaceholderText(launch ? tr("empty: round-N, the name the run gives each launched server")
                                           : tr("empty: the first model the server lists in /v1/models"));
}

void SetupPanel::updateSamplerHints() {
  const QString launch = m_launch->currentText().trimmed();
  const std::string expanded = config::launch_template(launch.toStdString());
  const bool preset = fromStd(expanded) != launch;
  QString hint;
  if (launch.isEmpty())
    hint = tr("Presets: vllm, sglang, tpt-serve. A template may use {model} {port} {host} {name} {seed} {tpt}.");
  else if (preset)
    hint = tr("runs: %1").arg(fromStd(expanded));
  else
    hint = tr("custom command; {model} {port} {host} {name} {seed} {tpt} are filled in for each model");
  m_launchHint->setText(hint);
  setHint(m_launch, preset ? fromStd(expanded) : hint);
  // Whether the variable is set: its value is never read here.
  const QString variable = m_apiKeyEnv->text().trimmed();
  m_apiKeyState->setText(variable.isEmpty() ? tr("No API key is sent.")
                         : qEnvironmentVariableIsSet(variable.toLocal8Bit().constData())
                             ? tr("%1 is set in this environment.").arg(variable)
                             : tr("%1 is not set in this environment: the run will fail to authenticate unless "
                                  "the server needs no key.")
                                   .arg(variable));
}

void SetupPanel::writeToDocument() {
  if (!m_doc.is_object()) m_doc = nlohmann::json::object();
  auto& d = m_doc;
  d["name"] = m_name->text().toStdString();
  d["rounds"] = m_rounds->value();
  d["seed"] = m_seed->value();
  d["dataset"]["format"] = m_datasetFormat->currentData().toString().toStdString();
  d["dataset"]["train"] = m_train->text().toStdString();
  d["dataset"]["test"] = m_test->text().toStdString();
  d["model"]["path"] = m_model->text().toStdString();
  d["model"]["device"] = m_device->currentData().toString().toStdString();
  d["think"]["prompt_format"] = m_promptFormat->currentData().toString().toStdString();
  d["think"]["samples_per_problem"] = m_samples->value();
  d["think"]["pool_size"] = m_poolSize->value();
  d["think"]["temperature"] = std::round(m_temperature->value() * 100) / 100;
  d["think"]["max_new_tokens"] = m_maxNewTokens->value();
  d["train"]["method"] = m_method->currentData().toString().toStdString();
  d["train"]["init"] = m_init->currentData().toString().toStdString();
  bool ok = false;
  const double lr = m_learningRate->text().trimmed().toDouble(&ok);
  // Text that is not a number goes to the engine as text, which names the field and the type.
  if (ok) d["train"]["learning_rate"] = lr;
  else d["train"]["learning_rate"] = m_learningRate->text().toStdString();
  d["train"]["epochs"] = m_epochs->value();
  d["eval"]["subset_size"] = m_evalSubset->value();
  d["eval"]["samples"] = m_evalSamples->value();
  d["eval"]["temperature"] = std::round(m_evalTemperature->value() * 100) / 100;
  nlohmann::json ks = nlohmann::json::array();
  for (const QString& part : m_passAtK->text().split(QLatin1Char(','), Qt::SkipEmptyParts)) {
    bool isInt = false;
    const int k = part.trimmed().toInt(&isInt);
    if (isInt) ks.push_back(k);
    else ks.push_back(part.trimmed().toStdString());
  }
  d["eval"]["pass_at_k"] = ks;
  writeSampler();
  writeTrainer();
}

// Writes the keys the file has, and those whose value differs from the engine's default: a
// file without a sampler section (or with only some keys) keeps its shape when nothing in it
// changed, so load → form → save gives back the same JSON.
void SetupPanel::writeSampler() {
  const nlohmann::json defaults = config::ExperimentConfig().to_json()["sampler"];
  const bool server = m_samplerBackend->currentData().toString() == QStringLiteral("openai");
  const bool launch = m_serverMode->currentData().toString() == QStringLiteral("launch");
  nlohmann::json values = {
      {"backend", m_samplerBackend->currentData().toString().toStdString()},
      // For a server, only the mode's field is given: the other one is emptied, as the engine
      // takes exactly one. For the engine both are kept as typed (they are not used).
      {"url", server && launch ? std::string() : m_serverUrl->text().trimmed().toStdString()},
      {"launch", server && !launch ? std::string() : m_launch->currentText().trimmed().toStdString()},
      {"api", m_api->currentData().toString().toStdString()},
      {"model_name", m_servedModel->text().trimmed().toStdString()},
      {"concurrency", m_concurrency->value()},
      {"request_timeout_s", seconds(m_requestTimeout->value())},
      {"retries", m_retries->value()},
      {"startup_timeout_s", seconds(m_startupTimeout->value())},
      {"api_key_env", m_apiKeyEnv->text().trimmed().toStdString()}};
  nlohmann::json& d = m_doc;
  const bool hasSection = d.contains("sampler") && d["sampler"].is_object();
  if (!hasSection && values == defaults) return;
  if (!hasSection) d["sampler"] = nlohmann::json::object();
  nlohmann::json& section = d["sampler"];
  for (const auto& [key, value] : values.items())
    if (section.contains(key) || value != defaults[key]) section[key] = value;
}

void SetupPanel::readTrainer(const nlohmann::json& section) {
  const nlohmann::json defaults = config::ExperimentConfig().to_json()["trainer"];
  auto get = [&](const char* key) -> nlohmann::json {
    if (section.is_object() && section.contains(key)) return section[key];
    return defaults[key];
  };
  const nlohmann::json backend = get("backend"), command = get("command"), gpus = get("gpus"),
                       stall = get("stall_timeout_s");
  setCombo(m_trainerBackend, backend.is_string() ? backend.get<std::string>() : "engine");
  m_trainerCommand->setEditText(command.is_string() ? fromStd(command.get<std::string>()) : QString());
  m_trainerGpus->setValue(gpus.is_number() ? static_cast<int>(gpus.get<double>()) : 0);
  m_stallTimeout->setValue(stall.is_number() ? stall.get<double>() : 0.0);
}

// The engine checks the command's fields whatever the backend: one with a problem stays in
// view in process too, or the form would refuse to save over a field it hides.
void SetupPanel::updateTrainerRows() {
  const bool external = m_trainerBackend->currentData().toString() == QStringLiteral("command");
  const bool command = external || m_issues.contains(QStringLiteral("trainer.command"));
  m_trainerForm->setRowVisible(m_trainerCommand, command);
  m_trainerForm->setRowVisible(m_trainerCommandHint, command);
  m_trainerForm->setRowVisible(m_trainerGpus, external || m_issues.contains(QStringLiteral("trainer.gpus")));
  m_trainerForm->setRowVisible(m_stallTimeout,
                               external || m_issues.contains(QStringLiteral("trainer.stall_timeout_s")));
}

void SetupPanel::updateTrainerHints() {
  const QString command = m_trainerCommand->currentText().trimmed();
  const QString expanded = fromStd(config::trainer_command_template(command.toStdString()));
  const bool preset = expanded != command;
  QString hint;
  if (command.isEmpty())
    hint = tr("Presets: trl, trl-multi-gpu, accelerate, llama-factory, tpt-sft. A template must contain {config} "
              "and may use {gpus} {tpt} {data} {output} {model}.");
  else if (preset)
    hint = tr("runs: %1").arg(shellLines(expanded));
  else
    hint = tr("custom command: {config} is the config file written for the round, {data} the training JSONL, "
              "{output} the folder the trained model goes to, {model} the model training starts from, {gpus} the "
              "GPUs below, {tpt} the tpt program.");
  // LLaMA-Factory reads neither TRL's JSONL nor its YAML: the runner writes its formats instead.
  if (config::runs_llama_factory(command.toStdString()))
    hint += QStringLiteral("\n") + tr("LLaMA-Factory: its own config and dataset are written, not TRL's.");
  m_trainerCommandHint->setText(hint);
  setHint(m_trainerCommand, preset ? expanded + QStringLiteral("\n") + trainerPresetDescription(command) : hint);
  // The GPU count reaches the trainer only through {gpus}: for commands without it the field
  // would change nothing, so it is greyed out (the value stays in the file).
  const bool usesGpus = expanded.contains(QStringLiteral("{gpus}"));
  m_trainerGpus->setEnabled(usesGpus);
  setHint(m_trainerGpus,
          usesGpus ? tr("Processes to launch, one per GPU: the command's {gpus}.")
                   : tr("Not used by this command (it has no {gpus}): trl-multi-gpu and accelerate launch one "
                        "process per GPU; LLaMA-Factory uses every GPU it sees."));
}

// As writeSampler: only the keys the file has, and those that differ from the engine's
// default, so that a file without a trainer section keeps its shape.
void SetupPanel::writeTrainer() {
  const nlohmann::json defaults = config::ExperimentConfig().to_json()["trainer"];
  const nlohmann::json values = {{"backend", m_trainerBackend->currentData().toString().toStdString()},
                                 {"command", m_trainerCommand->currentText().trimmed().toStdString()},
                                 {"gpus", m_trainerGpus->value()},
                                 {"stall_timeout_s", seconds(m_stallTimeout->value())}};
  nlohmann::json& d = m_doc;
  const bool hasSection = d.contains("trainer") && d["trainer"].is_object();
  if (!hasSection && values == defaults) return;
  if (!hasSection) d["trainer"] = nlohmann::json::object();
  nlohmann::json& section = d["trainer"];
  for (const auto& [key, value] : values.items())
    if (section.contains(key) || value != defaults[key]) section[key] = value;
}

void SetupPanel::revalidate() {
  const bool wasValid = m_issues.empty();
  // Validation and the run's start checks come from the document, which holds the form's
  // values; the same checks gate saving.
  const auto byField = [this](const QList<SettingsIssue>& issues) {
    QHash<QString, QString> fields;
    for (const auto& issue : issues) {
      // "eval.pass_at_k[1]" belongs to the pass_at_k field.
      QString path = issue.path;
      const int bracket = path.indexOf(QLatin1Char('['));
      if (bracket >= 0) path.truncate(bracket);
      // In launch mode the URL row is hidden: "needs exactly one of url and launch" belongs to
      // the launch command the user has not given yet.
      if (path == QStringLiteral("sampler.url") && m_serverMode->currentData().toString() == QStringLiteral("launch"))
        path = QStringLiteral("sampler.launch");
      fields.insert(path, fields.contains(path) ? fields[path] + QStringLiteral("\n") + issue.message : issue.message);
    }
    return fields;
  };
  m_issues = byField(m_document->issues());
  m_forkChanges = byField(m_document->changesSinceRounds());
  updateTrainerRows();
  for (auto it = m_fields.constBegin(); it != m_fields.constEnd(); ++it) {
    QWidget* field = it.value();
    const bool invalid = m_issues.contains(it.key());
    const bool changed = m_forkChanges.contains(it.key());
    field->setProperty("invalid", invalid);
    field->setProperty("changedSinceRounds", changed);
    field->setStyleSheet(invalid   ? QString::fromLatin1(kInvalidStyle)
                         : changed ? QString::fromLatin1(kChangedStyle)
                                   : QString());
    field->setToolTip(invalid   ? m_issues.value(it.key())
                      : changed ? m_forkChanges.value(it.key())
                                : field->property("hint").toString());
  }
  QStringList lines;
  for (auto it = m_issues.constBegin(); it != m_issues.constEnd(); ++it)
    lines << (it.key().isEmpty() ? it.value() : it.key() + QStringLiteral(": ") + it.value());
  lines.sort();
  QStringList changes;
  for (auto it = m_forkChanges.constBegin(); it != m_forkChanges.constEnd(); ++it)
    changes << it.key() + QStringLiteral(": ") + it.value();
  changes.sort();
  m_issueList->setText((lines + changes).join(QStringLiteral("\n")));
  m_issueList->setVisible(!lines.isEmpty() || !changes.isEmpty());
  m_saveButton->setEnabled(lines.isEmpty() && m_document->isOpen());
  m_saveButton->setText(changes.isEmpty() ? tr("Save settings") : tr("Fork…"));
  updateEstimate();
  if (wasValid != m_issues.empty()) Q_EMIT validityChanged(m_issues.empty());
}

void SetupPanel::updateModelSummary() {
  QString folder = m_model->text().trimmed();
  if (folder.isEmpty()) {
    m_modelSummary->setText(tr("No model folder chosen."));
    return;
  }
  if (QDir::isRelativePath(folder) && m_document->isOpen()) folder = QDir(m_document->dir()).filePath(folder);
  const QString config = QDir(folder).filePath(QStringLiteral("config.json"));
  if (isBuiltInModelFolder(folder) && !QFileInfo::exists(config)) {
    m_modelSummary->setText(tr("The built-in base model: built once, when the run starts (a few minutes on a "
                               "laptop CPU), then reused."));
    return;
  }
  if (!QFileInfo::exists(config)) {
    m_modelSummary->setText(tr("%1: no config.json — not an HF-format model folder").arg(folder));
    return;
  }
  try {
    const model::ModelConfig c = model::read_model_config(config.toStdString());
    // The matmul weights count the output head; an untied model has the embedding table on
    // top. Norms and biases are negligible.
    const double parameters =
        model::matmul_weights(c) + (c.tie_word_embeddings ? 0.0 : static_cast<double>(c.vocab_size * c.hidden_size));
    const QString size = parameters >= 1e9   ? QString::number(parameters / 1e9, 'f', 2) + QStringLiteral("B")
                         : parameters >= 1e6 ? QString::number(parameters / 1e6, 'f', 1) + QStringLiteral("M")
                                             : QString::number(parameters / 1e3, 'f', 0) + QStringLiteral("K");
    const std::string dtype = c.raw.contains("dtype") && c.raw["dtype"].is_string() ? c.raw["dtype"].get<std::string>()
                              : c.raw.contains("torch_dtype") && c.raw["torch_dtype"].is_string()
                                  ? c.raw["torch_dtype"].get<std::string>()
                                  : "float32";
    m_modelSummary->setText(tr("%1 · %2 params · %3 on disk · %4 layers · hidden %5 · vocab %6 · runs on %7")
                                .arg(fromStd(model::family_name(c.family)), size, fromStd(dtype))
                                .arg(c.num_layers)
                                .arg(c.hidden_size)
                                .arg(c.vocab_size)
                                .arg(m_device->currentData().toString()));
  } catch (const std::exception& e) {
    m_modelSummary->setText(QString::fromStdString(e.what()));
  }
}

void SetupPanel::updateEstimate() {
  auto problems = [&](const QString& relative) -> qint64 {
    if (relative.isEmpty()) return -1;
    const QString path =
        QDir::isRelativePath(relative) && m_document->isOpen() ? QDir(m_document->dir()).filePath(relative) : relative;
    if (!m_lineCounts.contains(path)) m_lineCounts.insert(path, countLines(path));
    return m_lineCounts.value(path);
  };
  const qint64 pool = problems(m_train->text());
  const qint64 test = problems(m_test->text());
  const qint64 perRound = m_poolSize->value() > 0 && (pool < 0 || m_poolSize->value() < pool) ? m_poolSize->value() : pool;
  const qint64 evalProblems =
      m_evalSubset->value() > 0 && (test < 0 || m_evalSubset->value() < test) ? m_evalSubset->value() : test;
  if (perRound < 0 || evalProblems < 0) {
    m_estimate->setText(tr("Choose the problem files to see the work per round."));
    return;
  }
  const qint64 samples = perRound * std::max(0, m_samples->value());
  const qint64 answers = evalProblems * std::max(0, m_evalSamples->value());
  m_estimate->setText(tr("Per round: %L1 samples on %L2 problems (at most %L3 generated tokens); Improve: %L4 "
                         "answers on %L5 test problems.")
                          .arg(samples)
                          .arg(perRound)
                          .arg(samples * std::max(0, m_maxNewTokens->value()))
                          .arg(answers)
                          .arg(evalProblems));
}

void SetupPanel::applyPreset() {
  try {
    const QString name = m_preset->currentData().toString();
    if (name.isEmpty()) return;
    if (name.startsWith(QStringLiteral("demo"))) {
      // The demo's problem files are written beside experiment.json; its model is the
      // built-in one (built when the run starts, if it is not cached yet).
      demo::DemoOptions options;
      options.quick = name == QStringLiteral("demo-quick");
      if (m_document->isOpen()) demo::write_demo_data(options, m_document->dir().toStdString());
      const auto recipe = demo::demo_spec(options).base_model;
      setDocument(demo::demo_experiment_config(options, demo::cached_base_model_dir(recipe)).to_json());
      return;
    }
    config::ExperimentConfig c = config::preset(name.toStdString());
    nlohmann::json doc = c.to_json();
    // The files the user already chose stay, unless the preset brings its own.
    if (c.dataset.train.empty()) doc["dataset"]["train"] = m_train->text().toStdString();
    if (c.dataset.test.empty()) doc["dataset"]["test"] = m_test->text().toStdString();
    doc["model"]["path"] = m_model->text().toStdString();
    setDocument(doc);
  } catch (const std::exception& e) {
    m_issueList->setText(QString::fromStdString(e.what()));
  }
}

bool SetupPanel::save() {
  writeToDocument();
  m_document->setJson(m_doc, this);
  revalidate();
  if (!isValid() || !m_document->isOpen()) return false;
  if (!m_forkChanges.isEmpty()) {
    QStringList changes;
    for (const auto& change : m_document->changesSinceRounds()) changes << change.path + QStringLiteral(": ") + change.message;
    Q_EMIT forkNeeded(changes);
    return false;
  }
  QString error;
  if (!m_document->save(&error)) {
    m_issueList->setText(error);
    m_issueList->setVisible(true);
    return false;
  }
  Q_EMIT saved(m_document->dir());
  return true;
}

QString SetupPanel::browseFile(QLineEdit* edit, bool folder) {
  const QString start = edit->text().isEmpty() ? m_document->dir() : edit->text();
  const QString chosen = folder ? QFileDialog::getExistingDirectory(this, tr("Choose a model folder"), start)
                                : QFileDialog::getOpenFileName(this, tr("Choose a problem file"), start,
                                                               tr("JSON Lines (*.jsonl *.json);;All files (*)"));
  if (!chosen.isEmpty()) edit->setText(chosen);
  return chosen;
}

}  // namespace tpt::ui
