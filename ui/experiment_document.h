// The open experiment's settings, experiment.json, as one document for the whole workbench.
// The Setup form and the Pruning rules edit it through this object and hear each other's edits
// (changed()), so no panel writes back a stale copy of the file; the window shows unsaved
// changes from isModified().
//
// Saving checks what `tpt run` checks when it starts: the settings validate, the files they
// name exist, and the settings the stored rounds were run with have not changed (else the
// change needs a fork: a new experiment with the new settings, as `tpt run --fork`).
#pragma once

#include <QObject>
#include <QString>
#include <QStringList>

#include <nlohmann/json.hpp>

namespace tpt::ui {

// A problem with the settings, at the JSON path of its field ("dataset.train"; "" for the
// document as a whole).
struct SettingsIssue {
  QString path;
  QString message;
};

class ExperimentDocument : public QObject {
  Q_OBJECT

 public:
  explicit ExperimentDocument(QObject* parent = nullptr);

  // Reads `dir`/experiment.json. On failure the document is closed (no experiment) and
  // `error` says why, naming the path as given. A database written by an earlier version is
  // migrated here, once, so the read-only views (and the stored settings below) can read it.
  bool open(const QString& dir, QString* error = nullptr);
  // No experiment: the views show nothing.
  void close();
  bool isOpen() const { return !m_dir.isEmpty(); }
  QString dir() const { return m_dir; }
  QString configFile() const;

  const nlohmann::json& json() const { return m_doc; }
  // Replaces the document; `origin` (the editing panel) is passed on with changed() so it can
  // ignore its own echo.
  void setJson(const nlohmann::json& doc, QObject* origin = nullptr);
  // Replaces one top-level section ("prune").
  void setSection(const std::string& key, const nlohmann::json& value, QObject* origin = nullptr);
  bool isModified() const { return m_modified; }

  // The engine's validation and the files the settings name, by field.
  QList<SettingsIssue> issues() const;
  // Settings that differ from those the stored rounds ran with ("think.temperature: 0.8 -> 1"),
  // by field; a run refuses them, a fork takes them.
  QList<SettingsIssue> changesSinceRounds() const;
  int roundsStored() const { return m_roundsStored; }
  // Why the experiment's database could not be opened on open() ("" when it could, or has none).
  QString databaseError() const { return m_databaseError; }
  // Re-reads the settings the stored rounds ran with (after a run).
  void reloadStoredSettings();

  // Writes experiment.json when nothing in issues() or changesSinceRounds() stands in the way.
  // False (with the first reason in `error`) otherwise; nothing is written then.
  bool save(QString* error = nullptr);
  // Writes the document as a new experiment in `newDir` (as `tpt run --fork`), its relative
  // paths made absolute. Returns the new folder, or "" with `error`.
  QString fork(const QString& newDir, QString* error = nullptr);

 Q_SIGNALS:
  void opened(const QString& dir);
  void closed();
  void changed(QObject* origin);
  void modifiedChanged(bool modified);
  void saved(const QString& dir);

 private:
  void setModified(bool modified);
  void migrateDatabase();

  QString m_dir;
  nlohmann::json m_doc;
  nlohmann::json m_stored;  // the settings of the stored rounds; null when none ran
  int m_roundsStored = 0;
  QString m_databaseError;
  bool m_modified = false;
};

// Whether `folder` is where the workbench builds its built-in base model (named before it
// exists; built when a run starts).
bool isBuiltInModelFolder(const QString& folder);

}  // namespace tpt::ui
