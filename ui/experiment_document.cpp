#include "experiment_document.h"

#include <QDir>
#include <QFileInfo>

#include "config/experiment_config.h"
#include "demo/base_model.h"
#include "io/json_fields.h"
#include "run/experiment.h"
#include "run/paths.h"
#include "store/store.h"

namespace tpt::ui {

namespace {

QString fromStd(const std::string& s) { return QString::fromStdString(s); }

std::string textAt(const nlohmann::json& doc, const char* pointer) {
  const nlohmann::json::json_pointer at(pointer);
  return doc.is_object() && doc.contains(at) && doc.at(at).is_string() ? doc.at(at).get<std::string>() : std::string();
}

}  // namespace

bool isBuiltInModelFolder(const QString& folder) {
  try {
    return folder.startsWith(fromStd(demo::user_data_dir() + "/models/base-"));
  } catch (const std::exception&) {
    return false;  // no data folder (no HOME): then it is not the built-in model either
  }
}

ExperimentDocument::ExperimentDocument(QObject* parent) : QObject(parent), m_doc(config::ExperimentConfig().to_json()) {}

QString ExperimentDocument::configFile() const {
  return m_dir.isEmpty() ? QString() : QDir(m_dir).filePath(QStringLiteral("experiment.json"));
}

bool ExperimentDocument::open(const QString& path, QString* error) {
  const auto fail = [&](const QString& why) {
    close();
    if (error) *error = why;
    return false;
  };
  const QFileInfo info(path);
  if (!info.exists()) return fail(tr("%1: no such file or folder").arg(path));
  const QString dir = info.isDir() ? QDir(path).absolutePath() : info.absolutePath();
  const QString file = QDir(dir).filePath(QStringLiteral("experiment.json"));
  if (!QFileInfo::exists(file))
    return fail(tr("%1: not an experiment folder (it has no experiment.json); File → New Experiment makes one").arg(path));
  nlohmann::json doc;
  try {
    doc = io::read_json_file(file.toStdString());
  } catch (const std::exception& e) {
    return fail(fromStd(e.what()));
  }
  m_dir = dir;
  m_doc = std::move(doc);
  migrateDatabase();
  reloadStoredSettings();
  setModified(false);
  Q_EMIT opened(m_dir);
  return true;
}

void ExperimentDocument::close() {
  const bool wasOpen = isOpen();
  m_dir.clear();
  m_doc = config::ExperimentConfig().to_json();
  m_stored = nullptr;
  m_roundsStored = 0;
  m_databaseError.clear();
  setModified(false);
  if (wasOpen) Q_EMIT closed();
}

void ExperimentDocument::setJson(const nlohmann::json& doc, QObject* origin) {
  if (doc == m_doc) return;
  m_doc = doc;
  setModified(true);
  Q_EMIT changed(origin);
}

void ExperimentDocument::setSection(const std::string& key, const nlohmann::json& value, QObject* origin) {
  nlohmann::json doc = m_doc.is_object() ? m_doc : nlohmann::json::object();
  doc[key] = value;
  setJson(doc, origin);
}

void ExperimentDocument::setModified(bool modified) {
  if (m_modified == modified) return;
  m_modified = modified;
  Q_EMIT modifiedChanged(modified);
}

void ExperimentDocument::migrateDatabase() {
  m_databaseError.clear();
  const auto paths = run::ExperimentPaths::locate(m_dir.toStdString());
  // A run in another process holds the experiment: it has migrated the database already.
  if (!QFileInfo::exists(fromStd(paths.store_file)) || run::run_in_progress(paths)) return;
  try {
    store::Store migrate(paths.store_file);  // a read-write open brings the schema up to date
  } catch (const std::exception& e) {
    m_databaseError = fromStd(e.what());
  }
}

void ExperimentDocument::reloadStoredSettings() {
  m_stored = nullptr;
  m_roundsStored = 0;
  if (m_dir.isEmpty()) return;
  const auto paths = run::ExperimentPaths::locate(m_dir.toStdString());
  if (!QFileInfo::exists(fromStd(paths.store_file))) return;
  try {
    store::Store store(paths.store_file, store::OpenMode::read_only);
    const auto experiments = store.list_experiments();
    if (experiments.empty()) return;
    m_roundsStored = static_cast<int>(store.list_rounds(experiments.front().id).size());
    if (m_roundsStored > 0) m_stored = nlohmann::json::parse(experiments.front().config_json);
  } catch (const std::exception&) {
    // An unreadable database is reported by the views that show it; the settings still save.
    m_stored = nullptr;
    m_roundsStored = 0;
  }
}

QList<SettingsIssue> ExperimentDocument::issues() const {
  QList<SettingsIssue> list;
  for (const auto& issue : config::ExperimentConfig::validate(m_doc))
    list.append({fromStd(issue.path), fromStd(issue.message)});
  if (m_dir.isEmpty()) return list;
  // The files a run opens first, as it opens them: relative to the experiment folder.
  const auto resolve = [this](const std::string& path) {
    const QString p = fromStd(path);
    return QDir::isRelativePath(p) ? QDir(m_dir).filePath(p) : p;
  };
  for (const char* field : {"dataset.train", "dataset.test"}) {
    const std::string pointer = "/" + QString::fromLatin1(field).replace(QLatin1Char('.'), QLatin1Char('/')).toStdString();
    const std::string path = textAt(m_doc, pointer.c_str());
    if (path.empty()) continue;
    const QString file = resolve(path);
    if (!QFileInfo(file).isFile()) list.append({QString::fromLatin1(field), tr("%1: no such file").arg(file)});
  }
  const std::string model = textAt(m_doc, "/model/path");
  if (!model.empty()) {
    const QString folder = resolve(model);
    if (!QFileInfo::exists(QDir(folder).filePath(QStringLiteral("config.json"))) && !isBuiltInModelFolder(folder))
      list.append({QStringLiteral("model.path"), tr("%1: not a model folder (no config.json in it)").arg(folder)});
  }
  return list;
}

QList<SettingsIssue> ExperimentDocument::changesSinceRounds() const {
  QList<SettingsIssue> list;
  if (m_stored.is_null()) return list;
  // Compared as a run compares them: the settings with their defaults filled in (the stored
  // copy is written so), not the file's text, which may leave defaults out.
  nlohmann::json current;
  try {
    current = config::ExperimentConfig::from_json(m_doc, configFile().toStdString()).to_json();
  } catch (const std::exception&) {
    return list;  // invalid settings: issues() says what, and nothing saves until they are fixed
  }
  for (const auto& change : run::config_change_list(m_stored, current))
    list.append({fromStd(change.path),
                 tr("%1 round(s) ran with %2 (now %3): undo the change, or fork a new experiment with it")
                     .arg(m_roundsStored)
                     .arg(fromStd(change.before), fromStd(change.after))});
  return list;
}

bool ExperimentDocument::save(QString* error) {
  const auto fail = [&](const QString& why) {
    if (error) *error = why;
    return false;
  };
  if (m_dir.isEmpty()) return fail(tr("No experiment is open."));
  const auto problems = issues();
  if (!problems.isEmpty())
    return fail(problems.front().path.isEmpty() ? problems.front().message
                                                : problems.front().path + QStringLiteral(": ") + problems.front().message);
  const auto changes = changesSinceRounds();
  if (!changes.isEmpty()) return fail(changes.front().path + QStringLiteral(": ") + changes.front().message);
  try {
    QDir().mkpath(m_dir);
    io::write_json_file(configFile().toStdString(), m_doc);
  } catch (const std::exception& e) {
    return fail(fromStd(e.what()));
  }
  setModified(false);
  Q_EMIT saved(m_dir);
  return true;
}

QString ExperimentDocument::fork(const QString& newDir, QString* error) {
  try {
    config::ExperimentConfig config = config::ExperimentConfig::from_json(m_doc, configFile().toStdString());
    config.base_dir = m_dir.toStdString();
    const std::string file = run::fork_experiment(config, newDir.toStdString());
    return QFileInfo(fromStd(file)).absolutePath();
  } catch (const std::exception& e) {
    if (error) *error = fromStd(e.what());
    return {};
  }
}

}  // namespace tpt::ui
