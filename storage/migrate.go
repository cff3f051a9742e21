package storage

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"strconv"
	"time"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// ErrNewerSchema is wrapped by the error Open and Migrate return for a
// database that a newer warroom has migrated: this binary does not know
// its schema and leaves it alone.
var ErrNewerSchema = errors.New("database schema is newer than this warroom")

// migration is one embedded SQL file.
type migration struct {
	version int64
	name    string
	sql     string
}

var migrationName = regexp.MustCompile(`^([0-9]+)_[a-z0-9_]+\.sql$`)

// migrations reads the embedded migrations in version order. Each file is
// named NNNN_what.sql, and no two share a version.
func migrations() ([]migration, error) {
	entries, err := fs.ReadDir(migrationFiles, "migrations")
	if err != nil {
		return nil, fmt.Errorf("list migrations: %w", err)
	}

	var list []migration
	for _, e := range entries {
		m := migrationName.FindStringSubmatch(e.Name())
		if m == nil {
			return nil, fmt.Errorf("migration %s: name is not NNNN_what.sql", e.Name())
		}
		version, err := strconv.ParseInt(m[1], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("migration %s: %w", e.Name(), err)
		}
		if n := len(list); n > 0 && list[n-1].version >= version {
			return nil, fmt.Errorf("migration %s: version %d is not after %s",
				e.Name(), version, list[n-1].name)
		}

		body, err := fs.ReadFile(migrationFiles, "migrations/"+e.Name())
		if err != nil {
			return nil, fmt.Errorf("read migration %s: %w", e.Name(), err)
		}
		list = append(list, migration{version: version, name: e.Name(), sql: string(body)})
	}

	if len(list) == 0 {
		return nil, errors.New("no migrations embedded")
	}
	return list, nil
}

// Migrate applies the embedded migrations the database lacks, in order,
// each in its own transaction, and returns the names of those it applied.
// Running it again applies nothing. A database holding a migration this
// binary does not know is refused with an error wrapping ErrNewerSchema.
func (db *DB) Migrate(ctx context.Context) ([]string, error) {
	all, err := migrations()
	if err != nil {
		return nil, err
	}

	_, err = db.write.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		name       TEXT    NOT NULL,
		applied_at INTEGER NOT NULL
	)`)
	if err != nil {
		return nil, fmt.Errorf("create schema_migrations: %w", err)
	}

	if err := db.checkKnown(ctx, all); err != nil {
		return nil, err
	}

	var applied []string
	for _, m := range all {
		done, err := db.apply(ctx, m)
		if err != nil {
			return applied, fmt.Errorf("apply migration %s: %w", m.name, err)
		}
		if done {
			applied = append(applied, m.name)
		}
	}
	return applied, nil
}

// checkKnown refuses a database that records a migration not among all.
func (db *DB) checkKnown(ctx context.Context, all []migration) error {
	known := make(map[int64]bool, len(all))
	for _, m := range all {
		known[m.version] = true
	}
	latest := all[len(all)-1]

	rows, err := db.write.QueryContext(ctx,
		"SELECT version, name FROM schema_migrations ORDER BY version")
	if err != nil {
		return fmt.Errorf("read schema_migrations: %w", err)
	}
	defer rows.Close()

	for rows.Next() {
		var (
			version int64
			name    string
		)
		if err := rows.Scan(&version, &name); err != nil {
			return fmt.Errorf("read schema_migrations: %w", err)
		}
		if !known[version] {
			return fmt.Errorf("database has migration %s, and this warroom knows only up "+
				"to %s; run the newer warroom or restore a backup: %w",
				name, latest.name, ErrNewerSchema)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read schema_migrations: %w", err)
	}
	return nil
}

// apply runs m unless the database has it already, and reports whether it
// ran. The check and the change share one IMMEDIATE transaction, so two
// processes migrating at once apply m once.
func (db *DB) apply(ctx context.Context, m migration) (bool, error) {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback()

	var one int
	err = tx.QueryRowContext(ctx,
		"SELECT 1 FROM schema_migrations WHERE version = ?", m.version).Scan(&one)
	if err == nil {
		return false, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return false, fmt.Errorf("check schema_migrations: %w", err)
	}

	if _, err := tx.ExecContext(ctx, m.sql); err != nil {
		return false, err
	}
	_, err = tx.ExecContext(ctx,
		"INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
		m.version, m.name, time.Now().UnixMilli())
	if err != nil {
		return false, fmt.Errorf("record in schema_migrations: %w", err)
	}

	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("commit: %w", err)
	}
	return true, nil
}
