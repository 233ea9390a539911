#include "store/schema.h"

#include <string>
#include <vector>

#include "core/error.h"
#include "store/database.h"

namespace tpt::store {

namespace {

struct Migration {
  int version;  // user_version after this step
  const char* summary;
  const char* sql;
};

// Conventions: times are ISO-8601 UTC text ("2024-05-01T12:00:00.123Z"), readable in the
// sqlite3 shell. Enumerations are text with a CHECK, so a bad value fails at the write.
const std::vector<Migration>& migrations() {
  static const std::vector<Migration> list = {
      {1, "experiments, rounds, problems, samples, decisions, annotations, metrics, events", R"sql(
CREATE TABLE experiments(
  id          INTEGER PRIMARY KEY,
  name        TEXT NOT NULL UNIQUE,
  config_json TEXT NOT NULL DEFAULT '{}',
  created_at  TEXT NOT NULL
);

CREATE TABLE rounds(
  id            INTEGER PRIMARY KEY,
  experiment_id INTEGER NOT NULL REFERENCES experiments(id) ON DELETE CASCADE,
  round_index   INTEGER NOT NULL CHECK(round_index >= 0),
  state         TEXT NOT NULL DEFAULT 'pending',
  model_path    TEXT NOT NULL DEFAULT '',
  created_at    TEXT NOT NULL,
  updated_at    TEXT NOT NULL,
  UNIQUE(experiment_id, round_index)
);

CREATE TABLE problems(
  id            INTEGER PRIMARY KEY,
  experiment_id INTEGER NOT NULL REFERENCES experiments(id) ON DELETE CASCADE,
  split         TEXT NOT NULL,
  problem_key   TEXT NOT NULL,
  question      TEXT NOT NULL,
  solution      TEXT NOT NULL DEFAULT '',
  gold          TEXT NOT NULL,
  UNIQUE(experiment_id, split, problem_key)
);

-- The UNIQUE key is what resume relies on: a sample is identified by where it was drawn, not
-- by when it was written. The trace text comes last so the short columns sit in the row's
-- first bytes.
CREATE TABLE samples(
  id             INTEGER PRIMARY KEY,
  round_id       INTEGER NOT NULL REFERENCES rounds(id) ON DELETE CASCADE,
  problem_id     INTEGER NOT NULL REFERENCES problems(id) ON DELETE CASCADE,
  sample_index   INTEGER NOT NULL CHECK(sample_index >= 0),
  token_count    INTEGER NOT NULL,
  finish_reason  TEXT NOT NULL,
  seed           INTEGER NOT NULL,
  temperature    REAL NOT NULL,
  top_p          REAL NOT NULL,
  top_k          INTEGER NOT NULL,
  max_new_tokens INTEGER NOT NULL,
  created_at     TEXT NOT NULL,
  text           TEXT NOT NULL,
  UNIQUE(round_id, problem_id, sample_index)
);
CREATE INDEX samples_by_problem ON samples(problem_id);

-- One row per sample: re-pruning replaces it. round_id repeats the sample's so that the
-- browser's indexes can start with it. A sample is dropped exactly when a rule dropped it.
CREATE TABLE decisions(
  sample_id     INTEGER PRIMARY KEY REFERENCES samples(id) ON DELETE CASCADE,
  round_id      INTEGER NOT NULL REFERENCES rounds(id) ON DELETE CASCADE,
  kept          INTEGER NOT NULL CHECK(kept IN (0, 1)),
  dropped_by    TEXT,
  reason        TEXT NOT NULL DEFAULT '',
  extracted     TEXT,
  verdict       TEXT NOT NULL CHECK(verdict IN ('correct', 'wrong', 'no_answer')),
  rule_verdicts TEXT NOT NULL DEFAULT '[]' CHECK(json_valid(rule_verdicts)),
  decided_at    TEXT NOT NULL,
  CHECK((kept = 1) = (dropped_by IS NULL))
);
CREATE INDEX decisions_by_kept ON decisions(round_id, kept, sample_id);

CREATE TABLE annotations(
  id         INTEGER PRIMARY KEY,
  sample_id  INTEGER NOT NULL REFERENCES samples(id) ON DELETE CASCADE,
  annotator  TEXT NOT NULL,
  label      TEXT NOT NULL CHECK(label IN ('accept', 'reject', 'flag')),
  comment    TEXT NOT NULL DEFAULT '',
  created_at TEXT NOT NULL
);
CREATE INDEX annotations_by_sample ON annotations(sample_id);

-- value may be NULL: SQLite stores NaN as NULL, and a diverged loss is worth recording.
CREATE TABLE metrics(
  round_id INTEGER NOT NULL REFERENCES rounds(id) ON DELETE CASCADE,
  name     TEXT NOT NULL,
  value    REAL,
  PRIMARY KEY(round_id, name)
) WITHOUT ROWID;

CREATE TABLE events(
  id            INTEGER PRIMARY KEY,
  experiment_id INTEGER NOT NULL REFERENCES experiments(id) ON DELETE CASCADE,
  round_id      INTEGER REFERENCES rounds(id) ON DELETE SET NULL,
  time          TEXT NOT NULL,
  level         TEXT NOT NULL CHECK(level IN ('debug', 'info', 'warning', 'error')),
  phase         TEXT NOT NULL,
  message       TEXT NOT NULL
);
CREATE INDEX events_by_experiment ON events(experiment_id, id);
CREATE INDEX events_by_round ON events(round_id);
)sql"},

      // The trace browser pages through samples in id order under filters. Each index below
      // ends in the sample id, so "filter = x AND id > last ORDER BY id LIMIT n" is one range
      // scan that stops after n rows, at any depth and any table size. The latest annotation
      // label is copied onto the sample by triggers, so that filtering on it needs no
      // per-row subquery.
      {2, "trace browser: latest annotation label on samples, paging indexes", R"sql(
ALTER TABLE samples ADD COLUMN annotation_label TEXT
  CHECK(annotation_label IN ('accept', 'reject', 'flag'));
UPDATE samples SET annotation_label =
  (SELECT label FROM annotations a WHERE a.sample_id = samples.id ORDER BY a.id DESC LIMIT 1)
  WHERE id IN (SELECT sample_id FROM annotations);

CREATE TRIGGER annotations_set_label AFTER INSERT ON annotations BEGIN
  UPDATE samples SET annotation_label = NEW.label WHERE id = NEW.sample_id;
END;
CREATE TRIGGER annotations_unset_label AFTER DELETE ON annotations BEGIN
  UPDATE samples SET annotation_label =
    (SELECT label FROM annotations WHERE sample_id = OLD.sample_id ORDER BY id DESC LIMIT 1)
    WHERE id = OLD.sample_id;
END;

CREATE INDEX samples_by_round ON samples(round_id);
-- Annotations are few: partial indexes hold only the annotated samples.
CREATE INDEX samples_by_label ON samples(annotation_label) WHERE annotation_label IS NOT NULL;
CREATE INDEX samples_annotated ON samples(id) WHERE annotation_label IS NOT NULL;
CREATE INDEX decisions_by_verdict ON decisions(round_id, verdict, sample_id);
CREATE INDEX decisions_by_rule ON decisions(round_id, dropped_by, sample_id);
)sql"},

      // The round runner. Rounds keep the settings they ran with (experiment.json may change
      // its rule set between rounds); evaluation samples live apart from Think's so the trace
      // browser and the kept set never mix a test answer with a training trace; every
      // optimizer step is kept for the loss chart.
      {3, "round runner: run state, round settings, evaluation samples, training steps", R"sql(
ALTER TABLE experiments ADD COLUMN state TEXT NOT NULL DEFAULT 'new';
ALTER TABLE experiments ADD COLUMN state_detail TEXT NOT NULL DEFAULT '';
ALTER TABLE rounds ADD COLUMN config_json TEXT NOT NULL DEFAULT '{}' CHECK(json_valid(config_json));

-- One row per (round, problem, sample index), like samples, judged by both checkers at once.
CREATE TABLE eval_samples(
  id                 INTEGER PRIMARY KEY,
  round_id           INTEGER NOT NULL REFERENCES rounds(id) ON DELETE CASCADE,
  problem_id         INTEGER NOT NULL REFERENCES problems(id) ON DELETE CASCADE,
  sample_index       INTEGER NOT NULL CHECK(sample_index >= 0),
  token_count        INTEGER NOT NULL,
  finish_reason      TEXT NOT NULL,
  seed               INTEGER NOT NULL,
  temperature        REAL NOT NULL,
  extracted_strict   TEXT,
  extracted_flexible TEXT,
  correct_strict     INTEGER NOT NULL CHECK(correct_strict IN (0, 1)),
  correct_flexible   INTEGER NOT NULL CHECK(correct_flexible IN (0, 1)),
  created_at         TEXT NOT NULL,
  text               TEXT NOT NULL,
  UNIQUE(round_id, problem_id, sample_index)
);
CREATE INDEX eval_samples_by_problem ON eval_samples(problem_id, round_id);

CREATE TABLE train_steps(
  round_id          INTEGER NOT NULL REFERENCES rounds(id) ON DELETE CASCADE,
  step              INTEGER NOT NULL CHECK(step >= 1),
  loss              REAL,
  learning_rate     REAL NOT NULL,
  grad_norm         REAL,
  tokens            INTEGER NOT NULL,
  completion_tokens INTEGER NOT NULL,
  seconds           REAL NOT NULL,
  PRIMARY KEY(round_id, step)
) WITHOUT ROWID;
)sql"},
      // Where a phase's samples came from: the in-process engine or an OpenAI-compatible server
      // (its URL, launch command and version). A phase resumed on another backend adds a row, so
      // a round drawn partly on each shows both.
      {4, "sampler origins: which backend and server drew each phase's samples", R"sql(
CREATE TABLE sampler_origins(
  round_id       INTEGER NOT NULL REFERENCES rounds(id) ON DELETE CASCADE,
  phase          TEXT NOT NULL CHECK(phase IN ('think', 'eval')),
  backend        TEXT NOT NULL CHECK(backend IN ('engine', 'openai')),
  url            TEXT NOT NULL DEFAULT '',
  launch_command TEXT NOT NULL DEFAULT '',
  server_version TEXT NOT NULL DEFAULT '',
  model_name     TEXT NOT NULL DEFAULT '',
  first_used_at  TEXT NOT NULL,
  last_used_at   TEXT NOT NULL,
  UNIQUE(round_id, phase, backend, url, launch_command, server_version, model_name)
);
)sql"},
      // Code problems are judged by running the program on unit tests: a decision and an
      // evaluation answer keep that judgement (verdict per test, the program's output, the
      // sandbox's message) as JSON for the trace browser. Math answers leave it empty.
      {5, "code judgements: per-test results of decisions and evaluation answers", R"sql(
ALTER TABLE decisions ADD COLUMN detail TEXT NOT NULL DEFAULT '';
ALTER TABLE eval_samples ADD COLUMN detail TEXT NOT NULL DEFAULT '';
)sql"},
      // A round's trained model counts only if the database recorded it: the digest of the
      // folder its Train wrote (io::model_digest), compared whenever the folder is used again.
      // "training" while Train runs; "legacy" for models trained before digests were kept,
      // whose digest is recorded on their next use.
      {6, "model digests: the content digest of each round's trained model", R"sql(
ALTER TABLE rounds ADD COLUMN model_digest TEXT NOT NULL DEFAULT '';
UPDATE rounds SET model_digest = 'legacy' WHERE model_path != '' AND round_index > 0;
)sql"},
      // Review. A relabel replaces the sample's label instead of adding a second one beside it,
      // and the replaced row stays as history: 'current' is the one label Prune and the browser
      // read (at most one per sample, enforced by a unique partial index), 'superseded' a label
      // a later one replaced, 'undone' one its annotator took back. `replaces` links a label to
      // the one it superseded, which undoing it restores. Before this version the latest row
      // won, so that one becomes current.
      //
      // Think's samples also keep both checkers' verdicts (eval's strict and flexible, as
      // Improve's answers do) from the moment they are stored, so a reviewer sees a verdict
      // before Prune and can audit where the two checkers disagree. NULL: not checked (a code
      // problem, or a sample stored before this version). The columns sit after the trace text
      // in each row, so reading them from the table would walk every long trace: two partial
      // indexes answer the audit instead. The first holds only the disagreements, which are few,
      // ordered so that one round and one direction is an id-ordered range (a page is a range
      // scan) and counting by round and direction reads the index alone; the second counts
      // what was not checked.
      {7, "review: one current label per sample with its history; both checkers' verdicts on samples", R"sql(
ALTER TABLE annotations ADD COLUMN state TEXT NOT NULL DEFAULT 'current'
  CHECK(state IN ('current', 'superseded', 'undone'));
ALTER TABLE annotations ADD COLUMN replaces INTEGER REFERENCES annotations(id) ON DELETE SET NULL;
ALTER TABLE annotations ADD COLUMN replaced_at TEXT;
UPDATE annotations SET state = 'superseded'
  WHERE id NOT IN (SELECT max(id) FROM annotations GROUP BY sample_id);
CREATE UNIQUE INDEX annotations_current ON annotations(sample_id) WHERE state = 'current';

DROP TRIGGER annotations_set_label;
DROP TRIGGER annotations_unset_label;
CREATE TRIGGER annotations_label_on_insert AFTER INSERT ON annotations BEGIN
  UPDATE samples SET annotation_label =
    (SELECT label FROM annotations WHERE sample_id = NEW.sample_id AND state = 'current')
    WHERE id = NEW.sample_id;
END;
CREATE TRIGGER annotations_label_on_update AFTER UPDATE OF state ON annotations BEGIN
  UPDATE samples SET annotation_label =
    (SELECT label FROM annotations WHERE sample_id = NEW.sample_id AND state = 'current')
    WHERE id = NEW.sample_id;
END;
CREATE TRIGGER annotations_label_on_delete AFTER DELETE ON annotations BEGIN
  UPDATE samples SET annotation_label =
    (SELECT label FROM annotations WHERE sample_id = OLD.sample_id AND state = 'current')
    WHERE id = OLD.sample_id;
END;

ALTER TABLE samples ADD COLUMN correct_strict INTEGER CHECK(correct_strict IN (0, 1));
ALTER TABLE samples ADD COLUMN correct_flexible INTEGER CHECK(correct_flexible IN (0, 1));
CREATE INDEX samples_checkers_disagree ON samples(round_id, correct_strict, id)
  WHERE correct_strict <> correct_flexible;
CREATE INDEX samples_unchecked ON samples(round_id) WHERE correct_strict IS NULL;
)sql"},
  };
  return list;
}

[[noreturn]] void throw_newer(const Database& db, int found) {
  throw Error(db.path() + ": the experiment database has schema version " + std::to_string(found) +
              ", newer than version " + std::to_string(latest_schema_version()) +
              " that this build of TPT Workbench understands; open it with a newer build");
}

void require_ours(Database& db, int version) {
  // Version 0 with tables in it is some other program's SQLite file: refuse rather than add
  // our tables beside its own.
  if (version == 0 &&
      db.scalar_int64("SELECT count(*) FROM sqlite_master", "read the schema") > 0) {
    throw Error(db.path() +
                ": not an experiment database: it holds tables but no TPT schema version");
  }
}

}  // namespace

int latest_schema_version() { return migrations().back().version; }

void migrate(Database& db, int target) {
  int version = db.user_version();
  if (version > latest_schema_version()) throw_newer(db, version);
  if (version == target) return;
  if (version > target) {
    throw Error(db.path() + ": cannot migrate the schema down from version " +
                std::to_string(version) + " to " + std::to_string(target));
  }
  Transaction transaction(db);
  // Read again under the write lock: another connection may have migrated meanwhile.
  version = db.user_version();
  require_ours(db, version);
  for (const auto& step : migrations()) {
    if (step.version <= version || step.version > target) continue;
    db.exec(step.sql, "migrate the schema to version " + std::to_string(step.version) + " (" +
                          step.summary + ")");
  }
  if (version < target) {
    db.exec("PRAGMA user_version = " + std::to_string(target), "set the schema version");
  }
  transaction.commit();
}

void require_latest_schema(Database& db) {
  const int version = db.user_version();
  if (version > latest_schema_version()) throw_newer(db, version);
  require_ours(db, version);
  if (version < latest_schema_version()) {
    throw Error(db.path() + ": cannot read the experiment database: its schema version " +
                std::to_string(version) + " is older than version " +
                std::to_string(latest_schema_version()) +
                "; open it read-write once (for example by running the experiment) to migrate it");
  }
}

}  // namespace tpt::store
