package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
)

// Backup writes a consistent copy of the live database to the file to,
// which must not exist; an existing file is refused with an error wrapping
// fs.ErrExist. Writes go on while it runs, and the copy holds every
// transaction committed before it began. The copy opens with Open, and
// only its owner may read it, as it holds every incident.
func (db *DB) Backup(ctx context.Context, to string) error {
	if err := backup(ctx, db.read, to); err != nil {
		return fmt.Errorf("back up %s to %s: %w", db.path, to, err)
	}
	return nil
}

// Backup copies the database file from to the file to, like (*DB).Backup,
// for `warroom backup` run beside a server that has the file open. It
// opens from read-only and applies no migrations, and fails when from does
// not exist or to does.
func Backup(ctx context.Context, from, to string) error {
	if _, err := os.Stat(from); err != nil {
		return fmt.Errorf("back up %s: %w", from, err)
	}

	src, err := sql.Open("sqlite3", dsn(from, url.Values{
		"mode":          {"ro"},
		"_busy_timeout": {busyMillis()},
	}))
	if err != nil {
		return fmt.Errorf("back up %s: open: %w", from, err)
	}
	defer src.Close()
	src.SetMaxOpenConns(1)

	if err := backup(ctx, src, to); err != nil {
		return fmt.Errorf("back up %s to %s: %w", from, to, err)
	}
	return nil
}

// backup writes the database of pool into a temporary file beside to with
// VACUUM INTO, flushes it to disk, and only then gives it the name to, so
// that a failed backup never leaves a partial file under that name.
func backup(ctx context.Context, pool *sql.DB, to string) error {
	if _, err := os.Lstat(to); err == nil {
		return fmt.Errorf("target: %w", fs.ErrExist)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("target: %w", err)
	}

	// VACUUM INTO accepts an existing file only when it is empty, which a
	// fresh temporary file is.
	dir := filepath.Dir(to)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(to)+".*.tmp")
	if err != nil {
		return fmt.Errorf("create temporary file: %w", err)
	}
	tmpName := tmp.Name()
	defer os.Remove(tmpName)
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("create temporary file: %w", err)
	}

	if _, err := pool.ExecContext(ctx, "VACUUM INTO ?", tmpName); err != nil {
		return fmt.Errorf("vacuum into %s: %w", tmpName, err)
	}
	if err := syncFile(tmpName); err != nil {
		return err
	}

	// A hard link gives the copy its name only if the name is still free;
	// a rename would replace a file made in the meantime.
	if err := os.Link(tmpName, to); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("target: %w", fs.ErrExist)
		}
		return fmt.Errorf("name the copy: %w", err)
	}
	return syncFile(dir)
}

// syncFile flushes a file or a directory to disk.
func syncFile(name string) error {
	f, err := os.Open(name)
	if err != nil {
		return fmt.Errorf("sync %s: %w", name, err)
	}
	defer f.Close()

	if err := f.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", name, err)
	}
	return nil
}
