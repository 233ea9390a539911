// The experiment database's schema: its version number (PRAGMA user_version) and the ordered
// list of migrations that bring an older experiment.sqlite up to it.
//
// To change the schema, append a migration to the list in schema.cpp; never edit one that has
// shipped, since files in the wild were built by it.
#pragma once

namespace tpt::store {

class Database;

// The version this build creates and understands.
int latest_schema_version();

// Brings `db` to `target` (the latest by default), applying the missing migrations in one
// transaction: a failure part-way leaves the file at its old version. Throws tpt::Error naming
// the file and both versions when the file is newer than `target` can handle. Tests pass a
// lower target to build an old-version file.
void migrate(Database& db, int target = latest_schema_version());

// For read-only connections, which cannot migrate: throws unless the file is exactly at the
// latest version (an older one must first be opened read-write, a newer one by a newer build).
void require_latest_schema(Database& db);

}  // namespace tpt::store
